// Shared helpers of the inspector tests: slow fixture workers, a CLI run with --inspect, an SSE reader.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, ROOT, WORKER, writeConfig, type Sandbox, type WorkerPlan } from '../helpers/sandbox.ts';

export const SLOW_WORKER = join(ROOT, 'test', 'inspector', 'slow-worker.mjs');

/** writeConfig, with every worker started through slow-worker.mjs --delay ms. */
export function writeSlowConfig(sb: Sandbox, plan: WorkerPlan, delayMs: number, overrides: Record<string, unknown> = {}): string {
  const path = writeConfig(sb, plan, overrides);
  const config = JSON.parse(readFileSync(path, 'utf8'));
  for (const worker of Object.values(config.workers) as Array<{ command: string[] }>) {
    if (worker.command[1] !== WORKER) throw new Error('unexpected fixture command');
    worker.command.splice(1, 1, SLOW_WORKER, '--delay', String(delayMs));
  }
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

/** A CLI process whose stderr announced the inspector's URL. */
export interface Served {
  proc: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number>;
}

/** Starts `buran ARGS…` and resolves once stderr (or stdout, for `inspect`) shows an http://127.0.0.1 URL. */
export function serve(args: string[], env: Record<string, string> = {}): Promise<Served> {
  const proc = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, BURAN_KILL_GRACE_MS: '300', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const exited = new Promise<number>((resolve) => proc.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
  return new Promise((resolve, reject) => {
    const look = () => {
      const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(err) ?? /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) resolve({ proc, url: m[1]!, stdout: () => out, stderr: () => err, exited });
    };
    proc.stdout!.on('data', (d) => { out += d; look(); });
    proc.stderr!.on('data', (d) => { err += d; look(); });
    void exited.then((code) => reject(new Error(`buran exited ${code} before serving: ${err}`)));
  });
}

/** Reads an SSE stream into parsed messages until stop() (or the server ends it). */
export function readEvents(url: string): { messages: Array<Record<string, any>>; raw: () => string; stop: () => void; done: Promise<void> } {
  const messages: Array<Record<string, any>> = [];
  const controller = new AbortController();
  let raw = '';
  const done = (async () => {
    try {
      const res = await fetch(new URL('events', url), { signal: controller.signal });
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        const text = decoder.decode(chunk, { stream: true });
        raw += text;
        buffer += text;
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) !== -1) {
          const frame = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          if (frame.startsWith('data: ')) messages.push(JSON.parse(frame.slice(6)));
        }
      }
    } catch {
      // aborted or closed by the server
    }
  })();
  return { messages, raw: () => raw, stop: () => controller.abort(), done };
}

/** Polls until check() is true (or fails after ms). */
export async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A page that may reach 127.0.0.1 only (anything else is aborted and recorded) and records its script errors. */
export async function guardedPage(browser: import('playwright-core').Browser, options: { javaScript?: boolean; width?: number; height?: number } = {}) {
  const context = await browser.newContext({ viewport: { width: options.width ?? 1440, height: options.height ?? 900 }, javaScriptEnabled: options.javaScript ?? true });
  const page = await context.newPage();
  const requests: string[] = [];
  const outside: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(e.message));
  await page.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1') return route.continue();
    outside.push(url.href);
    return route.abort();
  });
  return { page, requests, outside, errors, close: () => context.close() };
}

// The parent's side of registry-child.ts: another process using the same registry.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';

/** How a child process opens a registry: a module (absolute path) whose export takes an address. */
export interface RegistryOpener {
  module: string;
  exportName: string;
}

export interface ChildError {
  name: string;
  message: string;
  code?: string;
}

export type ChildAnswer<T = unknown> = { ok: true; value: T } | { ok: false; error: ChildError };

const CHILD = fileURLToPath(new URL('./registry-child.ts', import.meta.url));

/** A child process holding the registry at `address` open; ended when the test finishes. */
export class RegistryProcess {
  readonly ready: Promise<number>;
  private readonly child: ChildProcess;
  private readonly waiting = new Map<number, (answer: ChildAnswer) => void>();
  private nextId = 1;
  private exited: Promise<void>;

  constructor(opener: RegistryOpener, address: string) {
    this.child = spawn(process.execPath, ['--import', 'tsx', CHILD, opener.module, opener.exportName, address], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    this.child.stderr!.on('data', (chunk) => { stderr += String(chunk); });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    this.ready = new Promise((resolve, reject) => {
      this.child.once('exit', (code, signal) => reject(new Error(`registry child ended (${code ?? signal}) before it was ready: ${stderr}`)));
      createInterface({ input: this.child.stdout! }).on('line', (line) => {
        const message = JSON.parse(line) as { ready?: boolean; pid?: number; id?: number } & ChildAnswer;
        if (message.ready === true) resolve(message.pid!);
        else this.waiting.get(message.id!)?.(message);
      });
    });
    try {
      onTestFinished(() => this.kill());
    } catch { /* outside a test: the caller kills it */ }
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Sends one request; resolves with the child's answer (never rejects for the registry's errors). */
  ask<T = unknown>(op: string, args: Record<string, unknown> = {}): Promise<ChildAnswer<T>> {
    const id = this.nextId++;
    const answer = new Promise<ChildAnswer<T>>((resolve) => this.waiting.set(id, resolve as (a: ChildAnswer) => void));
    this.child.stdin!.write(`${JSON.stringify({ id, op, ...args })}\n`);
    return answer;
  }

  /** SIGKILL: the process dies holding whatever it held. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}

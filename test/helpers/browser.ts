// A headless Chromium for the page tests that a fresh machine already has after `npm ci`: the build
// shipped inside the @sparticuz/chromium npm package, unpacked once into node_modules/.cache.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { ROOT } from './sandbox.ts';

// No sandbox (tests may run as root); nothing that talks to Google's services.
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--font-render-hinting=none'];
const SYSTEM_CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/** Which browser the tests drive, and from where (reported in failures and the README). */
export interface BrowserChoice {
  executablePath: string;
  source: 'BURAN_CHROMIUM' | '@sparticuz/chromium' | 'system';
  env: Record<string, string>;
}

/**
 * BURAN_CHROMIUM when set; else the npm-shipped build (Linux x64/arm64); else a system Chromium.
 * Never downloads anything: the npm package carries the browser, brotli-compressed.
 */
export function chooseBrowser(): BrowserChoice {
  const wanted = process.env.BURAN_CHROMIUM;
  if (wanted) {
    if (!existsSync(wanted)) throw new Error(`BURAN_CHROMIUM=${wanted}: no such file`);
    return { executablePath: wanted, source: 'BURAN_CHROMIUM', env: {} };
  }
  let bundledError: unknown = null;
  if (process.platform === 'linux') {
    try {
      return bundledChromium();
    } catch (error) {
      bundledError = error;
    }
  }
  const system = SYSTEM_CHROMIUM.find((path) => existsSync(path));
  if (system) return { executablePath: system, source: 'system', env: {} };
  throw new Error(`no Chromium for the page tests: the one in @sparticuz/chromium did not unpack (${String((bundledError as Error)?.message ?? `not for ${process.platform}`)}); install chromium or set BURAN_CHROMIUM`);
}

/** Launches the chosen Chromium headless. */
export async function launchBrowser(): Promise<Browser> {
  const choice = chooseBrowser();
  return chromium.launch({ executablePath: choice.executablePath, args: ARGS, env: { ...process.env, ...choice.env } as Record<string, string> });
}

/**
 * Unpacks the package's Chromium into node_modules/.cache/buran-chromium/<version> once. The
 * package unpacks into os.tmpdir() and reuses whatever it finds there, even half-written, so it
 * runs in a child process whose TMPDIR is a private staging folder, renamed into place whole:
 * two test processes unpacking at once never see each other's partial files.
 */
function bundledChromium(): BrowserChoice {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'node_modules', '@sparticuz', 'chromium', 'package.json'), 'utf8')) as { version: string };
  const cache = join(ROOT, 'node_modules', '.cache', 'buran-chromium');
  const home = join(cache, pkg.version);
  if (!existsSync(join(home, 'chromium'))) {
    mkdirSync(cache, { recursive: true });
    const stage = mkdtempSync(join(cache, '.unpacking-'));
    try {
      const script = "import('@sparticuz/chromium').then(async (m) => process.stdout.write(await m.default.executablePath()))";
      const path = execFileSync(process.execPath, ['-e', script], { cwd: ROOT, env: { ...process.env, TMPDIR: stage }, encoding: 'utf8' });
      if (path !== join(stage, 'chromium')) throw new Error(`unpacked to ${path}, not ${stage}`);
      try {
        renameSync(stage, home);
      } catch (error) {
        // Another process put its copy in place first: use that one.
        if (!existsSync(join(home, 'chromium'))) throw error;
      }
    } finally {
      rmSync(stage, { recursive: true, force: true });
    }
  }
  return { executablePath: join(home, 'chromium'), source: '@sparticuz/chromium', env: fontconfigEnv(home) };
}

// A machine with no fontconfig of its own gets the package's fonts (Open Sans), so text is drawn.
function fontconfigEnv(home: string): Record<string, string> {
  if (existsSync('/etc/fonts/fonts.conf')) return {};
  const conf = join(home, 'fonts.conf');
  if (!existsSync(conf)) {
    writeFileSync(conf, `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig><dir>${join(home, 'fonts', 'fonts')}</dir><cachedir>${join(home, 'fontconfig-cache')}</cachedir></fontconfig>\n`);
  }
  return { FONTCONFIG_FILE: conf };
}

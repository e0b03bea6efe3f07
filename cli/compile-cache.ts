// Every command starts by compiling the bundle's code; V8 can save that work and reuse it
// (a code cache). Node 20 has no compile cache of its own (module.enableCompileCache is Node 22),
// so the bundle (CommonJS) is compiled through vm.Script with the cache kept per user.
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Script, constants } from 'node:vm';

interface CompilingModule {
  exports: unknown;
  _compile(content: string, filename: string): unknown;
}

/**
 * The folder for this Node's code caches, or null when there is none to trust: BURAN_COMPILE_CACHE
 * names one (`off` turns caching off), else $XDG_CACHE_HOME/buran or ~/.cache/buran. A cache holds
 * code that runs: a folder another user owns or may write into is never used.
 */
export function compileCacheDir(env: NodeJS.ProcessEnv): string | null {
  const setting = env.BURAN_COMPILE_CACHE;
  if (setting === 'off' || setting === '0') return null;
  const base = setting || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'buran');
  const dir = join(base, `compile-${process.version}-${process.arch}`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const info = lstatSync(dir);
    const mine = typeof process.getuid !== 'function' || info.uid === process.getuid();
    return info.isDirectory() && mine && (info.mode & 0o022) === 0 ? dir : null;
  } catch {
    return null;
  }
}

/**
 * Compiles the files under `bundleDir` with a code cache from `cacheDir`, keyed by their path and
 * content (V8 itself checks only a source's length). A cache V8 rejects, or none, is written when the
 * process exits, holding what this command compiled. Anything that fails falls back to a plain compile.
 */
export function installCompileCache(bundleDir: string, cacheDir: string): void {
  const proto = (Module as unknown as { prototype: CompilingModule }).prototype;
  const plain = proto._compile;
  const toWrite: Array<{ script: Script; path: string }> = [];
  const dynamicImport = constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER;
  proto._compile = function compileCached(this: CompilingModule, content: string, filename: string) {
    if (!filename.startsWith(bundleDir)) return plain.call(this, content, filename);
    // The path is part of the key: a cache made for the same code at another path would give the
    // functions that other path (stack traces and profiles would name the wrong file).
    const key = createHash('sha256').update(filename).update('\0').update(content).digest('hex').slice(0, 32);
    const path = join(cacheDir, `${basename(filename)}-${key}`);
    let cachedData: Buffer | undefined;
    try {
      cachedData = readFileSync(path);
    } catch {
      cachedData = undefined;
    }
    const script = new Script((Module as unknown as { wrap(code: string): string }).wrap(content), {
      filename, cachedData, ...(dynamicImport ? { importModuleDynamically: dynamicImport as never } : {}),
    });
    if (cachedData === undefined || script.cachedDataRejected === true) toWrite.push({ script, path });
    const wrapper = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
    const require = Module.createRequire(filename);
    return wrapper.call(this.exports, this.exports, require, this, filename, dirname(filename));
  };
  process.once('exit', () => {
    if (toWrite.length > 0) prune(cacheDir);
    for (const { script, path } of toWrite) {
      // Written whole or not at all: a reader never meets half a cache.
      const temp = `${path}.${process.pid}.tmp`;
      try {
        writeFileSync(temp, script.createCachedData(), { mode: 0o600 });
        renameSync(temp, path);
      } catch {
        // A cache is only ever a saving.
      }
    }
  });
}

/** Caches kept: every build names new ones, so the folder keeps the newest of them only. */
export const CACHES_KEPT = 200;

function prune(cacheDir: string): void {
  try {
    const names = readdirSync(cacheDir);
    if (names.length < CACHES_KEPT) return;
    const aged = names.map((name) => ({ name, at: statSync(join(cacheDir, name)).mtimeMs })).sort((a, b) => b.at - a.at);
    for (const { name } of aged.slice(CACHES_KEPT / 2)) rmSync(join(cacheDir, name), { force: true });
  } catch {
    // Pruned next time.
  }
}

import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/sandbox.ts';

const dirs: string[] = [];
afterEach(() => { for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true }); });

function run(file: string, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }));
  });
}

// The source tree as a clean clone has it (no build output, no git, no registries), sharing node_modules.
const SKIP = new Set(['node_modules', 'dist', '.git', 'test-output', '.buran']);

describe('the npm package', () => {
  it('builds quietly, packs docs, LICENSE and dist without a prepare script, and installs globally from the tarball without a warning', async () => {
    const base = mkdtempSync(join(tmpdir(), 'buran-pack-'));
    dirs.push(base);
    const src = join(base, 'src');
    cpSync(ROOT, src, { recursive: true, filter: (path) => !SKIP.has(relative(ROOT, path).split('/')[0]!) });
    symlinkSync(join(ROOT, 'node_modules'), join(src, 'node_modules'));
    const manifest = readFileSync(join(src, 'package.json'), 'utf8');

    const build = await run('npm', ['run', 'build', '--silent'], src);
    expect(build).toMatchObject({ code: 0, stdout: '', stderr: '' });

    const pack = await run('npm', ['pack', '--silent', '--pack-destination', base], src);
    expect(pack.code, pack.stderr).toBe(0);
    const tarball = join(base, pack.stdout.trim().split('\n').pop()!);
    expect(readFileSync(join(src, 'package.json'), 'utf8')).toBe(manifest);

    const listing = (await run('tar', ['tzf', tarball], base)).stdout.split('\n');
    for (const file of ['package/LICENSE', 'package/README.md', 'package/dist/cli/main.js', 'package/docs/README.md',
      'package/docs/schemas/config.schema.json', 'package/docs/schemas/packet.schema.json']) expect(listing).toContain(file);
    expect(listing.some((f) => f.startsWith('package/test/') || f.startsWith('package/scripts/'))).toBe(false);
    await run('tar', ['xzf', tarball, 'package/package.json'], base);
    const packed = JSON.parse(readFileSync(join(base, 'package', 'package.json'), 'utf8'));
    expect(packed.scripts.prepare).toBeUndefined();
    expect(packed.license).toBe('MIT');

    // Dependencies come from npm's cache when `npm ci` filled it; the registry otherwise.
    const prefix = join(base, 'prefix');
    const install = await run('npm', ['install', '--global', '--prefix', prefix, '--prefer-offline', tarball], base);
    expect(install.code, install.stderr).toBe(0);
    expect(install.stderr).not.toMatch(/allowScripts|install-scripts|prepare/);
    const bin = join(prefix, 'bin', 'buran');
    expect(existsSync(bin)).toBe(true);
    const version = await run(bin, ['--version'], base);
    expect(version).toMatchObject({ code: 0, stdout: `${packed.version}\n` });
    const init = await run(bin, ['init', '--json'], base);
    const written = JSON.parse(init.stdout);
    expect(written.written).toEqual(['buran.config.json', 'packet.example.json']);
    // The installed package carries the schemas the starter files point at.
    const config = JSON.parse(readFileSync(join(base, 'buran.config.json'), 'utf8'));
    expect(existsSync(join(base, config.$schema))).toBe(true);
  }, 180_000);
});

// Buran's reading commands on a registry no one can write to, for tests of what they do without a cache.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, type Sandbox } from './sandbox.ts';

/** Runs `buran list ARGS` for each of `lists` with the registry mounted read-only (see readOnly). */
export const listReadOnly = (sb: Sandbox, lists: string[][]) => readOnly(sb, lists.map((args) => ['list', '--registry', '"$REG"', ...args]));

/**
 * Runs `buran ARGS` for each of `commands` (shell words: `"$REG"` is the registry) with the
 * registry mounted read-only: a bind mount in mount and user namespaces of the test's own
 * (`unshare -rm`, util-linux; no root needed, nothing mounted outside). Even root cannot write through it.
 */
export function readOnly(sb: Sandbox, commands: string[][]): Array<{ code: number; stdout: string; stderr: string }> {
  const script = [
    'set -e',
    `mount --bind "$REG" "$REG"`,
    `mount -o remount,bind,ro "$REG"`,
    // The mount holds: a write is refused.
    `if touch "$REG/.probe" 2>/dev/null; then echo "registry still writable" >&2; exit 9; fi`,
    ...commands.map((args, i) => `"$NODE" "$CLI" ${args.join(' ')} > "$OUT/${i}.out" 2> "$OUT/${i}.err"; echo $? > "$OUT/${i}.code"`),
  ].join('\n');
  const out = mkdtempSync(sb.path('read-only-'));
  const run = spawnSync('unshare', ['-rm', 'sh', '-c', script], {
    encoding: 'utf8', env: { ...process.env, REG: sb.registry, NODE: process.execPath, CLI, OUT: out }, timeout: 60_000,
  });
  if (run.status !== 0) {
    throw new Error(`this test mounts the registry read-only in namespaces of its own (unshare -rm, util-linux; unprivileged user namespaces): ${run.error?.message ?? run.stderr}`);
  }
  return commands.map((_, i) => ({
    code: Number(readFileSync(join(out, `${i}.code`), 'utf8')),
    stdout: readFileSync(join(out, `${i}.out`), 'utf8'),
    stderr: readFileSync(join(out, `${i}.err`), 'utf8'),
  }));
}

// `buran list` on a large registry: one real run copied N times (each copy with its own id, time
// and state; journals included, which list must not read), then the wall time of list, list
// --limit 20, list --state and list --json. With --against OTHER_CLI, the same commands of that
// build too, interleaved with this one's on the same registry (a shared machine's load falls on
// both alike), `--rounds` times each (default 5); medians. Prints figures only.
// Usage: node bench/list.mjs [runs=10000] [--against PATH/TO/main.js] [--rounds N]
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cli = process.env.BURAN_CLI ?? join(root, 'dist', 'cli', 'main.js');
const option = (name) => { const i = process.argv.indexOf(`--${name}`); return i === -1 ? undefined : process.argv[i + 1]; };
const against = option('against');
const rounds = Number(option('rounds') ?? (against === undefined ? 1 : 5));
const count = Number(process.argv[2] !== undefined && !process.argv[2].startsWith('--') ? process.argv[2] : 10_000);
const dir = mkdtempSync(join(tmpdir(), 'buran-bench-list-'));
const registry = join(dir, 'registry');
try {
  const workspace = join(dir, 'ws');
  mkdirSync(workspace);
  const writer = (extra) => ['/bin/sh', '-c', `printf '{"task_id":"%s","status":"completed","summary":"ok"${extra}}' "$BURAN_TASK_ID" > "$BURAN_COMPLETION_FILE"`];
  writeFileSync(join(dir, 'config.json'), JSON.stringify({
    workers: { implementer: { command: writer('') }, fixer: { command: writer('') }, reviewer: { command: writer(',"verdict":"PASS"') } },
    verification: { allowed_commands: ['true'] },
  }));
  writeFileSync(join(dir, 'packet.json'), JSON.stringify({
    task_id: 'bench', approved: true, scm_target: { repo: 'bench/bench' }, scope: { goal: 'g', acceptance_criteria: ['a'] },
    implementation: { instructions: 'i' }, verification: { commands: ['true'] }, review: { criteria: ['r'] },
  }));
  const run = spawnSync(process.execPath, [cli, 'run', join(dir, 'packet.json'), '--config', join(dir, 'config.json'), '--workspace', workspace,
    '--registry', registry, '--run-id', 'template'], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`template run failed: ${run.stderr}`);

  const template = join(registry, 'runs', 'template');
  const meta = readFileSync(join(template, 'run.json'), 'utf8');
  const snapshot = JSON.parse(readFileSync(join(template, 'snapshot.json'), 'utf8'));
  const states = ['ready_for_manual_review', 'blocked_needs_human', 'failed_execution'];
  const start = Date.now() - count * 60_000;
  for (let i = 0; i < count; i++) {
    const id = `run-${String(i).padStart(6, '0')}`;
    const target = join(registry, 'runs', id);
    cpSync(template, target, { recursive: true });
    const at = new Date(start + i * 60_000);
    writeFileSync(join(target, 'run.json'), meta.replaceAll('"template"', JSON.stringify(id)));
    const state = states[i % states.length];
    writeFileSync(join(target, 'snapshot.json'), JSON.stringify({ ...snapshot, run_id: id, state, updated_at: at.toISOString(),
      snapshot: { ...snapshot.snapshot, context: { ...snapshot.snapshot.context, run_id: id, cost_usd: (i % 7) * 0.01 } } }));
    utimesSync(join(target, 'snapshot.json'), at, at);
  }
  rmSync(template, { recursive: true });
  if (process.env.BURAN_BENCH_KEEP) { console.log(registry); process.exit(0); }

  const time = (build, args) => {
    const t = process.hrtime.bigint();
    const result = spawnSync(process.execPath, [build, 'list', '--registry', registry, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    if (result.status !== 0) throw new Error(result.stderr);
    return { ms, lines: result.stdout.trimEnd().split('\n').length };
  };
  const builds = against === undefined ? [['this', cli]] : [['this', cli], ['against', resolve(against)]];
  // The first list warms the page cache, and builds whatever the build keeps (this one: its list cache).
  const first = builds.map(([name, build]) => `${name} ${String(Math.round(time(build, []).ms)).padStart(6)} ms`).join('   ');
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`registry: ${count} runs${against === undefined ? '' : `; medians of ${rounds} interleaved rounds; this = ${cli}, against = ${resolve(against)}`}`);
  console.log(`first list, once${' '.repeat(30)}${first}`);
  const nodeTimes = [];
  for (const args of [[], ['--limit', '20'], ['--state', 'failed_execution'], ['--state', 'failed_execution', '--limit', '20'], ['--json']]) {
    const seen = builds.map(() => []);
    let lines = 0;
    for (let r = 0; r < rounds; r++) {
      builds.forEach(([, build], i) => {
        const { ms, lines: n } = time(build, args);
        seen[i].push(ms);
        lines = n;
      });
      const t = process.hrtime.bigint();
      spawnSync(process.execPath, ['-e', '0']);
      nodeTimes.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    const figures = builds.map(([name], i) => `${name} ${String(Math.round(median(seen[i]))).padStart(6)} ms`).join('   ');
    console.log(`list ${args.join(' ').padEnd(40)} ${figures}  ${lines} lines`);
  }
  console.log(`node -e 0 (beside them)${' '.repeat(22)}${String(Math.round(median(nodeTimes))).padStart(6)} ms`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

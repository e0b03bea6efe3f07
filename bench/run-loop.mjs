// Measures the happy path with instant workers: buran's wall time beside the wall time of the
// same child processes run directly, and `buran status` on the finished run. Prints figures only.
// Usage: node bench/run-loop.mjs [runs=10]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cli = process.env.BURAN_CLI ?? join(root, 'dist', 'cli', 'main.js');
const runs = Number(process.argv[2] ?? 10);
const dir = mkdtempSync(join(tmpdir(), 'buran-bench-'));
const workspace = join(dir, 'ws');
mkdirSync(workspace);

// Instant workers: one sh each, writing a valid completion.
const writer = (extra) => ['/bin/sh', '-c', `printf '{"task_id":"%s","status":"completed","summary":"ok"${extra}}' "$BURAN_TASK_ID" > "$BURAN_COMPLETION_FILE"`];
const config = join(dir, 'config.json');
writeFileSync(config, JSON.stringify({
  workers: { implementer: { command: writer('') }, fixer: { command: writer('') }, reviewer: { command: writer(',"verdict":"PASS"') } },
  verification: { allowed_commands: ['true'] },
}));
const packet = join(dir, 'packet.json');
writeFileSync(packet, JSON.stringify({
  task_id: 'bench', approved: true, scm_target: { repo: 'bench/bench' },
  scope: { goal: 'g', acceptance_criteria: ['a'] }, implementation: { instructions: 'i' },
  verification: { commands: ['true'] }, review: { criteria: ['r'] },
}));

const time = (fn) => { const t = process.hrtime.bigint(); const r = fn(); return [Number(process.hrtime.bigint() - t) / 1e6, r]; };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// The children the happy path starts, run directly and in the same order.
const childEnv = { PATH: process.env.PATH, BURAN_TASK_ID: 't', BURAN_COMPLETION_FILE: join(dir, 'direct.json') };
const children = () => {
  spawnSync(writer('')[0], writer('').slice(1), { env: childEnv, stdio: 'ignore' });
  spawnSync('true', [], { stdio: 'ignore' });
  spawnSync(writer(',"verdict":"PASS"')[0], writer(',"verdict":"PASS"').slice(1), { env: childEnv, stdio: 'ignore' });
};

const walls = [], direct = [], status = [], nodeBare = [];
let lastRun = '';
for (let i = 0; i < runs; i++) {
  const registry = join(dir, `registry-${i}`);
  const [ms, result] = time(() => spawnSync(process.execPath, [cli, 'run', packet, '--config', config, '--workspace', workspace, '--registry', registry], { encoding: 'utf8' }));
  if (result.status !== 0) throw new Error(`run failed (${result.status}): ${result.stderr}`);
  lastRun = result.stdout.split('\n')[0];
  walls.push(ms);
  direct.push(time(children)[0]);
  status.push(time(() => spawnSync(process.execPath, [cli, 'status', lastRun, '--registry', registry], { stdio: 'ignore' }))[0]);
  nodeBare.push(time(() => spawnSync(process.execPath, ['-e', '0'], { stdio: 'ignore' }))[0]);
}
const row = (name, xs) => console.log(`${name.padEnd(44)} median ${median(xs).toFixed(1).padStart(7)} ms   min ${Math.min(...xs).toFixed(1).padStart(7)} ms`);
console.log(`happy path, instant workers, ${runs} runs (node ${process.version}, ${process.platform})`);
row('buran run (wall)', walls);
row('same child processes run directly (wall)', direct);
row('overhead = run - children', walls.map((w, i) => w - direct[i]));
row('  of which: bare node start (node -e 0)', nodeBare);
row('buran status on the finished run (wall)', status);

#!/usr/bin/env node
// Batch scale: `node bench/batch.mjs [N…] [--concurrency C]` (default 200 400, C 4).
// For each N: a fresh git repo, N packets with disjoint surfaces and branches, instant workers
// (sh printing a completion) and an instant verification command (`true`), run as one
// `buran batch --repo`. Prints wall time, CPU, peak RSS of the batch process, and the ratios.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const args = process.argv.slice(2);
const cIndex = args.indexOf('--concurrency');
const concurrency = cIndex === -1 ? 4 : Number(args[cIndex + 1]);
const sizes = args.filter((_, i) => cIndex === -1 || (i !== cIndex && i !== cIndex + 1)).map(Number);
if (sizes.length === 0) sizes.push(200, 400);

const worker = ['/bin/sh', '-c', `printf '{"task_id":"%s","status":"completed","summary":"ok","verdict":"PASS"}' "$BURAN_TASK_ID" > "$BURAN_COMPLETION_FILE"`];
const config = { workers: { implementer: { command: worker }, reviewer: { command: worker } }, verification: { allowed_commands: ['true'] }, limits: { max_fix_attempts: 0 } };
const hasTime = existsSync('/usr/bin/time');

function once(n) {
  const dir = mkdtempSync(join(tmpdir(), 'buran-bench-batch-'));
  const repo = join(dir, 'repo');
  mkdirSync(repo);
  const git = (...a) => execFileSync('git', a, { cwd: repo, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  writeFileSync(join(repo, 'README'), 'bench\n');
  git('add', '.');
  git('-c', 'user.name=bench', '-c', 'user.email=bench@localhost', 'commit', '-qm', 'init');
  const packets = Array.from({ length: n }, (_, i) => ({
    task_id: `p${i}`, approved: true,
    scm_target: { repo: 'bench/repo', base_branch: 'main', intended_branch: `buran/p${i}` },
    scope: { goal: `packet ${i}`, acceptance_criteria: ['done'] }, implementation: { instructions: 'do it' },
    verification: { commands: ['true'] }, review: { criteria: ['ok'] }, conflict_surface: [`area/${i}/`],
  }));
  writeFileSync(join(dir, 'list.json'), JSON.stringify({ packets }));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const argv = [CLI, 'batch', join(dir, 'list.json'), '--config', join(dir, 'config.json'), '--repo', repo, '--registry', join(dir, 'reg'), '--concurrency', String(concurrency), '--json'];
  const statsFile = join(dir, 'time.txt');
  const started = process.hrtime.bigint();
  const result = hasTime
    ? spawnSync('/usr/bin/time', ['-f', '%U %S %M', '-o', statsFile, process.execPath, ...argv], { encoding: 'utf8', maxBuffer: 64 << 20 })
    : spawnSync(process.execPath, argv, { encoding: 'utf8', maxBuffer: 64 << 20 });
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  const out = JSON.parse(result.stdout.trim().split('\n').at(-1));
  const [user, sys, rssKb] = hasTime ? readFileSync(statsFile, 'utf8').trim().split('\n').at(-1).split(' ').map(Number) : [NaN, NaN, NaN];
  if (process.env.BENCH_KEEP) console.error(`kept ${dir}`); else rmSync(dir, { recursive: true, force: true });
  if (out.totals.ready !== n) throw new Error(`only ${out.totals.ready} of ${n} runs ready: ${JSON.stringify(out.totals)}`);
  return { n, wall, cpu: user + sys, rssMb: rssKb / 1024 };
}

execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
const rows = sizes.map(once);
console.log(`buran batch, instant workers, concurrency ${concurrency} (${new Date().toISOString()})`);
console.log('packets  wall s  per run ms  cpu s  peak RSS MB');
for (const r of rows) {
  console.log(`${String(r.n).padStart(7)}  ${r.wall.toFixed(1).padStart(6)}  ${(1000 * r.wall / r.n).toFixed(0).padStart(10)}  ${r.cpu.toFixed(1).padStart(5)}  ${r.rssMb.toFixed(0).padStart(11)}`);
}
for (let i = 1; i < rows.length; i++) {
  console.log(`ratio ${rows[i].n}/${rows[i - 1].n}: wall ${(rows[i].wall / rows[i - 1].wall).toFixed(2)} (linear: ${(rows[i].n / rows[i - 1].n).toFixed(2)})`);
}

#!/usr/bin/env node
// Whole runs through real runner hosts: `node bench/fleet-runs.mjs [runs=24]`. Instant workers (sh
// printing a completion), an instant verification (`true`), N disjoint packets. Side by side:
//  - the directory registry on one host: `buran batch --repo` with concurrency 1, 2, 4;
//  - a PostgreSQL registry (throwaway server, fsync on): `buran submit`, then 1, 2 or 4
//    `buran worker` processes (concurrency 1 each, own host id, clone and work root).
// Prints runs/s (first start to last end) and claim→start (the run's first entry after its claim)
// p50/p95 from the journals. A table only; nothing is asserted.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const runs = Number(process.argv[2] ?? 24);
const { startThrowawayPostgres, databaseUrl } = await import('../test/helpers/postgres-server.ts');
const pg = (await import('pg')).default;

const worker = ['/bin/sh', '-c', `printf '{"task_id":"%s","status":"completed","summary":"ok","verdict":"PASS"}' "$BURAN_TASK_ID" > "$BURAN_COMPLETION_FILE"`];
const config = { workers: { implementer: { command: worker }, reviewer: { command: worker } }, verification: { allowed_commands: ['true'] }, limits: { max_fix_attempts: 0 }, fleet: { dead_after_ms: 10_000 } };
const quantile = (values, q) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))] ?? NaN;

function scratch() {
  const dir = mkdtempSync(join(tmpdir(), 'buran-bench-fleet-'));
  const repo = join(dir, 'repo');
  mkdirSync(repo);
  const git = (cwd, ...a) => execFileSync('git', a, { cwd, stdio: 'ignore' });
  git(repo, 'init', '-q', '-b', 'main');
  writeFileSync(join(repo, 'README'), 'bench\n');
  git(repo, 'add', '.');
  git(repo, '-c', 'user.name=bench', '-c', 'user.email=bench@localhost', 'commit', '-qm', 'init');
  git(dir, 'clone', '-q', '--bare', repo, join(dir, 'origin.git'));
  const packets = Array.from({ length: runs }, (_, i) => ({
    task_id: `p${i}`, approved: true, scm_target: { repo: 'bench/repo', base_branch: 'main', intended_branch: `buran/p${i}` },
    scope: { goal: `packet ${i}`, acceptance_criteria: ['done'] }, implementation: { instructions: 'do it' },
    verification: { commands: ['true'] }, review: { criteria: ['ok'] }, conflict_surface: [`area/${i}/`],
  }));
  writeFileSync(join(dir, 'list.json'), JSON.stringify({ packets }));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return { dir, repo, git };
}

/** Runs/s from the runs' journals (`events --json`); claim→start: a host printed its claim → the run's first entry. */
function figures(registry, ids, env, claimedAt = new Map()) {
  let first = Infinity;
  let last = 0;
  const claimToStart = [];
  for (const id of ids) {
    const out = spawnSync(process.execPath, [CLI, 'events', id, '--json', '--registry', registry], { encoding: 'utf8', env });
    const entries = out.stdout.trim().split('\n').map((line) => JSON.parse(line));
    const times = entries.map((e) => Date.parse(e.at));
    first = Math.min(first, times[0]);
    last = Math.max(last, times.at(-1));
    const created = entries.find((e) => e.type === 'run.created');
    if (claimedAt.has(id) && created) claimToStart.push(Date.parse(created.at) - claimedAt.get(id));
    if (entries.at(-1).to !== 'ready_for_manual_review' && !entries.some((e) => e.to === 'ready_for_manual_review')) throw new Error(`run ${id} did not finish ready`);
  }
  return { perSecond: ids.length / ((last - first) / 1000), claimToStart };
}

function directory(concurrency) {
  const { dir, repo } = scratch();
  const registry = join(dir, 'reg');
  const out = spawnSync(process.execPath, [CLI, 'batch', join(dir, 'list.json'), '--config', join(dir, 'config.json'), '--repo', repo, '--registry', registry, '--concurrency', String(concurrency), '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const ids = JSON.parse(out.stdout.trim().split('\n').at(-1)).runs.map((r) => r.run_id);
  const result = figures(registry, ids, process.env);
  rmSync(dir, { recursive: true, force: true });
  return result;
}

async function fleet(server, hosts) {
  const { dir, git } = scratch();
  const name = `bench_${hosts}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: databaseUrl(server, 'postgres') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = databaseUrl(server, name);
  const env = { ...process.env, BURAN_REGISTRY: url };
  const submitted = spawnSync(process.execPath, [CLI, 'submit', join(dir, 'list.json'), '--config', join(dir, 'config.json')], { encoding: 'utf8', env });
  const ids = submitted.stdout.trim().split('\n');
  const workers = [];
  for (let h = 0; h < hosts; h++) {
    const clone = join(dir, `clone-${h}`);
    git(dir, 'clone', '-q', join(dir, 'origin.git'), clone);
    workers.push(spawn(process.execPath, [CLI, 'worker', '--host-id', `h${h}`, '--concurrency', '1', '--config', join(dir, 'config.json'), '--json'], {
      cwd: clone, env: { ...env, BURAN_WORK_ROOT: join(dir, `work-${h}`) }, stdio: ['ignore', 'pipe', 'inherit'],
    }));
  }
  let ended = 0;
  const claimedAt = new Map();
  await new Promise((resolveAll) => {
    for (const w of workers) {
      createInterface({ input: w.stdout }).on('line', (line) => {
        const event = JSON.parse(line);
        if (event.event === 'claimed') claimedAt.set(event.run_id, Date.now());
        if (event.event === 'ended' && ++ended >= ids.length) resolveAll();
      });
    }
  });
  await Promise.all(workers.map((w) => new Promise((done) => { w.once('exit', done); w.kill('SIGTERM'); })));
  const result = figures(url, ids, env, claimedAt);
  rmSync(dir, { recursive: true, force: true });
  return result;
}

execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
const server = await startThrowawayPostgres(undefined, ['-c', 'fsync=on', '-c', 'synchronous_commit=on']);
const rows = [];
try {
  for (const n of [1, 2, 4]) {
    const local = directory(n);
    const shared = await fleet(server, n);
    rows.push({ n, local, shared });
  }
} finally {
  await server.stop();
}
const ms = (v) => (Number.isNaN(v) ? '-' : v.toFixed(0));
console.log(`${runs} runs, instant workers (${new Date().toISOString()}); directory: one buran batch --concurrency N; postgres: N buran worker processes, 1 run each at a time`);
console.log('N | directory runs/s | postgres runs/s | postgres claim→start p50 / p95 ms');
for (const { n, local, shared } of rows) {
  console.log(`${n} | ${local.perSecond.toFixed(2).padStart(16)} | ${shared.perSecond.toFixed(2).padStart(15)} | ${ms(quantile(shared.claimToStart, 0.5))} / ${ms(quantile(shared.claimToStart, 0.95))}`);
}

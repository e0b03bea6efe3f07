// Runner hosts on one PostgreSQL registry: with 1, 2 and 4 runner processes (bench/fleet-claimer.ts,
// instant work), how many runs per second they take from a full queue, how long from a claim to the
// run's start (its first journal entry durable), and how long from `submit` to the start when the
// fleet is idle (woken by NOTIFY). A throwaway PostgreSQL (fsync on, as a real server) in a temp folder.
// Also claims alone (no work) per second. Prints a table only.
// Usage: node bench/fleet-claims.mjs [runs=400] [idle-samples=40]
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { startThrowawayPostgres, databaseUrl } = await import('../test/helpers/postgres-server.ts');
const { openPgRegistry } = await import('../persistence/pg/index.ts');
const { metaFor, packetFor } = await import('../test/persistence/registry-fixtures.ts');
const pg = (await import('pg')).default;

const runs = Number(process.argv[2] ?? 400);
const idleSamples = Number(process.argv[3] ?? 40);
const server = await startThrowawayPostgres(undefined, ['-c', 'fsync=on', '-c', 'synchronous_commit=on', '-c', 'full_page_writes=on']);

const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};
const ms = (value) => (Number.isNaN(value) ? '-' : value.toFixed(1));

function startClaimer(url, hostId) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench', 'fleet-claimer.ts'), url, hostId], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const next = () => new Promise((resolveLine) => lines.once('line', resolveLine));
  return { child, next, send: (line) => child.stdin.write(`${line}\n`) };
}

async function freshDatabase(name) {
  const admin = new pg.Client({ connectionString: databaseUrl(server, 'postgres') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return databaseUrl(server, name);
}

/** Claims alone: `runs` queued runs, taken by the claimers without any work; claims per second. */
async function claimsPerSecond(processes) {
  const url = await freshDatabase(`claims_${processes}`);
  const registry = await openPgRegistry(url, { hostId: 'bench' });
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  for (let i = 0; i < runs; i++) await registry.submitRun(metaFor(`c${i}`), packetFor(`c${i}`));
  const claimers = Array.from({ length: processes }, (_, i) => startClaimer(url, `host-${i + 1}`));
  await Promise.all(claimers.map((c) => c.next()));
  const t0 = performance.now();
  claimers.forEach((c) => c.send('claim'));
  // A claim is one statement: once no run is queued, every claim has committed.
  while (Number((await db.query('SELECT count(*) AS n FROM runs WHERE queued_at IS NOT NULL')).rows[0].n) > 0) await new Promise((r) => setTimeout(r, 5));
  const seconds = (performance.now() - t0) / 1000;
  for (const c of claimers) {
    c.send('stop');
    await c.next();
  }
  await db.end();
  await registry.close();
  return runs / seconds;
}

/** Whole instant runs (claim, open, two appends, final snapshot, release), then an idle fleet's latency. */
async function measure(processes) {
  const url = await freshDatabase(`fleet_${processes}`);
  const registry = await openPgRegistry(url, { hostId: 'bench' });
  const started = new Map();
  let onStart = () => {};
  const listener = await registry.listen([registry.channels.journal], (_, payload) => {
    const [runId, seq] = payload.split(' ');
    if (seq === '1') {
      started.set(runId, performance.now());
      onStart(runId);
    }
  });
  const whenStarted = (runId) => new Promise((resolveStart) => {
    if (started.has(runId)) resolveStart();
    else onStart = (id) => { if (id === runId) resolveStart(); };
  });

  for (let i = 0; i < runs; i++) await registry.submitRun(metaFor(`q${i}`), packetFor(`q${i}`));
  const claimers = Array.from({ length: processes }, (_, i) => startClaimer(url, `host-${i + 1}`));
  await Promise.all(claimers.map((c) => c.next()));
  const t0 = performance.now();
  claimers.forEach((c) => c.send('go'));
  // Done when every run has ended (its final snapshot saved).
  while ((await registry.listRuns({ state: 'ready_for_manual_review' })).length < runs) await new Promise((r) => setTimeout(r, 20));
  const drainSeconds = (performance.now() - t0) / 1000;

  const idle = [];
  for (let i = 0; i < idleSamples; i++) {
    const id = `idle${i}`;
    const before = performance.now();
    const start = whenStarted(id);
    await registry.submitRun(metaFor(id), packetFor(id));
    await start;
    idle.push(started.get(id) - before);
  }

  const samples = [];
  for (const c of claimers) {
    c.send('stop');
    samples.push(...JSON.parse(await c.next()).samples);
  }
  await listener.close();
  await registry.close();
  return { processes, claimsPerSecond: await claimsPerSecond(processes), runsPerSecond: runs / drainSeconds, claimToStart: samples, idle };
}

try {
  const rows = [];
  for (const processes of [1, 2, 4]) rows.push(await measure(processes));
  console.log(`runner processes on one PostgreSQL registry (throwaway server, fsync on): ${runs} queued runs per drain, ${idleSamples} runs submitted one at a time to an idle fleet`);
  console.log('processes | claims/s (claim only) | runs/s (instant runs) | claim→start p50 / p95 ms | submit→start, idle p50 / p95 / max ms');
  for (const r of rows) {
    console.log([
      String(r.processes).padEnd(9), r.claimsPerSecond.toFixed(0).padStart(20), r.runsPerSecond.toFixed(0).padStart(21),
      `${ms(quantile(r.claimToStart, 0.5))} / ${ms(quantile(r.claimToStart, 0.95))}`.padStart(24),
      `${ms(quantile(r.idle, 0.5))} / ${ms(quantile(r.idle, 0.95))} / ${ms(Math.max(...r.idle))}`,
    ].join(' | '));
  }
} finally {
  await server.stop();
}

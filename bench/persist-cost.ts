// Persist cost per transition early and late in one long run (it must stay flat: history is
// in the journal, finished children are pruned), then resume and status on that run's
// 10,000-event journal through the real CLI. Prints figures only.
// Usage: npx tsx bench/persist-cost.ts [events=10000]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fromPromise } from 'xstate';
import { driveRun } from '../actors/drive-run.ts';
import type { FlushStats } from '../actors/run-recorder.ts';
import type { VerificationReport, WorkerRun } from '../machines/types.ts';
import { workerTaskMachine, type WorkerTaskInput } from '../machines/worker-task-machine.ts';
import { ConfigSchema } from '../schemas/config.ts';
import { readPacket } from '../schemas/packet.ts';
import { SCHEMA_VERSION } from '../persistence/records.ts';
import { DirectoryRegistry } from '../persistence/directory-registry.ts';

const target = Number(process.argv[2] ?? 10_000);
const cli = resolve(import.meta.dirname, '..', 'dist', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'buran-persist-'));
const registry = join(dir, 'registry');
const workspace = join(dir, 'ws');
mkdirSync(workspace);

// A real run record whose verification always fails and whose fixer always succeeds: an
// endless fix loop, bounded only by a fix budget far above what a config may set.
const packet = {
  task_id: 'long', approved: true, scm_target: { repo: 'bench/long' }, scope: { goal: 'g', acceptance_criteria: ['a'] },
  implementation: { instructions: 'i' }, verification: { commands: ['false'] }, review: { criteria: ['r'] },
};
const writer = ['/bin/sh', '-c', `printf '{"task_id":"%s","status":"completed","summary":"ok"}' "$BURAN_TASK_ID" > "$BURAN_COMPLETION_FILE"`];
const config = ConfigSchema.parse({ workers: { implementer: { command: writer }, fixer: { command: writer }, reviewer: { command: writer } }, verification: { allowed_commands: ['false'] } });
const { plan, missing } = readPacket(packet);
const store = new DirectoryRegistry(registry);
await store.createRun({
  schema_version: SCHEMA_VERSION, run_id: 'long', created_at: new Date().toISOString(), packet_source: 'bench', config_source: null,
  workspace, repo: null, retry_of: null, config,
  input: { run_id: 'long', plan, missing, settings: { roles: { implementer: true, fixer: true, reviewer: true }, max_fix_attempts: 1_000_000, max_dispatch_retries: 2, allowed_commands: ['false'], lease_wait_ms: 0, handoff: { kind: 'local' as const, allowed_repos: [] }, setup: false } },
}, packet);

// In-process effects: the driver, recorder, journal and snapshot store are the real ones.
const completed = (input: WorkerTaskInput): WorkerRun => ({
  kind: 'exited', exitCode: 0, signal: null,
  completion: { kind: 'present', completion: { task_id: input.task.task_id, status: 'completed', summary: 'ok', artifacts: [], findings: [] } as never },
});
const flushes: FlushStats[] = [];
// Each effect settles only after the next flush, so the run advances one persisted step at a
// time, as it does with real workers (which take far longer than a flush).
let flushed: () => void = () => {};
const nextFlush = () => new Promise<void>((resolve) => { flushed = resolve; });
const started = performance.now();
await driveRun({
  registry: store, runId: 'long', maxSteps: Math.ceil(target / 2),
  onFlush: (stats) => { flushes.push(stats); flushed(); },
  effects: {
    workerTask: workerTaskMachine.provide({
      actors: { runWorker: fromPromise<WorkerRun, WorkerTaskInput>(async ({ input }) => { await nextFlush(); return completed(input); }) },
    }),
    runVerification: fromPromise<VerificationReport, { run_id: string; epoch: number; commands: string[] }>(async ({ input }) => {
      await nextFlush();
      return { epoch: input.epoch, verdict: 'FAIL', findings: [{ severity: 'error', message: 'still failing' }], message: 'FAIL', commands: [] };
    }),
  },
  env: { PATH: process.env.PATH },
});
const driveMs = performance.now() - started;

const window = (from: number, to: number) => {
  const picked = flushes.filter((f) => f.seq >= from && f.seq <= to);
  const entries = picked.reduce((n, f) => n + f.entries, 0);
  const ms = picked.reduce((n, f) => n + f.ms, 0);
  const saved = picked.filter((f) => f.snapshotBytes > 0);
  const bytes = saved.reduce((n, f) => n + f.snapshotBytes, 0) / Math.max(1, saved.length);
  return { perEntry: ms / Math.max(1, entries), perFlush: ms / Math.max(1, picked.length), bytes };
};
const last = flushes.at(-1)?.seq ?? 0;
const early = window(1, 20);
const late = window(last - 20, last);
const time = (args: string[]) => {
  const t = performance.now();
  const r = spawnSync(process.execPath, [cli, ...args, '--registry', registry], { encoding: 'utf8' });
  return { ms: performance.now() - t, code: r.status, err: r.stderr };
};
const status = time(['status', 'long']);
const resume = time(['resume', 'long', '--max-steps', '1']);
console.log(`one run, ${last} journal events, ${flushes.length} flushes, driven in ${(driveMs / 1000).toFixed(1)} s (node ${process.version})`);
console.log(`persist cost per event    near event 10: ${early.perEntry.toFixed(3)} ms   near event ${last}: ${late.perEntry.toFixed(3)} ms   ratio ${(late.perEntry / early.perEntry).toFixed(2)}`);
console.log(`persist cost per flush    near event 10: ${early.perFlush.toFixed(3)} ms   near event ${last}: ${late.perFlush.toFixed(3)} ms`);
console.log(`snapshot size             near event 10: ${early.bytes.toFixed(0)} B    near event ${last}: ${late.bytes.toFixed(0)} B`);
console.log(`buran status on it (wall): ${status.ms.toFixed(0)} ms (exit ${status.code})`);
console.log(`buran resume --max-steps 1 on it (wall, incl. one sh worker): ${resume.ms.toFixed(0)} ms (exit ${resume.code})`);
if (status.code !== 0 || resume.code !== 6) console.error(status.err, resume.err);

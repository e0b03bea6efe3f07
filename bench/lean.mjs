#!/usr/bin/env node
// The host's own cost, side by side with what it is measured against (issue: lean host):
//   1. happy-path `buran run` overhead beyond `node -e 0`, instant workers;
//   2. `buran status` beside `node -e 0`, on a short run and on a run of ~10,000 journal events;
//   3. `buran list` on a registry of 10,000 runs;
//   4. the driver's own CPU per run in a `buran batch` (its process only, children excluded).
// Prints figures only (no pass/fail). Usage: node bench/lean.mjs [--runs N] [--events N] [--list N] [--batch N]
// (--events 0, --list 0 or --batch 0 leaves that part out; BURAN_CLI=path measures another build).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = process.env.BURAN_CLI ?? join(ROOT, 'dist', 'cli', 'main.js');
const arg = (name, fallback) => { const i = process.argv.indexOf(`--${name}`); return i === -1 ? fallback : Number(process.argv[i + 1]); };
const RUNS = arg('runs', 10);
const EVENTS = arg('events', 10_000);
const LIST = arg('list', 10_000);
const BATCH = arg('batch', 40);
const dir = mkdtempSync(join(tmpdir(), 'buran-lean-'));

const ms = (t) => Number(process.hrtime.bigint() - t) / 1e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const timed = (file, args, options = {}) => {
  const t = process.hrtime.bigint();
  const result = spawnSync(file, args, { encoding: 'utf8', ...options });
  return { ms: ms(t), result };
};
const buran = (args, options) => timed(process.execPath, [CLI, ...args], options);
const nodeBare = () => timed(process.execPath, ['-e', '0']).ms;
const rows = [];
const row = (what, value, aim) => rows.push([what, value, aim]);

// Instant workers: one sh each writing a valid completion; verification is `true`.
const writer = (extra) => ['/bin/sh', '-c', `printf '{"task_id":"%s","status":"completed","summary":"ok"${extra}}' "$BURAN_TASK_ID" > "$BURAN_COMPLETION_FILE"`];
const config = join(dir, 'config.json');
writeFileSync(config, JSON.stringify({
  workers: { implementer: { command: writer('') }, fixer: { command: writer('') }, reviewer: { command: writer(',"verdict":"PASS"') } },
  verification: { allowed_commands: ['true', 'false'] },
}));
const packetOf = (extra = {}) => ({
  task_id: 'lean', approved: true, scm_target: { repo: 'bench/lean' },
  scope: { goal: 'g', acceptance_criteria: ['a'] }, implementation: { instructions: 'i' },
  verification: { commands: ['true'] }, review: { criteria: ['r'] }, ...extra,
});
const packet = join(dir, 'packet.json');
writeFileSync(packet, JSON.stringify(packetOf()));
const workspace = join(dir, 'ws');
mkdirSync(workspace);

// 1. happy path overhead: the run's wall time less the wall time of the same children run directly.
const childEnv = { PATH: process.env.PATH, BURAN_TASK_ID: 't', BURAN_COMPLETION_FILE: join(dir, 'direct.json') };
const children = () => {
  const t = process.hrtime.bigint();
  for (const w of [writer(''), ['true'], writer(',"verdict":"PASS"')]) spawnSync(w[0], w.slice(1), { env: childEnv, stdio: 'ignore' });
  return ms(t);
};
const overhead = [];
const phases = { start: [], drive: [], end: [] };
const bare = [];
let finished = '';
let finishedRegistry = '';
for (let i = 0; i < RUNS; i++) {
  finishedRegistry = join(dir, `reg-${i}`);
  const startedAt = Date.now();
  const run = buran(['run', packet, '--config', config, '--workspace', workspace, '--registry', finishedRegistry]);
  const endedAt = Date.now();
  if (run.result.status !== 0) throw new Error(`run failed: ${run.result.stderr}`);
  finished = run.result.stdout.split('\n')[0];
  const node = nodeBare();
  bare.push(node);
  overhead.push(run.ms - children() - node);
  // Where the run's wall time went, by its journal's clock (ms): before the run's first entry, between its first and last, after.
  const entries = readFileSync(join(finishedRegistry, 'runs', finished, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => Date.parse(JSON.parse(l).at));
  phases.start.push(entries[0] - startedAt);
  phases.drive.push(entries.at(-1) - entries[0]);
  phases.end.push(endedAt - entries.at(-1));
}
row('node -e 0', median(bare), '');
row('buran run overhead beyond node -e 0 and its children', median(overhead), '≤ 100 ms');
row('  run: start to its first journal entry (node -e 0 included)', median(phases.start), '');
row('  run: first to last journal entry (children included)', median(phases.drive), '');
row('  run: last journal entry to exit', median(phases.end), '');

// 2. status on the short run, then on a run with ~EVENTS journal events (a long fix loop driven in slices).
const statusShort = [];
for (let i = 0; i < RUNS; i++) statusShort.push(buran(['status', finished, '--registry', finishedRegistry]).ms - nodeBare());
row('buran status (short run) beyond node -e 0', median(statusShort), '≤ 40 ms');
if (EVENTS > 0) {
const longRegistry = join(dir, 'reg-long');
const longConfig = join(dir, 'long.json');
writeFileSync(longConfig, JSON.stringify({
  workers: { implementer: { command: writer('') }, fixer: { command: writer('') }, reviewer: { command: writer(',"verdict":"PASS"') } },
  verification: { allowed_commands: ['false'] }, limits: { max_fix_attempts: 100, max_dispatch_retries: 0 },
}));
const longPacket = join(dir, 'long-packet.json');
writeFileSync(longPacket, JSON.stringify(packetOf({ verification: { commands: ['false'] } })));
let events = 0;
let longId = '';
for (let round = 0; events < EVENTS && round < 1000; round++) {
  const r = buran(['run', longPacket, '--config', longConfig, '--workspace', workspace, '--registry', longRegistry]);
  const id = r.result.stdout.split('\n')[0];
  if (longId === '') longId = id;
  events += readFileSync(join(longRegistry, 'runs', id, 'journal.jsonl'), 'utf8').split('\n').length - 1;
}
// One run with all of them: journals are joined into the first run's (renumbered), its snapshot kept.
const journalOf = (id) => readFileSync(join(longRegistry, 'runs', id, 'journal.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const ids = readdirSync(join(longRegistry, 'runs')).filter((n) => !n.startsWith('.'));
const first = journalOf(longId);
// Other runs' task entries keep their story under task ids of their own (the journal must not contradict itself).
const filler = ids.filter((id) => id !== longId).flatMap((id, k) => journalOf(id)
  .filter((e) => !e.type.startsWith('run.'))
  .map((e) => (typeof e.task_id === 'string' ? { ...e, task_id: `x${k}-${e.task_id}` } : e)));
const joined = [...filler.slice(0, Math.max(0, EVENTS - first.length)), ...first].map((e, i) => ({ ...e, seq: i + 1 }));
writeFileSync(join(longRegistry, 'runs', longId, 'journal.jsonl'), `${joined.map((e) => JSON.stringify(e)).join('\n')}\n`);
const snapshotPath = join(longRegistry, 'runs', longId, 'snapshot.json');
const snapshot = JSON.parse(readFileSync(snapshotPath, 'utf8'));
writeFileSync(snapshotPath, JSON.stringify({ ...snapshot, seq: joined.length }));
const statusLong = [];
for (let i = 0; i < Math.min(RUNS, 5); i++) {
  const r = buran(['status', longId, '--registry', longRegistry]);
  if (r.result.status !== 0) throw new Error(`status failed: ${r.result.stderr}`);
  statusLong.push(r.ms - nodeBare());
}
row(`buran status (${joined.length} events) beyond node -e 0`, median(statusLong), '≤ 40 ms');
}

// 3. list on LIST runs: one finished run's folder copied under LIST ids.
if (LIST > 0) {
const listRegistry = join(dir, 'reg-list');
mkdirSync(join(listRegistry, 'runs'), { recursive: true });
const source = join(finishedRegistry, 'runs', finished);
for (let i = 0; i < LIST; i++) cpSync(source, join(listRegistry, 'runs', `r${String(i).padStart(5, '0')}`), { recursive: true });
const listTimes = [];
for (let i = 0; i < 3; i++) {
  const r = buran(['list', '--registry', listRegistry], { maxBuffer: 64 * 1024 * 1024 });
  if (r.result.status !== 0) throw new Error(`list failed: ${r.result.stderr}`);
  listTimes.push(r.ms);
}
row(`buran list (${LIST} runs), wall`, median(listTimes), '≤ 300 ms');
}

// 4. the driver's own CPU per run in a batch (read from /proc while it runs: its own utime+stime).
if (BATCH > 0) {
const tick = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100;
const repo = join(dir, 'repo');
mkdirSync(repo);
const git = (...a) => execFileSync('git', a, { cwd: repo, stdio: 'ignore' });
git('init', '-q', '-b', 'main');
writeFileSync(join(repo, 'README'), 'lean\n');
git('add', '.');
git('-c', 'user.name=bench', '-c', 'user.email=bench@localhost', 'commit', '-qm', 'init');
writeFileSync(join(dir, 'list.json'), JSON.stringify({
  packets: Array.from({ length: BATCH }, (_, i) => packetOf({ task_id: `p${i}`, scm_target: { repo: 'bench/lean', base_branch: 'main', intended_branch: `buran/p${i}` }, conflict_surface: [`a/${i}/`] })),
}));
const batchStart = process.hrtime.bigint();
const child = spawn(process.execPath, [CLI, 'batch', join(dir, 'list.json'), '--config', config, '--repo', repo, '--registry', join(dir, 'reg-batch'), '--concurrency', '4'], { stdio: 'ignore' });
let cpuTicks = 0;
const sample = () => {
  try {
    const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    cpuTicks = Number(fields[11]) + Number(fields[12]);
  } catch { /* exited */ }
};
const poll = setInterval(sample, 20);
const code = await new Promise((r) => child.on('exit', r));
clearInterval(poll);
if (code !== 0) throw new Error(`batch exited ${code}`);
row(`driver CPU per run, batch of ${BATCH} (concurrency 4)`, (cpuTicks / tick) * 1000 / BATCH, '≤ 60 ms');
row(`  batch wall per run`, ms(batchStart) / BATCH, '');
}

console.log(`lean host figures (node ${process.version}, ${process.platform}; medians; children excluded where said)`);
for (const [what, value, aim] of rows) console.log(`${what.padEnd(58)} ${value.toFixed(1).padStart(8)} ms   ${aim}`);
rmSync(dir, { recursive: true, force: true });

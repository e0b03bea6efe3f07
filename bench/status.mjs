#!/usr/bin/env node
// `buran status` beside `node -e 0`, on a short finished run and on a long one, for this build and
// (optionally) another build side by side, interleaved so a shared machine's load falls on both.
// Prints figures only (no pass/fail; the aim is ≤ node -e 0 + 40 ms on both runs). Each run is
// measured as a user meets it most (status-cache.json kept from the status before) and the first
// time (the cache removed before each: the journal read whole, the records checked by their schemas).
//
// Usage: node bench/status.mjs [--runs N] [--against OTHER/dist/cli/main.js]
//          [--short REGISTRY ID] [--long REGISTRY ID] [--events N]
// Without --short/--long it builds the runs itself (a short finished run, and a fix loop driven
// until its journal has ~--events entries, as bench/lean.mjs does): slow, so pass a ready pair
// when measuring repeatedly.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const argv = process.argv;
const flag = (name) => argv.indexOf(`--${name}`);
const value = (name, fallback, at = 1) => (flag(name) === -1 ? fallback : argv[flag(name) + at]);
const RUNS = Number(value('runs', 15));
const EVENTS = Number(value('events', 10_000));
const AGAINST = value('against', undefined);

const ms = (t) => Number(process.hrtime.bigint() - t) / 1e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const timed = (args) => {
  const t = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { ms: ms(t), result };
};

const dir = mkdtempSync(join(tmpdir(), 'buran-status-bench-'));
const buran = (args) => {
  const r = timed([CLI, ...args]);
  if (r.result.status !== 0) throw new Error(`buran ${args.join(' ')} exited ${r.result.status}: ${r.result.stderr}`);
  return r;
};

function buildRuns() {
  const writer = (extra) => ['/bin/sh', '-c', `printf '{"task_id":"%s","status":"completed","summary":"ok"${extra}}' "$BURAN_TASK_ID" > "$BURAN_COMPLETION_FILE"`];
  const workers = { implementer: { command: writer('') }, fixer: { command: writer('') }, reviewer: { command: writer(',"verdict":"PASS"') } };
  const packetOf = (extra = {}) => ({
    task_id: 'lean', approved: true, scm_target: { repo: 'bench/lean' },
    scope: { goal: 'g', acceptance_criteria: ['a'] }, implementation: { instructions: 'i' },
    verification: { commands: ['true'] }, review: { criteria: ['r'] }, ...extra,
  });
  const file = (name, data) => { writeFileSync(join(dir, name), JSON.stringify(data)); return join(dir, name); };
  const workspace = join(dir, 'ws');
  mkdirSync(workspace);
  const shortRegistry = join(dir, 'reg');
  const config = file('config.json', { workers, verification: { allowed_commands: ['true'] } });
  const shortId = buran(['run', file('packet.json', packetOf()), '--config', config, '--workspace', workspace, '--registry', shortRegistry]).result.stdout.split('\n')[0];

  // The long run: a fix loop that never passes, driven in many runs whose journals are joined into the first.
  const longRegistry = join(dir, 'reg-long');
  const longConfig = file('long.json', { workers, verification: { allowed_commands: ['false'] }, limits: { max_fix_attempts: 100, max_dispatch_retries: 0 } });
  const longPacket = file('long-packet.json', packetOf({ verification: { commands: ['false'] } }));
  const journalOf = (id) => readFileSync(join(longRegistry, 'runs', id, 'journal.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  let events = 0;
  let longId = '';
  for (let round = 0; events < EVENTS && round < 1000; round++) {
    const r = timed([CLI, 'run', longPacket, '--config', longConfig, '--workspace', workspace, '--registry', longRegistry]);
    const id = r.result.stdout.split('\n')[0];
    if (longId === '') longId = id;
    events += journalOf(id).length;
  }
  const first = journalOf(longId);
  const filler = readdirSync(join(longRegistry, 'runs')).filter((id) => !id.startsWith('.') && id !== longId).flatMap((id, k) => journalOf(id)
    .filter((e) => !e.type.startsWith('run.'))
    .map((e) => (typeof e.task_id === 'string' ? { ...e, task_id: `x${k}-${e.task_id}` } : e)));
  const joined = [...filler.slice(0, Math.max(0, EVENTS - first.length)), ...first].map((e, i) => ({ ...e, seq: i + 1 }));
  writeFileSync(join(longRegistry, 'runs', longId, 'journal.jsonl'), `${joined.map((e) => JSON.stringify(e)).join('\n')}\n`);
  const snapshotPath = join(longRegistry, 'runs', longId, 'snapshot.json');
  writeFileSync(snapshotPath, JSON.stringify({ ...JSON.parse(readFileSync(snapshotPath, 'utf8')), seq: joined.length }));
  return { short: [shortRegistry, shortId], long: [longRegistry, longId] };
}

const given = flag('short') !== -1 && flag('long') !== -1;
const runs = given ? { short: [value('short', '', 1), value('short', '', 2)], long: [value('long', '', 1), value('long', '', 2)] } : buildRuns();
const events = readFileSync(join(runs.long[0], 'runs', runs.long[1], 'journal.jsonl'), 'utf8').split('\n').filter(Boolean).length;

const builds = [['this build', CLI], ...(AGAINST ? [['against', resolve(AGAINST)]] : [])];
const samples = new Map();
const add = (key, v) => samples.set(key, [...(samples.get(key) ?? []), v]);
for (let i = 0; i < RUNS; i++) {
  add('node', timed(['-e', '0']).ms);
  // Interleaved, and the order alternates, so neither build always runs right after the other.
  const order = i % 2 === 0 ? builds : [...builds].reverse();
  for (const [name, cli] of order) {
    // The cache is removed just before the run without it, which writes it again for the next.
    for (const which of ['short', 'long, no cache', 'long']) {
      const [registry, id] = runs[which === 'short' ? 'short' : 'long'];
      if (which === 'long, no cache') rmSync(join(registry, 'runs', id, 'status-cache.json'), { force: true });
      const r = timed([cli, 'status', id, '--registry', registry]);
      if (r.result.status !== 0) throw new Error(`${name} status ${which} exited ${r.result.status}: ${r.result.stderr}`);
      add(`${name}/${which}`, r.ms);
    }
  }
}
const node = median(samples.get('node'));
console.log(`buran status, medians of ${RUNS} (node ${process.version}); node -e 0 = ${node.toFixed(1)} ms`);
for (const [name] of builds) {
  for (const which of ['short', 'long', 'long, no cache']) {
    const label = `${name}: status ${which === 'short' ? 'short run' : `${events}-event run${which === 'long' ? '' : ', no cache'}`}`;
    const m = median(samples.get(`${name}/${which}`));
    console.log(`${label.padEnd(40)} ${m.toFixed(1).padStart(7)} ms  (node + ${(m - node).toFixed(1)} ms; aim node + 40)`);
  }
}
rmSync(dir, { recursive: true, force: true });

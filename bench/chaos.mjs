// Chaos: SIGKILL the driver at random instants, resume (killing again at random) until the run
// ends, and check every invariant against an uninterrupted run of the same scenario.
// Usage: node bench/chaos.mjs [cycles=20] [seed=1]    (needs `npm run build` first)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cli = process.env.BURAN_CLI ?? join(root, 'dist', 'cli', 'main.js');
const worker = join(root, 'test', 'fixtures', 'worker.mjs');
const cycles = Number(process.argv[2] ?? 20);
let seed = Number(process.argv[3] ?? 1);
const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const ROLES = ['implementer', 'fixer', 'reviewer'];

const SCENARIOS = {
  happy: { check: '0', fixerArgs: [] },
  fixLoop: { check: 'needs-fix', fixerArgs: ['--touch', 'fixed.txt'] },
};

function sandbox(name) {
  const dir = mkdtempSync(join(tmpdir(), 'buran-chaos-'));
  const ws = join(dir, 'ws');
  mkdirSync(ws);
  writeFileSync(join(ws, 'check.mjs'), "import { existsSync } from 'node:fs';\nprocess.exit(process.argv[2] === 'needs-fix' && !existsSync('fixed.txt') ? 1 : 0);\n");
  const command = `node check.mjs ${SCENARIOS[name].check}`;
  const workers = Object.fromEntries(ROLES.map((role) => [role, {
    command: ['node', worker, '--log', join(dir, `${role}.calls.jsonl`), '--sequence', role === 'reviewer' ? 'pass' : 'ok', ...(role === 'fixer' ? SCENARIOS[name].fixerArgs : [])],
  }]));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ workers, verification: { allowed_commands: [command] }, limits: { max_fix_attempts: 2 } }));
  const packet = JSON.parse(readFileSync(join(root, 'test', 'fixtures', 'packet.json'), 'utf8'));
  writeFileSync(join(dir, 'packet.json'), JSON.stringify({ ...packet, verification: { commands: [command] } }));
  return { dir, ws, registry: join(dir, 'registry') };
}

const runArgs = (sb) => ['run', join(sb.dir, 'packet.json'), '--config', join(sb.dir, 'config.json'), '--workspace', sb.ws, '--registry', sb.registry, '--run-id', 'chaos'];
const resumeArgs = (sb) => ['resume', 'chaos', '--registry', sb.registry];

/** Starts the CLI; kills it with SIGKILL after `killAfterMs` (if given); resolves to its exit code or 'killed'. */
function drive(args, killAfterMs) {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: 'ignore' });
    const timer = killAfterMs === null ? null : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('exit', (code, signal) => { if (timer) clearTimeout(timer); resolvePromise(signal === 'SIGKILL' ? 'killed' : code); });
  });
}

function ending(sb) {
  const status = JSON.parse(spawnSync(process.execPath, [cli, 'status', 'chaos', '--json', '--registry', sb.registry], { encoding: 'utf8' }).stdout);
  const events = spawnSync(process.execPath, [cli, 'events', 'chaos', '--json', '--registry', sb.registry], { encoding: 'utf8' }).stdout
    .split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const problems = [];
  events.forEach((e, i) => { if (e.seq !== i + 1) problems.push(`seq ${e.seq} at position ${i + 1}`); });
  let at = null;
  for (const e of events.filter((x) => x.type === 'run.created' || x.type === 'run.transition')) {
    if (e.from !== at) problems.push(`run transition seq ${e.seq} from ${e.from}, run was in ${at}`);
    at = e.to;
  }
  const calls = (role) => (existsSync(join(sb.dir, `${role}.calls.jsonl`)) ? readFileSync(join(sb.dir, `${role}.calls.jsonl`), 'utf8').split('\n').filter(Boolean).length : 0);
  return {
    summary: JSON.stringify({
      state: status.state, blocker: status.blocker?.code ?? null,
      completions: ROLES.map((r) => status.tasks.filter((t) => t.role === r && t.status === 'completed').length),
      starts: ROLES.map(calls),
    }),
    problems,
  };
}

const reference = {};
for (const name of Object.keys(SCENARIOS)) {
  const sb = sandbox(name);
  if ((await drive(runArgs(sb), null)) !== 0) throw new Error(`reference run of ${name} did not reach ready_for_manual_review`);
  reference[name] = ending(sb).summary;
  rmSync(sb.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
}

let kills = 0;
let resumes = 0;
const violations = [];
const started = Date.now();
for (let cycle = 1; cycle <= cycles; cycle++) {
  const name = cycle % 2 === 1 ? 'happy' : 'fixLoop';
  const sb = sandbox(name);
  let outcome = await drive(runArgs(sb), Math.floor(random() * 700));
  if (outcome === 'killed') kills++;
  for (let attempt = 0; outcome !== 0 && attempt < 40; attempt++) {
    // Killed before the run was recorded: nothing to resume, so the user runs it again.
    const recorded = existsSync(join(sb.registry, 'runs', 'chaos'));
    if (recorded) resumes++;
    outcome = await drive(recorded ? resumeArgs(sb) : runArgs(sb), random() < 0.5 ? Math.floor(random() * 500) : null);
    if (outcome === 'killed') kills++;
  }
  const got = ending(sb);
  const bad = [...got.problems, ...(outcome !== 0 ? [`never finished (last exit ${outcome})`] : []), ...(got.summary !== reference[name] ? [`ended ${got.summary}, expected ${reference[name]}`] : [])];
  if (bad.length > 0) violations.push(`cycle ${cycle} (${name}, kept in ${sb.dir}): ${bad.join('; ')}`);
  // Retried: a killed driver's log relay may still be finishing a log there (for its grace period).
  else rmSync(sb.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
}
console.log(`chaos (seed ${process.argv[3] ?? 1}): ${cycles} cycles, ${kills} SIGKILLs, ${resumes} resumes, ${violations.length} violations, ${((Date.now() - started) / 1000).toFixed(1)} s`);
for (const v of violations) console.log(`  ${v}`);
process.exitCode = violations.length === 0 ? 0 : 1;

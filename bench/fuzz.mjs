// Fuzz: random and hostile packets, packet lists and configs through the built CLI (validate, run,
// batch), counting exit codes. The promise checked: no internal error (exit 1 or "internal error"),
// no hang (each call is bounded), no secret echoed, and only documented exit codes.
// Usage: node bench/fuzz.mjs [packets=2000] [configs=200] [seed=1]    (needs `npm run build` first)
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cli = process.env.BURAN_CLI ?? join(root, 'dist', 'cli', 'main.js');
const worker = join(root, 'test', 'fixtures', 'worker.mjs');
const packetCount = Number(process.argv[2] ?? 2000);
const configCount = Number(process.argv[3] ?? 200);
const seed = Number(process.argv[4] ?? 1);
const SECRET = 'ghp_fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzz12';
const PER_LIST = 100;

const dir = mkdtempSync(join(tmpdir(), 'buran-fuzz-'));
const ws = join(dir, 'ws');
mkdirSync(ws);
writeFileSync(join(ws, 'check.mjs'), 'process.exit(0)\n');

// Values that have broken parsers before: deep nesting, odd Unicode, control characters, huge
// numbers, path tricks, shell syntax, branch-name tricks, secrets.
const hostileText = fc.oneof(
  fc.string(), fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.constantFrom('', ' ', '\u00a0', '\uFEFF', '..', '../../etc', 'src/../lib', '-b', '--upload-pack=x', 'bad..ref~^:', 'a\\\nb', '$(rm -rf /)',
    'x'.repeat(10_000), `Bearer ${SECRET}`, `postgres://u:${SECRET}@h/db`, 'HEAD', '@{-1}', 'a.lock', '\u0000', '%ff', '<script>'),
);
const anyJson = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, hostileText, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(hostileText, tie('value'), { maxKeys: 3 })),
})).value;
const texts = fc.array(hostileText, { maxLength: 3 });
// Mostly well-formed (so runs get past validation), sometimes anything at all, sometimes absent.
const maybe = (arb) => fc.oneof({ arbitrary: arb, weight: 6 }, { arbitrary: anyJson, weight: 1 }, { arbitrary: fc.constant(undefined), weight: 2 });

const packet = fc.record({
  task_id: maybe(hostileText), approved: maybe(fc.boolean()),
  scm_target: maybe(fc.record({ repo: maybe(hostileText), base_branch: maybe(hostileText), intended_branch: maybe(hostileText) })),
  scope: maybe(fc.record({ goal: maybe(hostileText), acceptance_criteria: maybe(texts), non_goals: maybe(texts) })),
  implementation: maybe(fc.record({ instructions: maybe(hostileText) })),
  verification: maybe(fc.record({ commands: maybe(texts), expectations: maybe(hostileText) })),
  review: maybe(fc.record({ criteria: maybe(texts) })),
  conflict_surface: maybe(texts), limits: maybe(fc.record({ max_fix_attempts: maybe(fc.integer({ min: -5, max: 200 })) })),
  extra: maybe(anyJson),
}, { requiredKeys: [] });

const duration = fc.oneof(fc.integer({ min: -1, max: 10 }), fc.integer({ min: 2 ** 31 - 2, max: 2 ** 31 + 2 }), fc.constant(6.4e9), fc.constant(1e300), fc.double(), hostileText);
const workerConfig = fc.record({
  command: maybe(fc.constant(['node', worker, '--sequence', 'ok'])), preset: maybe(fc.constantFrom('claude', 'codex', 'gemini')),
  timeout_ms: maybe(duration), idle_timeout_ms: maybe(duration), env: maybe(fc.array(hostileText, { maxLength: 2 })),
  extra_args: maybe(fc.array(hostileText, { maxLength: 2 })),
}, { requiredKeys: [] });
const config = fc.record({
  workers: maybe(fc.record({ implementer: maybe(workerConfig), fixer: maybe(workerConfig), reviewer: maybe(workerConfig) }, { requiredKeys: [] })),
  verification: maybe(fc.record({ timeout_ms: maybe(duration), allowed_commands: maybe(texts) }, { requiredKeys: [] })),
  limits: maybe(fc.record({ max_fix_attempts: maybe(fc.integer({ min: -1, max: 101 })), max_dispatch_retries: maybe(fc.integer({ min: -1, max: 101 })) }, { requiredKeys: [] })),
  lease: maybe(fc.record({ ttl_ms: maybe(duration), wait_ms: maybe(duration), poll_ms: maybe(duration) }, { requiredKeys: [] })),
  handoff: maybe(fc.record({ kind: maybe(fc.constantFrom('local', 'git-branch', 'github-pr', 'ftp')), allowed_repos: maybe(texts) }, { requiredKeys: [] })),
}, { requiredKeys: [] });

const DOCUMENTED = new Set([0, 2, 3, 4, 5, 6]);
const counts = new Map();
const problems = [];
let calls = 0;

function cliCall(args) {
  return new Promise((done) => {
    execFile(process.execPath, [cli, ...args], { cwd: dir, timeout: 60_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, BURAN_KILL_GRACE_MS: '200' } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : `signal ${error.signal}`) : 0;
      done({ code, stdout, stderr });
    });
  });
}

async function check(label, args, detail) {
  const r = await cliCall(args);
  calls++;
  const key = `${args[0]} ${r.code}`;
  counts.set(key, (counts.get(key) ?? 0) + 1);
  const bad = !DOCUMENTED.has(r.code) || /internal error/.test(r.stderr) || (r.stdout + r.stderr).includes(SECRET);
  if (bad && problems.length < 20) problems.push(`${label} → ${r.code}: ${r.stderr.slice(0, 300)} (${detail.slice(0, 300)})`);
}

const started = Date.now();
const packets = fc.sample(packet, { numRuns: packetCount, seed });
const configs = fc.sample(config, { numRuns: configCount, seed: seed + 1 });
const goodConfig = join(dir, 'good.json');
writeFileSync(goodConfig, JSON.stringify({ workers: { implementer: { command: ['node', worker, '--sequence', 'ok'] }, reviewer: { command: ['node', worker, '--sequence', 'pass'] } }, verification: { allowed_commands: ['node check.mjs'] } }));

// Packets: validate in lists of PER_LIST (and each list's first 3 one by one), then a few runs.
for (let i = 0; i < packets.length; i += PER_LIST) {
  const list = join(dir, `list-${i}.json`);
  const chunk = packets.slice(i, i + PER_LIST);
  writeFileSync(list, JSON.stringify({ packets: chunk }));
  await check(`validate list ${i}`, ['validate', list, '--json'], list);
  for (const [j, p] of chunk.slice(0, 3).entries()) {
    const one = join(dir, `packet-${i + j}.json`);
    writeFileSync(one, JSON.stringify(p));
    await check(`validate packet ${i + j}`, ['validate', one], JSON.stringify(p));
    await check(`run packet ${i + j}`, ['run', one, '--config', goodConfig, '--workspace', ws, '--registry', join(dir, 'reg'), '--until', 'running'], JSON.stringify(p));
  }
}
// A deep document, and a BOM.
let deep = '1';
for (let i = 0; i < 5000; i++) deep = `{"k":${deep}}`;
writeFileSync(join(dir, 'deep.json'), `{"task_id":"d","x":${deep}}`);
await check('validate deep', ['validate', join(dir, 'deep.json')], 'deep');
await check('run deep', ['run', join(dir, 'deep.json'), '--config', goodConfig, '--workspace', ws, '--registry', join(dir, 'reg')], 'deep');
// Configs: each checked by a run stopped before any worker.
const simple = join(dir, 'simple-packet.json');
writeFileSync(simple, JSON.stringify({ task_id: 'f', approved: true, scm_target: { repo: 'a/b' }, scope: { goal: 'g', acceptance_criteria: ['a'] }, implementation: { instructions: 'i' }, verification: { commands: ['node check.mjs'] }, review: { criteria: ['r'] } }));
for (const [i, c] of configs.entries()) {
  const path = join(dir, `config-${i}.json`);
  writeFileSync(path, JSON.stringify(c));
  await check(`config ${i}`, ['run', simple, '--config', path, '--workspace', ws, '--registry', join(dir, 'reg'), '--until', 'running'], JSON.stringify(c));
}
const seconds = ((Date.now() - started) / 1000).toFixed(1);
console.log(`fuzz (seed ${seed}): ${packets.length} packets (${Math.ceil(packets.length / PER_LIST)} lists, ${Math.ceil(packets.length / PER_LIST) * 3} one by one and run), ${configs.length} configs, ${calls} CLI calls, ${problems.length} problems, ${seconds} s`);
console.log(`exit codes: ${[...counts.entries()].sort().map(([k, v]) => `${k}:${v}`).join('  ')}`);
for (const p of problems) console.log(`  ${p}`);
if (problems.length === 0) rmSync(dir, { recursive: true, force: true });
else console.log(`  (kept in ${dir})`);
process.exitCode = problems.length === 0 ? 0 : 1;

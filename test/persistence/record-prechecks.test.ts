// The plain prechecks of run.json and snapshot.json (what status reads without loading zod) accept
// only what the zod schemas accept, and give exactly the value the schema gives (keys, order, values).
// Whatever they are unsure of goes to the schema, so a damaged record is refused as before.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigSchema, MAX_TIMER_MS } from '../../schemas/config.ts';
import { RunMetaSchema, SnapshotEnvelopeSchema } from '../../persistence/records.ts';
import { UNSURE, precheckConfig, precheckRunMeta, precheckSnapshot } from '../../persistence/record-prechecks.ts';
import { WEEK_MS } from '../../schemas/config-limits.ts';
import { envelopeFor, metaFor } from './registry-fixtures.ts';
import { makeSandbox, runIn, writeConfig, writePacket } from '../helpers/sandbox.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const word = fc.constantFrom('a', 'x y', 'A_B', '1BAD', 'owner/name', 'acme/widgets', 'GH_TOKEN', '', 'claude', 'codex', 'local', 'git-branch', 'github-pr', 'origin');
const edge = fc.constantFrom(0, 1, -1, 2, 1.5, 100, 101, 10_000, 10_001, 60_000, 60_001, 3_600_000, 3_600_001, 86_400_000, 86_400_001,
  WEEK_MS, WEEK_MS + 1, MAX_TIMER_MS, MAX_TIMER_MS + 1, Number.MAX_SAFE_INTEGER + 1);
// Mostly values every duration and budget takes, so that most documents are valid configs.
const bound = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(1, 2, 100, 60_000) }, { weight: 1, arbitrary: edge });
/** Values a record may hold where something else belongs: the edges of every rule. */
const oddValue: fc.Arbitrary<Json> = fc.oneof(
  word, edge, fc.constantFrom<Json>(null, true, false, [], [''], [[]], [['npm']], ['a'], {}, { command: ['x'] }, { preset: 'claude' }),
  fc.array(word, { maxLength: 3 }), fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
);
const oddKey = fc.constantFrom('//', '__proto__', 'extra', 'command', 'preset', 'program', 'model', 'env', 'remote', 'repo', 'max_cost_usd', 'agents', 'runner', 'value', '0');

/** Every path to a value inside a JSON document. */
function paths(doc: Json, at: Array<string | number> = []): Array<Array<string | number>> {
  const inner = Array.isArray(doc) ? doc.flatMap((v, i) => paths(v, [...at, i]))
    : doc !== null && typeof doc === 'object' ? Object.entries(doc).flatMap(([k, v]) => paths(v, [...at, k])) : [];
  return [at, ...inner];
}

type Mutation = { kind: 'set' | 'delete' | 'add'; pick: number; value: Json; key: string };
const mutation: fc.Arbitrary<Mutation> = fc.record({ kind: fc.constantFrom('set', 'delete', 'add'), pick: fc.nat(), value: oddValue, key: oddKey });

function mutate(doc: Json, m: Mutation): Json {
  const copy = JSON.parse(JSON.stringify(doc)) as Json;
  const all = paths(copy);
  const path = all[m.pick % all.length]!;
  if (path.length === 0) return m.kind === 'set' ? m.value : copy;
  const parent = path.slice(0, -1).reduce<any>((node, k) => node[k], copy);
  const last = path.at(-1)!;
  if (m.kind === 'set') parent[last] = m.value;
  else if (m.kind === 'delete') Array.isArray(parent) ? parent.splice(Number(last), 1) : delete parent[last];
  else if (parent !== null && typeof parent === 'object' && !Array.isArray(parent)) Object.defineProperty(parent, m.key, { value: m.value, enumerable: true, configurable: true, writable: true });
  // Through JSON, as a record is read.
  return JSON.parse(JSON.stringify(copy)) as Json;
}

const EDGES: Json[] = [null, true, false, 0, 1, -1, 2, 1.5, 100, 101, 10_000, 10_001, 60_000, 60_001, 3_600_000, 3_600_001, 86_400_000, 86_400_001,
  WEEK_MS, WEEK_MS + 1, MAX_TIMER_MS, MAX_TIMER_MS + 1, Number.MAX_SAFE_INTEGER + 1, '', 'a', '1BAD', 'A_B', 'owner/name', 'claude', 'codex',
  'local', 'git-branch', 'github-pr', [], [''], ['a'], [[]], [['npm']], {}, { run_id: 'r1' }, { task_id: 't' }];
const KEYS = ['//', '__proto__', 'extra', 'command', 'preset', 'program', 'model', 'max_turns', 'env', 'remote', 'repo', 'max_cost_usd', 'agents', 'runner', '0'];

/** Every document one change away: each value set to each edge, each key removed, each object given each odd key. */
function oneChangeAway(doc: Json): Json[] {
  const out: Json[] = [];
  for (const [i] of paths(doc).entries()) {
    for (const value of EDGES) out.push(mutate(doc, { kind: 'set', pick: i, value, key: '' }));
    out.push(mutate(doc, { kind: 'delete', pick: i, value: null, key: '' }));
    for (const key of KEYS) out.push(mutate(doc, { kind: 'add', pick: i, value: 'x', key }));
  }
  return out;
}

/** The property: a precheck that answers gives what the schema gives; anything it refuses is the schema's to judge. */
function agrees(precheck: (raw: unknown) => unknown, schema: { safeParse(raw: unknown): { success: boolean; data?: unknown } }, raw: unknown): void {
  const quick = precheck(raw);
  if (quick === UNSURE) return;
  const parsed = schema.safeParse(raw);
  expect(parsed.success, JSON.stringify(raw)).toBe(true);
  // Same keys in the same order, same values.
  expect(JSON.stringify(quick)).toBe(JSON.stringify(parsed.data));
}

const worker = fc.oneof(
  fc.record({ command: fc.array(word.filter((w) => w !== ''), { minLength: 1, maxLength: 3 }), timeout_ms: fc.option(bound, { nil: undefined }), env: fc.option(fc.array(word), { nil: undefined }) }, { requiredKeys: ['command'] }),
  fc.record({
    preset: fc.constantFrom('claude', 'codex'), model: fc.option(word, { nil: undefined }), max_turns: fc.option(bound, { nil: undefined }),
    max_budget_usd: fc.option(bound, { nil: undefined }), extra_args: fc.option(fc.array(word), { nil: undefined }), continue_session: fc.option(fc.boolean(), { nil: undefined }),
    program: fc.option(word, { nil: undefined }), idle_timeout_ms: fc.option(bound, { nil: undefined }), '//': fc.option(word, { nil: undefined }),
  }, { requiredKeys: ['preset'] }),
);
/** Config documents as people write them (most valid, some not); the schema makes the frozen form. */
const configDoc = fc.record({
  '//': fc.option(fc.oneof(word, fc.array(word)), { nil: undefined }),
  $schema: fc.option(word, { nil: undefined }),
  workers: fc.record({ implementer: worker, fixer: worker, reviewer: worker }, { requiredKeys: [] }),
  verification: fc.record({ timeout_ms: bound, allowed_commands: fc.array(word) }, { requiredKeys: [] }),
  limits: fc.record({ max_fix_attempts: bound, max_dispatch_retries: bound, max_cost_usd: bound, max_quota_wait_ms: bound, agent_backoff_ms: bound }, { requiredKeys: [] }),
  lease: fc.record({ ttl_ms: bound, wait_ms: bound, poll_ms: bound }, { requiredKeys: [] }),
  workspace: fc.record({ repo: word, setup: fc.array(fc.array(word, { maxLength: 2 }), { maxLength: 2 }), setup_timeout_ms: bound }, { requiredKeys: [] }),
  fleet: fc.record({ dead_after_ms: bound, remote: word }, { requiredKeys: [] }),
  handoff: fc.record({ kind: fc.constantFrom('local', 'git-branch', 'github-pr'), remote: word, gh: word, allowed_repos: fc.array(word, { maxLength: 2 }), env: fc.array(word, { maxLength: 2 }) }, { requiredKeys: [] }),
}, { requiredKeys: [] }).map((doc) => JSON.parse(JSON.stringify(doc)) as Json);

/** Frozen configs: what the schema makes of the documents it accepts (what run.json holds); a plain one for the others. */
const PLAIN = ConfigSchema.parse({ workers: { implementer: { command: ['x'] } } });
const frozenConfig = configDoc.map((doc) => {
  const parsed = ConfigSchema.safeParse(doc);
  return JSON.parse(JSON.stringify(parsed.success ? parsed.data : PLAIN)) as Json;
});

/** Frozen configs of every kind of worker and handoff, with notes. */
const KINDS: Json[] = [
  PLAIN,
  { '//': ['a note'], $schema: 's', workers: { implementer: { preset: 'claude', model: 'm', max_turns: 3, max_budget_usd: 1.5, extra_args: ['-v'], continue_session: false, program: 'p', idle_timeout_ms: 1000 }, reviewer: { command: ['x'], env: ['GH_TOKEN'] } },
    limits: { max_cost_usd: 2 }, workspace: { repo: 'r', setup: [['npm', 'ci']] }, fleet: { remote: 'origin' }, handoff: { kind: 'github-pr', allowed_repos: ['acme/widgets'], env: ['GH_TOKEN'] } },
  { workers: { fixer: { preset: 'codex' } }, handoff: { kind: 'git-branch' }, verification: { '//': 'n', allowed_commands: ['npm test'] } },
].map((doc) => JSON.parse(JSON.stringify(ConfigSchema.parse(doc))) as Json);

describe('record prechecks', () => {
  it('every record one change away from a sound one: accepted only as the schema accepts it', () => {
    for (const config of KINDS) {
      expect(precheckConfig(config)).not.toBe(UNSURE);
      for (const changed of oneChangeAway(config)) agrees(precheckConfig, ConfigSchema, changed);
      const meta = JSON.parse(JSON.stringify({ ...metaFor('r1'), config })) as Json;
      expect(precheckRunMeta(meta)).not.toBe(UNSURE);
      for (const changed of oneChangeAway(meta)) agrees(precheckRunMeta, RunMetaSchema, changed);
    }
    const envelope = JSON.parse(JSON.stringify(envelopeFor('r1', 3, 'queued', '2026-01-01T00:00:00.000Z', { epoch: 1, extra: { a: [1] } }))) as Json;
    for (const changed of oneChangeAway(envelope)) agrees(precheckSnapshot, SnapshotEnvelopeSchema, changed);
  });

  it('accept every frozen config, as the schema gives it', () => {
    fc.assert(fc.property(frozenConfig, (config) => {
      expect(precheckConfig(config)).not.toBe(UNSURE);
      agrees(precheckConfig, ConfigSchema, config);
    }), { numRuns: 400 });
  });

  it('a config document, or a frozen config changed anywhere: accepted only as the schema accepts it', () => {
    fc.assert(fc.property(configDoc, (doc) => agrees(precheckConfig, ConfigSchema, doc)), { numRuns: 400 });
    fc.assert(fc.property(frozenConfig, fc.array(mutation, { minLength: 1, maxLength: 3 }), (config, changes) => {
      agrees(precheckConfig, ConfigSchema, changes.reduce(mutate, config));
    }), { numRuns: 2000 });
  });

  it('run.json changed anywhere (its config, its plan, its settings): accepted only as the schema accepts it', () => {
    const meta = JSON.parse(JSON.stringify(metaFor('r1'))) as Json;
    expect(precheckRunMeta(meta)).not.toBe(UNSURE);
    agrees(precheckRunMeta, RunMetaSchema, meta);
    fc.assert(fc.property(frozenConfig, fc.array(mutation, { minLength: 0, maxLength: 3 }), (config, changes) => {
      const withConfig = { ...(meta as Record<string, Json>), config };
      agrees(precheckRunMeta, RunMetaSchema, changes.reduce(mutate, withConfig as Json));
    }), { numRuns: 2000 });
  });

  it('snapshot.json changed anywhere: accepted only as the schema accepts it', () => {
    const envelope = JSON.parse(JSON.stringify(envelopeFor('r1', 3, 'queued', '2026-01-01T00:00:00.000Z', { epoch: 1, extra: { a: [1] } }))) as Json;
    expect(precheckSnapshot(envelope)).not.toBe(UNSURE);
    agrees(precheckSnapshot, SnapshotEnvelopeSchema, envelope);
    fc.assert(fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (changes) => {
      agrees(precheckSnapshot, SnapshotEnvelopeSchema, changes.reduce(mutate, envelope));
    }), { numRuns: 2000 });
  });

  it('are sure of the records a real run writes (so status reads them without zod)', async () => {
    const sb = makeSandbox();
    const config = writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] });
    expect((await runIn(sb, config, writePacket(sb), ['--run-id', 'real'])).code).toBe(0);
    const record = (name: string) => JSON.parse(readFileSync(join(sb.registry, 'runs', 'real', name), 'utf8'));
    expect(precheckRunMeta(record('run.json'))).toEqual(RunMetaSchema.parse(record('run.json')));
    expect(precheckSnapshot(record('snapshot.json'))).toEqual(SnapshotEnvelopeSchema.parse(record('snapshot.json')));
  });
});

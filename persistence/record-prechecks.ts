import { ENV_NAME, HANDOFF_KINDS, MAX_TIMER_MS, PRESETS, PRESET_ONLY, REPO_NAME, WEEK_MS } from '../schemas/config-limits.ts';
import type { Config } from '../schemas/config.ts';
import type { RunMeta, SnapshotEnvelope } from './records.ts';
import { SCHEMA_VERSION } from './schema-version.ts';

/**
 * Plain checks of run.json and snapshot.json as this build writes them, so that a command that
 * only reads a run (status) need not load zod and build every schema (about 30 ms of a ~40 ms
 * budget here). They answer "certainly valid" with the very value the schema would return (same
 * keys, same order, defaults already in the record), or UNSURE; on UNSURE the caller parses with
 * the zod schema, which decides, and names what is wrong. So a damaged record is refused exactly
 * as before: these checks only accept what the schema accepts (test/persistence/record-prechecks
 * holds them to that), never the other way round. A record in an older shape (a default not yet
 * written, a `//` note, an unknown key) is simply UNSURE.
 */
export const UNSURE: unique symbol = Symbol('unsure');
type Check<T> = (value: unknown) => T | typeof UNSURE;

/** run.json, or UNSURE. */
export function precheckRunMeta(raw: unknown): RunMeta | typeof UNSURE {
  return runMeta(raw);
}

/** snapshot.json, or UNSURE. */
export function precheckSnapshot(raw: unknown): SnapshotEnvelope | typeof UNSURE {
  return snapshot(raw);
}

/** A frozen config (run.json's `config`), or UNSURE. */
export function precheckConfig(raw: unknown): Config | typeof UNSURE {
  return config(raw);
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const str = (min = 0): Check<string> => (v) => (typeof v === 'string' && v.length >= min ? v : UNSURE);
const matching = (pattern: RegExp): Check<string> => (v) => (typeof v === 'string' && pattern.test(v) ? v : UNSURE);
const int = (min: number, max: number = Number.MAX_SAFE_INTEGER): Check<number> => (v) =>
  (Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max ? (v as number) : UNSURE);
const positive: Check<number> = (v) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : UNSURE);
const bool: Check<boolean> = (v) => (typeof v === 'boolean' ? v : UNSURE);
const oneOf = <T extends string>(values: readonly T[]): Check<T> => (v) => (values.includes(v as T) ? (v as T) : UNSURE);
const nullable = <T>(check: Check<T>): Check<T | null> => (v) => (v === null ? null : check(v));
const anything: Check<unknown> = (v) => v;

function array<T>(item: Check<T>, min = 0): Check<T[]> {
  return (v) => {
    if (!Array.isArray(v) || v.length < min) return UNSURE;
    const out: T[] = [];
    for (const x of v) {
      const checked = item(x);
      if (checked === UNSURE) return UNSURE;
      out.push(checked);
    }
    return out;
  };
}

/** A key that may be absent (zod `optional`); every other key of a shape must be there. */
interface Optional<T> { optional: Check<T> }
const optional = <T>(check: Check<T>): Optional<T> => ({ optional: check });
type Shape = Record<string, Check<unknown> | Optional<unknown>>;

/**
 * An object with these keys, rebuilt in the shape's order as zod does. `strict`: any other key is
 * UNSURE (zod refuses it); `strip`: other keys are dropped; `loose`: kept, after the shape's keys.
 */
function object<T>(shape: Shape, mode: 'strict' | 'strip' | 'loose'): Check<T> {
  const keys = Object.keys(shape);
  return (v) => {
    if (!isPlainObject(v)) return UNSURE;
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      const rule = shape[key]!;
      if (!Object.hasOwn(v, key)) {
        if (typeof rule === 'function') return UNSURE;
        continue;
      }
      const checked = (typeof rule === 'function' ? rule : rule.optional)(v[key]);
      if (checked === UNSURE) return UNSURE;
      out[key] = checked;
    }
    for (const key of Object.keys(v)) {
      if (Object.hasOwn(shape, key)) continue;
      // A key named __proto__ is zod's own special case: left to it.
      if (mode === 'strict' || key === '__proto__') return UNSURE;
      if (mode === 'loose') out[key] = v[key];
    }
    return out as T;
  };
}

const note = optional<string | string[]>((v) => (typeof v === 'string' ? v : array(str())(v)));
const duration = (min: 0 | 1, max: number = MAX_TIMER_MS) => int(min, max);

const workerFields = object<Record<string, unknown>>({
  '//': note,
  command: optional(array(str(1), 1)),
  preset: optional(oneOf(PRESETS)),
  timeout_ms: duration(1, WEEK_MS),
  idle_timeout_ms: optional(duration(1, WEEK_MS)),
  env: array(matching(ENV_NAME)),
  program: optional(str(1)),
  model: optional(str(1)),
  max_turns: optional(int(1, 10_000)),
  max_budget_usd: optional(positive),
  extra_args: optional(array(str())),
  continue_session: optional(bool),
}, 'strict');

// The worker schema's own rules: a command or a preset, not both; preset-only settings on a preset.
const worker: Check<unknown> = (v) => {
  const w = workerFields(v);
  if (w === UNSURE || !w.command === !w.preset) return UNSURE;
  if (!w.preset && PRESET_ONLY.some((key) => w[key] !== undefined)) return UNSURE;
  return w;
};

const handoffFields = object<{ kind: string; allowed_repos: string[] }>({
  '//': note,
  kind: oneOf(HANDOFF_KINDS),
  remote: str(1),
  gh: str(1),
  allowed_repos: array(matching(REPO_NAME)),
  env: array(matching(ENV_NAME)),
}, 'strict');

const handoff: Check<unknown> = (v) => {
  const h = handoffFields(v);
  return h === UNSURE || (h.kind === 'github-pr' && h.allowed_repos.length === 0) ? UNSURE : h;
};

const config = object<Config>({
  $schema: optional(str()),
  '//': note,
  workers: object({ implementer: optional(worker), fixer: optional(worker), reviewer: optional(worker) }, 'strict'),
  verification: object({ '//': note, timeout_ms: duration(1), allowed_commands: array(str(1)) }, 'strict'),
  limits: object({
    '//': note,
    max_fix_attempts: int(0, 100),
    max_dispatch_retries: int(0, 100),
    max_cost_usd: optional(positive),
    max_quota_wait_ms: duration(0, WEEK_MS),
    agent_backoff_ms: duration(1, 3_600_000),
  }, 'strict'),
  lease: object({ '//': note, ttl_ms: duration(1), wait_ms: duration(0, WEEK_MS), poll_ms: duration(1, 60_000) }, 'strict'),
  workspace: object({ '//': note, repo: optional(str(1)), setup: array(array(str(1), 1)), setup_timeout_ms: duration(1, 24 * 3600_000) }, 'strict'),
  fleet: object({ '//': note, dead_after_ms: duration(1, 3_600_000), remote: optional(str(1)) }, 'strict'),
  handoff,
}, 'strict');

const version: Check<typeof SCHEMA_VERSION> = (v) => (v === SCHEMA_VERSION ? SCHEMA_VERSION : UNSURE);
const anyInt = int(Number.MIN_SAFE_INTEGER);

const runMeta = object<RunMeta>({
  schema_version: version,
  run_id: str(1),
  created_at: str(),
  packet_source: str(),
  config_source: nullable(str()),
  workspace: str(1),
  repo: nullable(str()),
  runner: optional(bool),
  retry_of: nullable(str()),
  config,
  input: object({
    run_id: str(),
    // The plan is the frozen packet's: checked as the schema does (an object with a task_id), kept as it is.
    plan: (v) => (isPlainObject(v) && typeof v.task_id === 'string' ? v : UNSURE),
    missing: array(object({ item: str(), message: str() }, 'strip')),
    settings: object({
      roles: object({ implementer: bool, fixer: bool, reviewer: bool }, 'strip'),
      max_fix_attempts: anyInt,
      max_dispatch_retries: anyInt,
      allowed_commands: array(str()),
      lease_wait_ms: anyInt,
      handoff: object({ kind: oneOf(HANDOFF_KINDS), allowed_repos: array(str()) }, 'strip'),
      setup: bool,
      agents: optional(object({ max_cost_usd: nullable((v) => (typeof v === 'number' && Number.isFinite(v) ? v : UNSURE)), max_quota_wait_ms: anyInt, backoff_ms: anyInt }, 'strip')),
    }, 'strip'),
  }, 'strip'),
}, 'strip');

const snapshot = object<SnapshotEnvelope>({
  schema_version: version,
  run_id: str(),
  seq: int(0),
  state: str(),
  updated_at: str(),
  snapshot: object({ status: str(), value: anything, context: object({ run_id: str() }, 'loose') }, 'loose'),
}, 'strip');

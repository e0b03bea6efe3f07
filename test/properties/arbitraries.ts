// fast-check arbitraries shared by the parser property tests: valid documents, and ways to break one field of them.
import fc from 'fast-check';

/** A non-empty text with something besides blanks (what the schemas accept after trimming). */
export const text = fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s.trim().length > 0);
const texts = (min = 0) => fc.array(text, { minLength: min, maxLength: 3 });

/** One wrong value for a packet field of the given kind: another JSON type, a blank text, one bad array entry, an out-of-range number. */
export const badValue = (kind: 'text' | 'texts' | 'budget') => {
  const common = [fc.boolean(), fc.constant(null), fc.dictionary(fc.string(), fc.integer(), { maxKeys: 2 })];
  if (kind === 'text') return fc.oneof(fc.integer(), fc.constant(''), fc.constant('   '), fc.integer().map((n) => [n]), ...common);
  if (kind === 'texts') return fc.oneof(fc.integer(), text, fc.oneof(fc.integer(), fc.constant(''), fc.constant(' ')).map((x) => ['ok', x]), ...common);
  return fc.oneof(fc.integer({ max: -1 }), fc.integer({ min: 101 }), fc.constant(1.5), text, ...common);
};

/** A branch name git accepts (`git check-ref-format --branch`), as the packet check requires. */
export const branchName = fc.stringMatching(/^[a-z][a-z0-9_-]{0,10}(\/[a-z0-9][a-z0-9_-]{0,8})?$/);
/** A conflict surface inside the repository (no `..` leaving it). */
export const surfacePath = fc.array(fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,6}$/), { minLength: 1, maxLength: 3 }).map((p) => p.join('/'));

/** A packet that CONTRACT 2 calls sufficient. */
export const validPacket = fc.record({
  task_id: text,
  approved: fc.constant(true),
  scm_target: fc.record({ repo: text, base_branch: branchName, intended_branch: branchName }),
  scope: fc.record({ goal: text, acceptance_criteria: texts(1), non_goals: texts() }),
  implementation: fc.record({ instructions: text }),
  verification: fc.record({ commands: texts(1), expectations: fc.string({ maxLength: 10 }) }),
  review: fc.record({ criteria: texts(1) }),
  conflict_surface: fc.array(surfacePath, { maxLength: 3 }),
  limits: fc.record({ max_fix_attempts: fc.integer({ min: 0, max: 100 }) }),
});

/** Field paths of a packet whose value a corruption may replace, with their kind. */
export const PACKET_FIELDS = {
  task_id: 'text', 'scm_target.repo': 'text', 'scm_target.base_branch': 'text', 'scope.goal': 'text', 'scope.acceptance_criteria': 'texts',
  'scope.non_goals': 'texts', 'implementation.instructions': 'text', 'verification.commands': 'texts', 'review.criteria': 'texts',
  conflict_surface: 'texts', 'limits.max_fix_attempts': 'budget',
} as const;
export type PacketField = keyof typeof PACKET_FIELDS;

/** A field and one wrong value for it. */
export const packetCorruption = fc.constantFrom(...(Object.keys(PACKET_FIELDS) as PacketField[]))
  .chain((field) => badValue(PACKET_FIELDS[field]).map((bad) => ({ field, bad })));

/** Returns a deep copy of `doc` with the value at a dotted path replaced. */
export function setPath(doc: unknown, path: string, value: unknown): any {
  const copy = structuredClone(doc) as any;
  const keys = path.split('.');
  let node = copy;
  for (const k of keys.slice(0, -1)) node = node[k];
  node[keys.at(-1)!] = value;
  return copy;
}

const worker = fc.record(
  { command: fc.array(text, { minLength: 1, maxLength: 3 }), timeout_ms: fc.integer({ min: 1, max: 7 * 24 * 3600_000 }), env: fc.array(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/), { maxLength: 2 }) },
  { requiredKeys: ['command'] },
);

/** A config that CONTRACT 3 accepts (every part optional, defaults fill the rest). */
export const validConfig = fc.record(
  {
    workers: fc.record({ implementer: worker, fixer: worker, reviewer: worker }, { requiredKeys: [] }),
    verification: fc.record({ timeout_ms: fc.integer({ min: 1, max: 2 ** 31 - 1 }), allowed_commands: texts() }, { requiredKeys: [] }),
    limits: fc.record({ max_fix_attempts: fc.integer({ min: 0, max: 100 }), max_dispatch_retries: fc.integer({ min: 0, max: 100 }) }, { requiredKeys: [] }),
    lease: fc.record({ ttl_ms: fc.integer({ min: 1, max: 2 ** 31 - 1 }) }, { requiredKeys: [] }),
    handoff: fc.record({ kind: fc.constant('local') }, { requiredKeys: [] }),
  },
  { requiredKeys: [] },
);

/** A completion that CONTRACT 4 accepts. */
export const validCompletion = fc.record(
  {
    task_id: text,
    status: fc.constantFrom('completed', 'failed', 'blocked'),
    summary: fc.string({ maxLength: 30 }),
    artifacts: fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }),
    verdict: fc.constantFrom('PASS', 'FAIL', 'BLOCKED'),
    findings: fc.array(fc.record({ severity: text, message: text, path: fc.string({ maxLength: 10 }) }, { requiredKeys: ['message'] }), { maxLength: 3 }),
  },
  { requiredKeys: ['task_id', 'status', 'summary'] },
);

/** JSON values, deep enough to reach nested schema parts, including objects with the keys the schemas know. */
export const jsonish = (keys: string[]) =>
  fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.jsonValue({ maxDepth: 2 }),
      fc.dictionary(fc.oneof(fc.constantFrom(...keys), fc.string({ maxLength: 6 })), tie('value'), { maxKeys: 5 }),
      fc.array(tie('value'), { maxLength: 3 }),
    ),
  })).value;

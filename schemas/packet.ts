import { z } from './zod.ts';
import { branchSlug, refProblems } from './packet-refs.ts';

/** One thing an insufficient packet lacks, named by its field path, with the fix. */
export interface MissingItem {
  item: string;
  message: string;
}

/** The typed, normalized view of a packet that the run needs to make decisions. */
export interface Plan {
  task_id: string;
  approved: boolean;
  goal: string;
  acceptance_criteria: string[];
  non_goals: string[];
  instructions: string;
  verification_commands: string[];
  verification_expectations: string;
  review_criteria: string[];
  repo: string;
  base_branch: string;
  intended_branch: string;
  issue_number: number | null;
  conflict_surface: string[];
  max_fix_attempts: number | null;
}

const text = z.string().check(z.trim(), z.minLength(1));
const texts = z.array(text);
const opt = z.optional;
const about = z.describe;

// Every field optional: shape errors become missing items, not a rejected packet,
// so an insufficient packet still creates a run that says what it lacks (CONTRACT 2).
// The descriptions are what an editor shows from docs/schemas/packet.schema.json.
const PacketShape = z.looseObject({
  $schema: opt(z.string().check(about('The JSON Schema editors check this file against; Buran ignores it.'))),
  task_id: opt(text.check(about('The work item\'s id; the run id starts with it.'))),
  approved: opt(z.boolean().check(about('Only an approved packet runs (must be true).'))),
  scm_target: opt(z.looseObject({
    repo: opt(text.check(about('"owner/name"; a github-pr handoff must find it in handoff.allowed_repos.'))),
    base_branch: opt(text.check(about('The branch a new intended branch is made from (default "main").'))),
    intended_branch: opt(text.check(about('The branch the run works on and hands off (default "buran/<task_id>").'))),
  }).check(about('Where the change goes.'))),
  github: opt(z.looseObject({
    repo: opt(text), issue_number: opt(z.int().check(z.positive())), intended_branch: opt(text),
  }).check(about('Accepted in place of scm_target (base branch "main").'))),
  scope: opt(z.looseObject({
    goal: opt(text.check(about('The change in one sentence: the commit subject and the heart of every prompt.'))),
    acceptance_criteria: opt(texts.check(about('What must be true when the work is done.'))),
    non_goals: opt(texts.check(about('What the workers must leave alone.'))),
  })),
  implementation: opt(z.looseObject({ instructions: opt(text.check(about('What the implementer is asked to do.'))) })),
  verification: opt(z.looseObject({
    commands: opt(texts.check(about('Run in order in the workspace, without a shell; each must be in the config\'s verification.allowed_commands.'))),
    expectations: opt(z.string().check(about('What passing looks like, for the workers.'))),
  })),
  review: opt(z.looseObject({ criteria: opt(texts.check(about('What the reviewer checks before it gives PASS.'))) })),
  conflict_surface: opt(texts.check(about('Paths this change touches; runs whose surfaces overlap (by prefix) do not run at once.'))),
  limits: opt(z.looseObject({
    max_fix_attempts: opt(z.int().check(z.minimum(0), z.maximum(100), about('Lowers the config\'s limits.max_fix_attempts, never raises it.'))),
  })),
});

/** The packet's fields as the zod schema reads them (every one optional; sufficiency is checked after). */
export const PacketFieldsSchema = PacketShape;

type PacketFields = z.infer<typeof PacketShape>;

/** Result of reading one packet: never throws for an object input. */
export interface PacketReading {
  plan: Plan;
  missing: MissingItem[];
}

/** True when a parsed document can be a packet at all (CONTRACT 2: else exit 2). */
export function isPacketObject(raw: unknown): raw is Record<string, unknown> {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw);
}

/** Reads a packet object into a plan and the list of every item that makes it insufficient. */
export function readPacket(raw: Record<string, unknown>): PacketReading {
  const missing: MissingItem[] = [];
  const fields = parseFieldByField(raw, missing);
  const plan = toPlan(fields);
  missing.push(...refProblems(namedRefs(fields)));
  for (const rule of SUFFICIENCY_RULES) {
    if (!rule.holds(plan) && !missing.some((m) => m.item === rule.item || m.item.startsWith(`${rule.item}.`))) {
      missing.push({ item: rule.item, message: rule.message });
    }
  }
  return { plan, missing };
}

function parseFieldByField(raw: Record<string, unknown>, missing: MissingItem[]): PacketFields {
  const parsed = safeParse(raw);
  if (parsed.success) return parsed.data;
  // Drop each offending field and report it; keep everything that is well formed.
  const copy: Record<string, unknown> = structuredClone(raw);
  for (const issue of parsed.error.issues) {
    const path = issue.path.map(String);
    missing.push({ item: path.join('.') || '(packet)', message: `${path.join('.')}: ${issue.message}` });
    dropPath(copy, path);
  }
  const retry = safeParse(withoutDropped(copy) as Record<string, unknown>);
  return retry.success ? retry.data : {};
}

// zod's length checks compare whatever has a `length` with a number, which throws on an object
// with no prototype; such an input is read as the plain JSON data it stands for.
function safeParse(raw: Record<string, unknown>) {
  try {
    return PacketShape.safeParse(raw);
  } catch {
    return PacketShape.safeParse(JSON.parse(JSON.stringify(raw)));
  }
}

// Array entries are marked, not spliced, while issues are applied: each issue's index refers
// to the original array, and splicing would shift the entries after it.
const DROPPED = Symbol('dropped');

function dropPath(target: Record<string, unknown>, path: string[]): void {
  let node: unknown = target;
  for (const key of path.slice(0, -1)) {
    if (typeof node !== 'object' || node === null) return;
    node = (node as Record<string, unknown>)[key];
  }
  const last = path[path.length - 1];
  if (last === undefined || typeof node !== 'object' || node === null) return;
  if (Array.isArray(node)) node[Number(last)] = DROPPED;
  else delete (node as Record<string, unknown>)[last];
}

function withoutDropped(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== DROPPED).map(withoutDropped);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutDropped(v)]));
  }
  return value;
}

function toPlan(f: PacketFields): Plan {
  const scm = f.scm_target;
  const gh = f.github;
  return {
    task_id: f.task_id ?? '',
    approved: f.approved === true,
    goal: f.scope?.goal ?? '',
    acceptance_criteria: f.scope?.acceptance_criteria ?? [],
    non_goals: f.scope?.non_goals ?? [],
    instructions: f.implementation?.instructions ?? '',
    verification_commands: f.verification?.commands ?? [],
    verification_expectations: f.verification?.expectations ?? '',
    review_criteria: f.review?.criteria ?? [],
    repo: scm?.repo ?? gh?.repo ?? '',
    base_branch: scm?.base_branch ?? 'main',
    intended_branch: scm?.intended_branch ?? gh?.intended_branch ?? (f.task_id ? `buran/${branchSlug(f.task_id)}` : ''),
    issue_number: gh?.issue_number ?? null,
    conflict_surface: f.conflict_surface ?? [],
    max_fix_attempts: f.limits?.max_fix_attempts ?? null,
  };
}

/** The branch names and surfaces the packet itself gives, with the field each came from (a derived default is always valid). */
function namedRefs(f: PacketFields): Parameters<typeof refProblems>[0] {
  const intended = f.scm_target?.intended_branch !== undefined
    ? { value: f.scm_target.intended_branch, field: 'scm_target.intended_branch' }
    : f.github?.intended_branch !== undefined ? { value: f.github.intended_branch, field: 'github.intended_branch' } : null;
  const base = f.scm_target?.base_branch !== undefined ? { value: f.scm_target.base_branch, field: 'scm_target.base_branch' } : null;
  return { intendedBranch: intended, baseBranch: base, conflictSurface: f.conflict_surface ?? [] };
}

interface SufficiencyRule {
  item: string;
  message: string;
  holds: (plan: Plan) => boolean;
}

/** CONTRACT 2's sufficiency rules, in the order a reader fixes them. */
export const SUFFICIENCY_RULES: readonly SufficiencyRule[] = [
  { item: 'approved', message: 'approved must be true: only approved packets are run', holds: (p) => p.approved },
  { item: 'task_id', message: 'task_id is missing: give the work item a non-empty id', holds: (p) => p.task_id !== '' },
  { item: 'scope.goal', message: 'scope.goal is missing: state the goal in one sentence', holds: (p) => p.goal !== '' },
  { item: 'scope.acceptance_criteria', message: 'scope.acceptance_criteria needs at least one criterion', holds: (p) => p.acceptance_criteria.length > 0 },
  { item: 'implementation.instructions', message: 'implementation.instructions is missing: tell the implementer what to do', holds: (p) => p.instructions !== '' },
  { item: 'verification.commands', message: 'verification.commands needs at least one command', holds: (p) => p.verification_commands.length > 0 },
  { item: 'review.criteria', message: 'review.criteria needs at least one criterion', holds: (p) => p.review_criteria.length > 0 },
  { item: 'scm_target.repo', message: 'scm_target.repo (or github.repo) is missing: name the repository', holds: (p) => p.repo !== '' },
];

import { z } from './zod.ts';

/** The three worker roles of CONTRACT 4. */
export const ROLES = ['implementer', 'fixer', 'reviewer'] as const;
export type Role = (typeof ROLES)[number];

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const positiveInt = (max?: number) => z.int().check(z.positive(), ...(max ? [z.maximum(max)] : []));

/** The longest delay a Node timer can wait: anything larger fires after 1 ms (setTimeout's 32-bit limit). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A duration in ms, bounded so it can reach a timer: `min` (0 or 1) to `max` (at most MAX_TIMER_MS),
 * the bound named in the error. Every duration of the config is one of these.
 */
export const durationMs = (min: 0 | 1, max: number = MAX_TIMER_MS) =>
  z.int().check(
    z.minimum(min, `must be a whole number of milliseconds${min === 1 ? ' above 0' : ', 0 or more'}`),
    z.maximum(max, `must be at most ${max} ms (${describeMs(max)})${max === MAX_TIMER_MS ? ': a longer wait cannot be timed' : ''}`),
  );

function describeMs(ms: number): string {
  const days = ms / 86_400_000;
  if (days >= 1) return `about ${Math.floor(days * 10) / 10} days`;
  return ms >= 60_000 ? `${ms / 60_000} minutes` : `${ms / 1000} seconds`;
}
const WEEK_MS = 7 * 24 * 3600_000;
const budget = () => z.int().check(z.minimum(0), z.maximum(100));

const WorkerSchema = z
  .strictObject({
    command: z.optional(z.array(z.string().check(z.minLength(1))).check(z.minLength(1, 'command needs the program and its arguments, e.g. ["node", "worker.mjs"]'))),
    preset: z.optional(z.enum(['claude', 'codex'], 'preset is "claude" or "codex"')),
    timeout_ms: z._default(durationMs(1, WEEK_MS), 1_800_000),
    /** Output is the heartbeat: a worker silent for this long is killed as timed out. */
    idle_timeout_ms: z.optional(durationMs(1, WEEK_MS)),
    env: z._default(z.array(z.string().check(z.regex(ENV_NAME, 'env entries are variable names like ANTHROPIC_API_KEY'))), []),
    // Preset-only settings (CONTRACT 3 presets).
    program: z.optional(z.string().check(z.minLength(1))),
    model: z.optional(z.string().check(z.minLength(1))),
    max_turns: z.optional(positiveInt(10_000)),
    max_budget_usd: z.optional(z.number().check(z.positive())),
    extra_args: z.optional(z.array(z.string())),
  })
  .check(
    z.superRefine((w, ctx) => {
      if (!w.command && !w.preset) ctx.addIssue({ code: 'custom', message: 'give either "command" or "preset" ("claude" or "codex")', input: w });
      if (w.command && w.preset) ctx.addIssue({ code: 'custom', message: 'give "command" or "preset", not both', input: w });
      if (!w.preset) {
        for (const key of PRESET_ONLY) {
          if (w[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], input: w, message: `${key} applies to a "preset" worker only: remove it or use "preset"` });
        }
      }
    }),
  );

const PRESET_ONLY = ['program', 'model', 'max_turns', 'max_budget_usd', 'extra_args'] as const;

const REPO_NAME = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

const HandoffSchema = z
  .strictObject({
    kind: z._default(z.enum(['local', 'git-branch', 'github-pr'], 'handoff.kind is "local", "git-branch" or "github-pr"'), 'local'),
    /** github-pr: the remote pushed to. */
    remote: z._default(z.string().check(z.minLength(1)), 'origin'),
    /** github-pr: the gh executable. */
    gh: z._default(z.string().check(z.minLength(1)), 'gh'),
    /** github-pr: only packets whose repo is listed here are pushed (owner/name). */
    allowed_repos: z._default(z.array(z.string().check(z.regex(REPO_NAME, 'allowed_repos entries are "owner/name"'))), []),
    /** github-pr: variables passed to gh from the runner's environment (e.g. GH_TOKEN). */
    env: z._default(z.array(z.string().check(z.regex(ENV_NAME, 'env entries are variable names like GH_TOKEN'))), []),
  })
  .check(
    z.superRefine((h, ctx) => {
      if (h.kind === 'github-pr' && h.allowed_repos.length === 0) {
        ctx.addIssue({ code: 'custom', path: ['allowed_repos'], input: h, message: 'github-pr pushes only to listed repos: add the packet\'s "owner/name" to handoff.allowed_repos' });
      }
    }),
  );

/** buran.config.json (CONTRACT 3), with every default applied once, here. */
export const ConfigSchema = z.strictObject({
  workers: z._default(
    z.strictObject({ implementer: z.optional(WorkerSchema), fixer: z.optional(WorkerSchema), reviewer: z.optional(WorkerSchema) }),
    {},
  ),
  verification: z._default(
    z.strictObject({
      timeout_ms: z._default(durationMs(1), 600_000),
      allowed_commands: z._default(z.array(z.string().check(z.minLength(1))), []),
    }),
    { timeout_ms: 600_000, allowed_commands: [] },
  ),
  limits: z._default(
    z.strictObject({ max_fix_attempts: z._default(budget(), 3), max_dispatch_retries: z._default(budget(), 2) }),
    { max_fix_attempts: 3, max_dispatch_retries: 2 },
  ),
  lease: z._default(
    z.strictObject({
      ttl_ms: z._default(durationMs(1), 3_600_000),
      /** How long a run waits in waiting_for_lock for a conflicting holder before blocked_lock_conflict. */
      wait_ms: z._default(durationMs(0, WEEK_MS), 600_000),
      poll_ms: z._default(durationMs(1, 60_000), 500),
    }),
    { ttl_ms: 3_600_000, wait_ms: 600_000, poll_ms: 500 },
  ),
  workspace: z._default(
    z.strictObject({
      /** A git checkout: each run gets its own worktree of it (same as --repo). Relative to the config file. */
      repo: z.optional(z.string().check(z.minLength(1))),
    }),
    {},
  ),
  handoff: z._default(HandoffSchema, { kind: 'local', remote: 'origin', gh: 'gh', allowed_repos: [], env: [] }),
});

export type Config = z.infer<typeof ConfigSchema>;
export type WorkerConfig = NonNullable<Config['workers']['implementer']>;

/** Every variable the config passes through by name (workers' and gh's `env`): their values are secrets (CONTRACT 3). */
export function passedEnvNames(config: Config): string[] {
  return [...ROLES.flatMap((role) => config.workers[role]?.env ?? []), ...config.handoff.env];
}

/** A validation failure, each error naming the field and the fix. */
export interface Invalid {
  ok: false;
  errors: string[];
}

/** Validates a parsed config document; never throws. */
export function parseConfig(raw: unknown): { ok: true; value: Config } | Invalid {
  const parsed = ConfigSchema.safeParse(raw ?? {});
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, errors: parsed.error.issues.map(formatIssue) };
}

/** "workers.fixer.command: …" — the path a user edits, then what to do. */
export function formatIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String).join('.') || '(root)';
  return `${path}: ${issue.message}`;
}

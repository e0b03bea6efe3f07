import { z } from './zod.ts';
import { ENV_NAME, HANDOFF_KINDS, MAX_TIMER_MS, PRESETS, PRESET_ONLY, REPO_NAME, ROLES, WEEK_MS } from './config-limits.ts';

export { MAX_TIMER_MS, ROLES, type Role } from './config-limits.ts';

const positiveInt = (max?: number) => z.int().check(z.positive(), ...(max ? [z.maximum(max)] : []));

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
const budget = () => z.int().check(z.minimum(0), z.maximum(100));
const about = z.describe;

/**
 * `"//": "…"` (or a list of lines) in any object of the config is a note for people: JSON has no
 * comments, and a config written by `buran init` explains itself this way. Buran ignores notes.
 */
const note = z.optional(z.union([z.string(), z.array(z.string())]).check(about('A note for people (JSON has no comments); Buran ignores it.')));

const WorkerSchema = z
  .strictObject({
    '//': note,
    command: z.optional(z.array(z.string().check(z.minLength(1))).check(
      z.minLength(1, 'command needs the program and its arguments, e.g. ["node", "worker.mjs"]'),
      about('The program and its arguments, started with no shell in the workspace (relative paths resolve there).'),
    )),
    preset: z.optional(z.enum(PRESETS, 'preset is "claude" or "codex"').check(about('A built-in agent invocation instead of a command.'))),
    timeout_ms: z._default(durationMs(1, WEEK_MS).check(about('A task running longer is killed with its process group (worker_timeout).')), 1_800_000),
    /** Output is the heartbeat: a worker silent for this long is killed as timed out. */
    idle_timeout_ms: z.optional(durationMs(1, WEEK_MS).check(about('A worker that prints nothing for this long is killed (worker_timeout).'))),
    env: z._default(z.array(z.string().check(z.regex(ENV_NAME, 'env entries are variable names like ANTHROPIC_API_KEY'))).check(
      about("Names of variables passed through from Buran's environment (their values are treated as secrets)."),
    ), []),
    // Preset-only settings (CONTRACT 3 presets).
    program: z.optional(z.string().check(z.minLength(1), about("Preset only: the agent CLI's path, instead of claude / codex on PATH."))),
    model: z.optional(z.string().check(z.minLength(1), about('Preset only: --model for the agent.'))),
    max_turns: z.optional(positiveInt(10_000).check(about('Preset only (claude): --max-turns.'))),
    max_budget_usd: z.optional(z.number().check(z.positive(), about('Preset only (claude): --max-budget-usd per task.'))),
    extra_args: z.optional(z.array(z.string()).check(about("Preset only: appended to the agent's arguments."))),
    /** A fixer continues the implementer's agent session (Claude --resume, Codex exec resume); false starts fresh. */
    continue_session: z.optional(z.boolean().check(about("Preset only: a fixer continues the previous agent session (default true)."))),
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
  ).check(z.meta({ id: 'worker', description: 'One role\'s worker: a "command" or a "preset", never both.' }));

const HandoffSchema = z
  .strictObject({
    '//': note,
    kind: z._default(z.enum(HANDOFF_KINDS, 'handoff.kind is "local", "git-branch" or "github-pr"').check(
      about('local: a patch and summary in the registry; git-branch: also a commit on the intended branch; github-pr: also a push and a draft pull request.'),
    ), 'local'),
    remote: z._default(z.string().check(z.minLength(1), about('github-pr: the git remote pushed to (never forced).')), 'origin'),
    gh: z._default(z.string().check(z.minLength(1), about('github-pr: the gh executable.')), 'gh'),
    allowed_repos: z._default(z.array(z.string().check(z.regex(REPO_NAME, 'allowed_repos entries are "owner/name"'))).check(
      about('github-pr: only packets whose scm_target.repo is listed here ("owner/name") may push.'),
    ), []),
    env: z._default(z.array(z.string().check(z.regex(ENV_NAME, 'env entries are variable names like GH_TOKEN'))).check(
      about("github-pr: variables passed to gh from Buran's environment (e.g. GH_TOKEN)."),
    ), []),
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
  /** The JSON Schema an editor checks the file against (docs/schemas/config.schema.json); Buran ignores it. */
  $schema: z.optional(z.string().check(about('The JSON Schema editors check this file against; Buran ignores it.'))),
  '//': note,
  workers: z._default(
    z.strictObject({ implementer: z.optional(WorkerSchema), fixer: z.optional(WorkerSchema), reviewer: z.optional(WorkerSchema) }),
    {},
  ),
  verification: z._default(
    z.strictObject({
      '//': note,
      timeout_ms: z._default(durationMs(1).check(about('Per verification command; a command running longer is killed and the gate is BLOCKED.')), 600_000),
      allowed_commands: z._default(z.array(z.string().check(z.minLength(1))).check(
        about("The packet's verification commands that may run, matched exactly; any other blocks the run (policy_denied) before it starts."),
      ), []),
    }),
    { timeout_ms: 600_000, allowed_commands: [] },
  ),
  limits: z._default(
    z.strictObject({
      '//': note,
      max_fix_attempts: z._default(budget().check(about('Fixer dispatches per run, over verification and review failures; a packet may lower it.')), 3),
      max_dispatch_retries: z._default(budget().check(about('Extra dispatches of one stage attempt after a failed dispatch (no or invalid completion, non-zero exit, timeout).')), 2),
      /** The run's budget over the cost its agents report (USD); none when absent. */
      max_cost_usd: z.optional(z.number().check(z.positive('max_cost_usd is a positive amount in USD, e.g. 5'), about("The run's budget (USD) over the cost its agents report; none when absent."))),
      /** The longest a run waits for an agent's quota to reset or an outage to pass. */
      max_quota_wait_ms: z._default(durationMs(0, WEEK_MS).check(about("The longest a run waits for an agent's quota to reset or an outage to pass.")), 21_600_000),
      /** First pause after a transient agent failure; it doubles on each one (at most 15 minutes). */
      agent_backoff_ms: z._default(durationMs(1, 3_600_000).check(about('First pause after a transient agent failure; doubles each time, at most 15 minutes.')), 30_000),
    }),
    { max_fix_attempts: 3, max_dispatch_retries: 2, max_quota_wait_ms: 21_600_000, agent_backoff_ms: 30_000 },
  ),
  lease: z._default(
    z.strictObject({
      '//': note,
      ttl_ms: z._default(durationMs(1).check(about("A claim's lifetime; a live driver renews it every third of it.")), 3_600_000),
      /** How long a run waits in waiting_for_lock for a conflicting holder before blocked_lock_conflict. */
      wait_ms: z._default(durationMs(0, WEEK_MS).check(about('How long a run waits for a conflicting claim before blocked_lock_conflict (0: block at once).')), 600_000),
      poll_ms: z._default(durationMs(1, 60_000).check(about('How often a waiting run checks the claims again.')), 500),
    }),
    { ttl_ms: 3_600_000, wait_ms: 600_000, poll_ms: 500 },
  ),
  workspace: z._default(
    z.strictObject({
      '//': note,
      /** A git checkout: each run gets its own worktree of it (same as --repo). Relative to the config file. */
      repo: z.optional(z.string().check(z.minLength(1), about('A git checkout: each run gets its own worktree of it (as --repo). Relative to this file.'))),
      /** Commands run once in each fresh workspace before the implementer (dependencies, generated files). */
      setup: z._default(z.array(z.array(z.string().check(z.minLength(1))).check(
        z.minLength(1, 'a setup command is the program and its arguments, e.g. ["npm", "ci"]'),
      ), 'workspace.setup is a list of commands, each a list of words: [["npm", "ci"]]').check(
        about('Commands run once in each fresh workspace before the implementer, e.g. [["npm", "ci"]].'),
      ), []),
      /** How long the setup commands may take together. */
      setup_timeout_ms: z._default(durationMs(1, 24 * 3600_000).check(about('How long the setup commands may take together.')), 1_200_000),
    }),
    { setup: [], setup_timeout_ms: 1_200_000 },
  ),
  fleet: z._default(
    z.strictObject({
      '//': note,
      /** A runner host whose heartbeat is older than this is dead: another host takes its runs over. */
      dead_after_ms: z._default(durationMs(1, 3_600_000).check(about("A runner host whose heartbeat is older than this is dead, and a live host takes its runs over (buran worker's own config).")), 30_000),
      /** The git remote (a name in the runner hosts' clones, or a URL) a fleet's runs push checkpoints to. */
      remote: z.optional(z.string().check(z.minLength(1), about('Git remote (a name in the runner hosts\' clones, or a URL) a submitted run pushes a checkpoint to after each accepted implementer or fixer completion; a host that takes the run over starts from it.'))),
    }),
    { dead_after_ms: 30_000 },
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

/**
 * The config's fixed words and bounds, apart from its zod schema (config.ts) so that a reader of a
 * frozen config (persistence/record-prechecks.ts) holds it to the same bounds without loading zod.
 */

/** The three worker roles of CONTRACT 4. */
export const ROLES = ['implementer', 'fixer', 'reviewer'] as const;
export type Role = (typeof ROLES)[number];

/** The longest delay a Node timer can wait: anything larger fires after 1 ms (setTimeout's 32-bit limit). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export const WEEK_MS = 7 * 24 * 3600_000;

/** A variable name a worker's or gh's `env` passes through. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** An `owner/name` of handoff.allowed_repos. */
export const REPO_NAME = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/** Worker settings that only a "preset" worker may have. */
export const PRESET_ONLY = ['program', 'model', 'max_turns', 'max_budget_usd', 'extra_args', 'continue_session'] as const;

export const PRESETS = ['claude', 'codex'] as const;
export const HANDOFF_KINDS = ['local', 'git-branch', 'github-pr'] as const;

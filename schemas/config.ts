import { z } from 'zod';

/** The three worker roles of CONTRACT 4. */
export const ROLES = ['implementer', 'fixer', 'reviewer'] as const;
export type Role = (typeof ROLES)[number];

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const WorkerSchema = z
  .object({
    command: z.array(z.string().min(1)).min(1, 'command needs the program and its arguments, e.g. ["node", "worker.mjs"]').optional(),
    preset: z.enum(['claude', 'codex']).optional(),
    timeout_ms: z.number().int().positive().max(7 * 24 * 3600_000).default(1_800_000),
    env: z.array(z.string().regex(ENV_NAME, 'env entries are variable names like ANTHROPIC_API_KEY')).default([]),
  })
  .strict()
  .superRefine((w, ctx) => {
    if (!w.command && !w.preset) ctx.addIssue({ code: 'custom', message: 'give either "command" or "preset"' });
    if (w.command && w.preset) ctx.addIssue({ code: 'custom', message: 'give "command" or "preset", not both' });
    if (w.preset) {
      ctx.addIssue({ code: 'custom', path: ['preset'], message: `preset "${w.preset}" is not available in this version: configure "command" instead` });
    }
  });

/** buran.config.json (CONTRACT 3), with every default applied once, here. */
export const ConfigSchema = z
  .object({
    workers: z
      .object({ implementer: WorkerSchema.optional(), fixer: WorkerSchema.optional(), reviewer: WorkerSchema.optional() })
      .strict()
      .default({}),
    verification: z
      .object({
        timeout_ms: z.number().int().positive().default(600_000),
        allowed_commands: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .default({ timeout_ms: 600_000, allowed_commands: [] }),
    limits: z
      .object({
        max_fix_attempts: z.number().int().min(0).max(100).default(3),
        max_dispatch_retries: z.number().int().min(0).max(100).default(2),
      })
      .strict()
      .default({ max_fix_attempts: 3, max_dispatch_retries: 2 }),
    lease: z.object({ ttl_ms: z.number().int().positive().default(3_600_000) }).strict().default({ ttl_ms: 3_600_000 }),
    handoff: z
      .object({
        kind: z.enum(['local', 'git-branch', 'github-pr']).default('local'),
      })
      .loose()
      .default({ kind: 'local' })
      .refine((h) => h.kind === 'local', { message: 'only handoff.kind "local" is available in this version', path: ['kind'] }),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;
export type WorkerConfig = NonNullable<Config['workers']['implementer']>;

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

import { z } from './zod.ts';

/** The three worker roles of CONTRACT 4. */
export const ROLES = ['implementer', 'fixer', 'reviewer'] as const;
export type Role = (typeof ROLES)[number];

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const positiveInt = (max?: number) => z.int().check(z.positive(), ...(max ? [z.maximum(max)] : []));
const budget = () => z.int().check(z.minimum(0), z.maximum(100));

const WorkerSchema = z
  .strictObject({
    command: z.optional(z.array(z.string().check(z.minLength(1))).check(z.minLength(1, 'command needs the program and its arguments, e.g. ["node", "worker.mjs"]'))),
    preset: z.optional(z.enum(['claude', 'codex'])),
    timeout_ms: z._default(positiveInt(7 * 24 * 3600_000), 1_800_000),
    env: z._default(z.array(z.string().check(z.regex(ENV_NAME, 'env entries are variable names like ANTHROPIC_API_KEY'))), []),
  })
  .check(
    z.superRefine((w, ctx) => {
      if (!w.command && !w.preset) ctx.addIssue({ code: 'custom', message: 'give either "command" or "preset"', input: w });
      if (w.command && w.preset) ctx.addIssue({ code: 'custom', message: 'give "command" or "preset", not both', input: w });
      if (w.preset) {
        ctx.addIssue({ code: 'custom', path: ['preset'], input: w, message: `preset "${w.preset}" is not available in this version: configure "command" instead` });
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
      timeout_ms: z._default(positiveInt(), 600_000),
      allowed_commands: z._default(z.array(z.string().check(z.minLength(1))), []),
    }),
    { timeout_ms: 600_000, allowed_commands: [] },
  ),
  limits: z._default(
    z.strictObject({ max_fix_attempts: z._default(budget(), 3), max_dispatch_retries: z._default(budget(), 2) }),
    { max_fix_attempts: 3, max_dispatch_retries: 2 },
  ),
  lease: z._default(z.strictObject({ ttl_ms: z._default(positiveInt(), 3_600_000) }), { ttl_ms: 3_600_000 }),
  handoff: z._default(
    z.looseObject({ kind: z._default(z.enum(['local', 'git-branch', 'github-pr']), 'local') })
      .check(z.refine((h) => h.kind === 'local', { message: 'only handoff.kind "local" is available in this version', path: ['kind'] })),
    { kind: 'local' },
  ),
});

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

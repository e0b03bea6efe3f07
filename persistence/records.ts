import { z } from '../schemas/zod.ts';
import { ConfigSchema } from '../schemas/config.ts';
import type { Plan } from '../schemas/packet.ts';
import { SCHEMA_VERSION } from './schema-version.ts';

export { SCHEMA_VERSION } from './schema-version.ts';

const version = z.literal(SCHEMA_VERSION, { message: `unknown schema_version (this build reads ${SCHEMA_VERSION})` });

/** run.json: written once at intake; what every later process of the run needs. */
export const RunMetaSchema = z.object({
  schema_version: version,
  run_id: z.string().check(z.minLength(1)),
  created_at: z.string(),
  packet_source: z.string(),
  config_source: z.nullable(z.string()),
  workspace: z.string().check(z.minLength(1)),
  /** The checkout the run's worktree is made from (--repo), or null: the workspace is used as is. */
  repo: z._default(z.nullable(z.string()), null),
  /** Submitted to a fleet (`buran submit`): the runner host that claims it gives it a worktree of its own clone. */
  runner: z.optional(z.boolean()),
  /** The run this one was started from by `buran retry`, or null. */
  retry_of: z._default(z.nullable(z.string()), null),
  config: ConfigSchema,
  input: z.object({
    run_id: z.string(),
    plan: z.custom<Plan>((v) => typeof v === 'object' && v !== null && typeof (v as Plan).task_id === 'string', 'plan must be an object'),
    missing: z.array(z.object({ item: z.string(), message: z.string() })),
    settings: z.object({
      roles: z.object({ implementer: z.boolean(), fixer: z.boolean(), reviewer: z.boolean() }),
      max_fix_attempts: z.int(),
      max_dispatch_retries: z.int(),
      allowed_commands: z.array(z.string()),
      // Runs recorded before leases could wait or handoffs push read as they behaved then.
      lease_wait_ms: z._default(z.int(), 0),
      handoff: z._default(
        z.object({ kind: z.enum(['local', 'git-branch', 'github-pr']), allowed_repos: z.array(z.string()) }),
        { kind: 'local', allowed_repos: [] },
      ),
      setup: z._default(z.boolean(), false),
      // Runs recorded before agent budgets read the defaults (no budget, 6 h quota wait).
      agents: z.optional(z.object({ max_cost_usd: z.nullable(z.number()), max_quota_wait_ms: z.int(), backoff_ms: z.int() })),
    }),
  }),
});
export type RunMeta = z.infer<typeof RunMetaSchema>;

/** snapshot.json: the latest persisted run snapshot, a cache the journal can bring forward. */
export const SnapshotEnvelopeSchema = z.object({
  schema_version: version,
  run_id: z.string(),
  seq: z.int().check(z.minimum(0)),
  state: z.string(),
  updated_at: z.string(),
  snapshot: z.looseObject({ status: z.string(), value: z.unknown(), context: z.looseObject({ run_id: z.string() }) }),
});
export type SnapshotEnvelope = z.infer<typeof SnapshotEnvelopeSchema>;

export { JournalEntrySchema, type JournalEntry } from './journal-entries.ts';

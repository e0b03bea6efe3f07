// Records for registry tests, built the way intake and the driver build them.
import { ConfigSchema } from '../../schemas/config.ts';
import { readPacket } from '../../schemas/packet.ts';
import type { BatchRecord } from '../../persistence/batch-store.ts';
import type { JournalDraft } from '../../persistence/journal.ts';
import { SCHEMA_VERSION, type RunMeta, type SnapshotEnvelope } from '../../persistence/records.ts';

const writer = ['/bin/sh', '-c', 'true'];
export const CONFIG = ConfigSchema.parse({
  workers: { implementer: { command: writer }, fixer: { command: writer }, reviewer: { command: writer } },
  verification: { allowed_commands: ['true'] },
});

export function packetFor(taskId: string): Record<string, unknown> {
  return {
    task_id: taskId, approved: true, scm_target: { repo: 'acme/widgets' }, scope: { goal: 'g', acceptance_criteria: ['a'] },
    implementation: { instructions: 'i' }, verification: { commands: ['true'] }, review: { criteria: ['r'] },
  };
}

export function metaFor(runId: string, createdAt = new Date().toISOString()): RunMeta {
  const { plan, missing } = readPacket(packetFor(runId));
  return {
    schema_version: SCHEMA_VERSION, run_id: runId, created_at: createdAt, packet_source: 'packet.json', config_source: null,
    workspace: `/work/${runId}`, repo: null, retry_of: null, config: CONFIG,
    input: {
      run_id: runId, plan, missing,
      settings: {
        roles: { implementer: true, fixer: true, reviewer: true }, max_fix_attempts: 2, max_dispatch_retries: 1, allowed_commands: ['true'],
        lease_wait_ms: 0, handoff: { kind: 'local', allowed_repos: [] }, setup: false,
      },
    },
  };
}

/** The first entries of a run's journal, as the transition observer writes them. */
export const created = (): JournalDraft => ({ type: 'run.created', from: null, to: 'packet_received', event: 'xstate.init' });
export const moved = (from: string, to: string): JournalDraft => ({ type: 'run.transition', from, to, event: 'test.step' });

export function envelopeFor(runId: string, seq: number, state: string, updatedAt: string, context: Record<string, unknown> = {}): SnapshotEnvelope {
  return {
    schema_version: SCHEMA_VERSION, run_id: runId, seq, state, updated_at: updatedAt,
    snapshot: { status: 'active', value: state, context: { run_id: runId, ...context } },
  };
}

export function batchFor(batchId: string, runIds: string[]): BatchRecord {
  return {
    schema_version: SCHEMA_VERSION, batch_id: batchId, created_at: new Date().toISOString(), source: 'list.json', concurrency: 2,
    config: CONFIG, config_source: null, repo: null, workspace: null, runs: runIds.map((id) => ({ run_id: id, task_id: id })),
  };
}

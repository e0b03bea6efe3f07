import { REOPEN_EVENT, reopenable, reopenAfterQuota, reopenedState, type PersistedRun } from '../machines/reopen-rules.ts';
import { SCHEMA_VERSION, type JournalEntry, type SnapshotEnvelope } from '../persistence/records.ts';
import type { RunSession } from '../persistence/port.ts';
import type { LeaseResult } from '../machines/run-machine.ts';
import { RunBusyError } from '../persistence/errors.ts';

/** The journal already holds the step back into the stage, but the snapshot does not (a crash between the two writes). */
export function reopenPending(envelope: SnapshotEnvelope, entries: readonly JournalEntry[]): boolean {
  const after = entries.filter((e) => e.seq > envelope.seq);
  const only = after.find((e) => e.type === 'run.transition');
  return only !== undefined && only.event === REOPEN_EVENT && only.from === envelope.state && after.every((e) => e === only || e.type !== 'run.transition');
}

/**
 * Resumes a quota_exhausted run (machines/reopen-rules.ts decides how): the step is journalled
 * first, then the snapshot saved with the journal's seq. Anything else that ended stays ended.
 */
export async function reopenQuotaRun(session: Pick<RunSession, 'snapshot' | 'existing' | 'append' | 'saveSnapshot'>, now: Date, leases: () => Promise<LeaseResult>): Promise<void> {
  const envelope = session.snapshot!;
  const ended = envelope.snapshot as unknown as PersistedRun;
  if (!reopenable(ended)) return;
  // Its leases went when it ended: it takes them all again, or is not resumed yet.
  const held = await leases();
  if (!held.granted) throw new RunBusyError(envelope.run_id, held.message);
  const to = reopenedState(ended);
  let seq = session.existing.find((e) => e.seq > envelope.seq && e.type === 'run.transition' && e.event === REOPEN_EVENT)?.seq;
  if (seq === undefined) {
    const [entry] = await session.append([{ type: 'run.transition', from: envelope.state, to, event: REOPEN_EVENT }], now);
    seq = entry!.seq;
  }
  await session.saveSnapshot({
    schema_version: SCHEMA_VERSION, run_id: envelope.run_id, seq, state: to.split('.')[0]!, updated_at: now.toISOString(),
    snapshot: reopenAfterQuota(ended, now.getTime()) as never,
  });
}

import type { Finding, Role } from '../machines/types.ts';
import type { JournalEntry } from '../persistence/journal-entries.ts';
import type { RunRecords } from '../persistence/run-records.ts';
import { taskHistory } from '../persistence/task-history.ts';
import { completionOf, readOutcome, readVerification } from './dispatch-records.ts';

/** What the run did, as its records tell it: the handoff's summary and commit body are written from this. */
export interface HandoffStory {
  /** The epoch whose gates passed, and its verification commands with their exit codes. */
  passed: { epoch: number; commands: { command: string; exit_code: number | null }[] };
  /** The reviewer whose PASS ended the run's gates (null when the run has no reviewer). */
  review: { task_id: string; summary: string; findings: Finding[] } | null;
  /** Every accepted implementer and fixer completion, in order. */
  work: { task_id: string; role: Role; epoch: number; summary: string }[];
  /** Each gate that failed, in order: verification or review, the epoch, what it found, and the fixer that followed. */
  fixes: { epoch: number; gate: 'verification' | 'review'; task_id: string | null; findings: Finding[]; fixed_by: string | null }[];
  /** What the run's agents reported (USD), summed from the journal as `status` does. */
  cost_usd: number;
}

/** A story with nothing in it beyond the passing epoch (a handoff given no records). */
export const bareStory = (epoch: number): HandoffStory => ({ passed: { epoch, commands: [] }, review: null, work: [], fixes: [], cost_usd: 0 });

interface CompletionFile {
  summary?: string;
  verdict?: string;
  findings?: Finding[];
}

/**
 * Reads the story from the run's records: the journal's task history, each accepted task's
 * completion (as its outcome recorded it, redacted), each epoch's verification report. Facts only, read the
 * same way on every resume, so a handoff re-run after a crash writes the same summary.
 */
export async function gatherHandoffStory(journal: readonly JournalEntry[], records: RunRecords, epoch: number): Promise<HandoffStory> {
  const tasks = taskHistory(journal);
  const completion = async (taskId: string): Promise<CompletionFile | null> => {
    const read = completionOf(await readOutcome(records, taskId));
    return read?.kind === 'present' ? read.completion : null;
  };
  // The handoff starts in the step that settled the reviewer whose PASS led here, so that settle
  // may not be flushed to the journal yet: a task still open in the journal at handoff time can
  // only be that reviewer (no task runs during a handoff). Its outcome is recorded.
  const last = tasks[tasks.length - 1];
  if (last !== undefined && last.status === 'dispatched' && last.role === 'reviewer') Object.assign(last, { status: 'completed', decision: 'accepted', verdict: 'PASS' });
  const accepted = tasks.filter((t) => t.status === 'completed' && t.decision === 'accepted');
  const fixerOf = (failedEpoch: number) => accepted.find((t) => t.role === 'fixer' && t.epoch === failedEpoch + 1)?.task_id ?? null;

  const work: HandoffStory['work'] = [];
  const reviews: { task_id: string; epoch: number; verdict: string; summary: string; findings: Finding[] }[] = [];
  for (const task of accepted) {
    const done = (await completion(task.task_id)) ?? {};
    const summary = (done.summary ?? '').trim();
    if (task.role === 'reviewer') reviews.push({ task_id: task.task_id, epoch: task.epoch, verdict: task.verdict ?? done.verdict ?? '', summary, findings: done.findings ?? [] });
    else work.push({ task_id: task.task_id, role: task.role, epoch: task.epoch, summary });
  }

  const fixes: HandoffStory['fixes'] = [];
  let passed: HandoffStory['passed'] = { epoch, commands: [] };
  for (let n = 1; n <= epoch; n++) {
    const report = await readVerification(records, n);
    if (report?.verdict === 'FAIL') fixes.push({ epoch: n, gate: 'verification', task_id: null, findings: report.findings, fixed_by: fixerOf(n) });
    if (report !== null && n === epoch) passed = { epoch, commands: report.commands.map(({ command, exit_code }) => ({ command, exit_code })) };
    for (const review of reviews.filter((r) => r.epoch === n && r.verdict === 'FAIL')) {
      fixes.push({ epoch: n, gate: 'review', task_id: review.task_id, findings: review.findings, fixed_by: fixerOf(n) });
    }
  }
  const pass = [...reviews].reverse().find((r) => r.verdict === 'PASS');
  const cost = tasks.reduce((sum, t) => sum + (t.cost_usd ?? 0), 0);
  return {
    passed, work, fixes, cost_usd: Math.round(cost * 1e6) / 1e6,
    review: pass ? { task_id: pass.task_id, summary: pass.summary, findings: pass.findings } : null,
  };
}

import { TERMINAL_STATES } from '../machines/states.ts';
import { nextSafeAction, type NextSafeAction } from '../machines/next-safe-action.ts';
import type { RunContext } from '../machines/run-rules.ts';
import type { Blocker, TaskRecord } from '../machines/types.ts';
import type { SnapshotEnvelope } from '../persistence/records.ts';

/** `buran status --json` (CONTRACT 5 fields first). */
export interface StatusView {
  run_id: string;
  state: string;
  terminal: boolean;
  epoch: number;
  budgets: { name: string; used: number; limit: number }[];
  current_task: TaskRecord | null;
  tasks: TaskRecord[];
  blocker: Blocker | null;
  blockers: Blocker[];
  next_safe_action: NextSafeAction;
  updated_at: string;
  seq: number;
  handoff: RunContext['handoff'];
  verification: RunContext['verification'];
  review: RunContext['review'];
  /** Where the workers run; `repo` is the checkout a worktree was made from (--repo), else null. */
  workspace: { path: string; repo: string | null; branch: string | null } | null;
  /** Claims the run holds now (CONTRACT 8 leases). */
  leases: { resource: string; mode: string; expires_at: string }[];
  /** Totals over every preset agent task that reported them. */
  usage: { cost_usd: number | null; turns: number | null };
  /** Registry records this report could not use, each with what it means (absent when all were fine). */
  problems?: string[];
}

/** What status reads beside the snapshot and journal. */
export interface StatusExtras {
  workspace: StatusView['workspace'];
  leases: StatusView['leases'];
  /** When the current task's worker last wrote output (its heartbeat), if known. */
  lastOutputAt: string | null;
}

const NO_EXTRAS: StatusExtras = { workspace: null, leases: [], lastOutputAt: null };

function totals(tasks: TaskRecord[]): StatusView['usage'] {
  const sum = (pick: (t: TaskRecord) => number | null | undefined) => {
    const known = tasks.map(pick).filter((v): v is number => typeof v === 'number');
    return known.length === 0 ? null : Math.round(known.reduce((a, b) => a + b, 0) * 1e6) / 1e6;
  };
  return { cost_usd: sum((t) => t.cost_usd), turns: sum((t) => t.turns) };
}

/** Builds the status report from a stored snapshot and the task history from the journal. */
export function statusView(envelope: SnapshotEnvelope, tasks: TaskRecord[], extras: StatusExtras = NO_EXTRAS): StatusView {
  const context = envelope.snapshot.context as unknown as RunContext;
  const terminal = TERMINAL_STATES.has(envelope.state);
  const current = context.current
    ? (tasks.find((t) => t.task_id === context.current?.task_id) ?? { ...context.current, status: 'dispatched' as const, decision: 'none' as const, code: null, verdict: null })
    : null;
  return {
    run_id: envelope.run_id,
    state: envelope.state,
    terminal,
    epoch: context.epoch,
    budgets: [
      { name: 'fix_attempts', used: context.fix_attempts, limit: context.settings.max_fix_attempts },
      { name: 'dispatch_retries', used: context.current?.retry ?? context.pending?.retry ?? 0, limit: context.settings.max_dispatch_retries },
    ],
    current_task: terminal || current === null ? null : { ...current, ...(extras.lastOutputAt ? { last_output_at: extras.lastOutputAt } : {}) },
    tasks,
    blocker: context.blocker,
    blockers: context.blockers,
    next_safe_action: nextSafeAction(envelope.run_id, envelope.state, context.blocker, terminal),
    updated_at: envelope.updated_at,
    seq: envelope.seq,
    handoff: context.handoff,
    verification: context.verification,
    review: context.review,
    workspace: extras.workspace,
    leases: extras.leases,
    usage: totals(tasks),
  };
}

/** The report for a run whose records failed validation: set aside, never rewritten. */
export function quarantinedView(runId: string, error: { message: string }): StatusView {
  const blocker: Blocker = { code: 'registry_corrupt', message: error.message };
  return {
    run_id: runId, state: 'quarantined', terminal: true, epoch: 0, budgets: [], current_task: null, tasks: [],
    blocker, blockers: [blocker],
    next_safe_action: { kind: 'inspect_quarantine', reason: `the run's records failed validation and were left untouched: ${error.message}` },
    updated_at: '', seq: 0, handoff: null, verification: null, review: null, workspace: null, leases: [], usage: { cost_usd: null, turns: null },
  };
}

/** The human form of a status report. */
export function formatStatus(view: StatusView): string {
  const lines = [
    `run ${view.run_id}`,
    `  state:    ${view.state}${view.terminal ? ' (terminal)' : ''}`,
    `  epoch:    ${view.epoch}`,
    `  budgets:  ${view.budgets.map((b) => `${b.name} ${b.used}/${b.limit}`).join(', ')}`,
    `  current:  ${view.current_task ? `${view.current_task.task_id} (${view.current_task.role}, attempt ${view.current_task.attempt}, epoch ${view.current_task.epoch})` : '-'}`,
    view.tasks.length === 0 ? '  tasks:    -' : '  tasks:',
    ...view.tasks.map((t) => `    ${t.task_id.padEnd(18)} ${t.role.padEnd(11)} attempt ${t.attempt} epoch ${t.epoch}  ${t.status}${t.code ? ` (${t.code})` : ''}${t.verdict ? ` ${t.verdict}` : ''}${usageText(t)}`),
  ];
  if (view.workspace) lines.splice(3, 0, `  workspace: ${view.workspace.path}${view.workspace.repo ? ` (worktree of ${view.workspace.repo}, branch ${view.workspace.branch})` : ''}`);
  if (view.usage.cost_usd !== null || view.usage.turns !== null) lines.push(`  usage:    ${usageText(view.usage).trim() || '-'}`);
  if (view.leases.length > 0) lines.push(`  leases:   ${view.leases.map((l) => l.resource).join(', ')} (until ${view.leases[0]!.expires_at})`);
  if (view.blockers.length > 0) {
    lines.push('  blockers:');
    for (const b of view.blockers) lines.push(`    ${formatBlocker(b)}`);
  }
  if (view.handoff) {
    lines.push(`  handoff:  ${view.handoff.kind}: ${view.handoff.patch_path ?? '(no patch: workspace is not a git repo)'}`, `  summary:  ${view.handoff.summary_path}`);
    if (view.handoff.commit) lines.push(`  commit:   ${view.handoff.commit} on ${view.handoff.branch}${view.handoff.pushed ? ' (pushed)' : ''}`);
    if (view.handoff.pr) lines.push(`  pr:       ${view.handoff.pr.url} (${view.handoff.pr.action})`);
  }
  for (const problem of view.problems ?? []) lines.push(`  problem:  ${problem}`);
  lines.push(`  next:     ${formatAction(view.next_safe_action)}`);
  return lines.join('\n');
}

function usageText(u: { cost_usd?: number | null; turns?: number | null }): string {
  const parts = [u.cost_usd != null ? `$${u.cost_usd.toFixed(4)}` : '', u.turns != null ? `${u.turns} turn(s)` : ''].filter(Boolean);
  return parts.length ? `  ${parts.join(', ')}` : '';
}

/** "retry_exhausted (cause worker_timeout) [t3-fixer]: message" */
export function formatBlocker(b: Blocker): string {
  const cause = b.cause ? ` (cause ${b.cause})` : '';
  const where = b.item ? ` [${b.item}]` : b.task_id ? ` [${b.task_id}]` : '';
  return `${b.code}${cause}${where}: ${b.message}`;
}

/** "resume: buran resume ID (reason)" */
export function formatAction(a: NextSafeAction): string {
  return `${a.kind}${a.command ? `: ${a.command}` : ''} (${a.reason})`;
}

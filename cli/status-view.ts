import { hostName } from '../persistence/host.ts';
import { TERMINAL_STATES } from '../machines/states.ts';
import { NO_FACTS, nextSafeAction, type ActionFacts, type NextSafeAction } from '../machines/next-safe-action.ts';
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
  /** Where the workers run; `repo` is the checkout a worktree was made from (--repo), else null; `present`: still on disk. */
  /** `host`: a fleet's run, whose workspace is on that runner host's disk (not checked from here). */
  workspace: { path: string; repo: string | null; branch: string | null; present: boolean; host?: string } | null;
  /** Claims the run holds now (CONTRACT 8 leases). */
  leases: { resource: string; mode: string; expires_at: string }[];
  /** Totals over every preset agent task that reported them. */
  usage: { cost_usd: number | null; turns: number | null };
  /** The run this one retried (`buran retry`), and the runs that retried this one. */
  retry_of: string | null;
  retried_by: string[];
  /** The run's agent state: cost so far (context.cost_usd), the session a fixer continues, a pause under way. */
  agent: { cost_usd: number; session_id: string | null; pause: { reason: string; until: string } | null };
  /** Every log the run has written so far: setup commands, worker tasks, verification commands. */
  logs: RunLog[];
  /** Registry records this report could not use, each with what it means (absent when all were fine). */
  problems?: string[];
}

/** One log file of a run. */
export interface RunLog {
  kind: 'setup' | 'task' | 'verification';
  path: string;
  task_id?: string;
  epoch?: number;
  /** The command's place in workspace.setup or in the epoch's verification commands (from 1). */
  index?: number;
}

/** What status reads beside the snapshot and journal. */
export interface StatusExtras {
  workspace: StatusView['workspace'];
  leases: StatusView['leases'];
  /** When the current task's worker last wrote output (its heartbeat), if known. */
  lastOutputAt: string | null;
  logs: RunLog[];
}

const NO_EXTRAS: StatusExtras = { workspace: null, leases: [], lastOutputAt: null, logs: [] };

function totals(tasks: TaskRecord[]): StatusView['usage'] {
  const sum = (pick: (t: TaskRecord) => number | null | undefined) => {
    const known = tasks.map(pick).filter((v): v is number => typeof v === 'number');
    return known.length === 0 ? null : Math.round(known.reduce((a, b) => a + b, 0) * 1e6) / 1e6;
  };
  return { cost_usd: sum((t) => t.cost_usd), turns: sum((t) => t.turns) };
}

/** Builds the status report from a stored snapshot and the task history from the journal. */
export function statusView(envelope: SnapshotEnvelope, tasks: TaskRecord[], extras: StatusExtras = NO_EXTRAS, facts: ActionFacts = NO_FACTS): StatusView {
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
      ...(context.settings.agents?.max_cost_usd != null
        ? [{ name: 'cost_usd', used: context.cost_usd ?? 0, limit: context.settings.agents.max_cost_usd }]
        : []),
    ],
    current_task: terminal || current === null ? null : { ...current, ...(extras.lastOutputAt ? { last_output_at: extras.lastOutputAt } : {}) },
    tasks,
    blocker: context.blocker,
    blockers: context.blockers,
    next_safe_action: nextSafeAction(envelope.run_id, envelope.state, context.blocker, terminal, facts),
    updated_at: envelope.updated_at,
    seq: envelope.seq,
    handoff: context.handoff,
    verification: context.verification,
    review: context.review,
    workspace: extras.workspace,
    leases: extras.leases,
    usage: totals(tasks),
    retry_of: null,
    retried_by: facts.retriedBy,
    agent: {
      cost_usd: context.cost_usd ?? 0,
      session_id: context.agent_session ?? null,
      pause: !terminal && context.agent_pause ? { reason: context.agent_pause.reason, until: new Date(context.agent_pause.until).toISOString() } : null,
    },
    logs: extras.logs,
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
    retry_of: null, retried_by: [],
    agent: { cost_usd: 0, session_id: null, pause: null },
    logs: [],
  };
}

/** The human form of a status report. */
export function formatStatus(view: StatusView): string {
  const lines = [`run ${view.run_id}`];
  const field = (label: string, value: string) => lines.push(indented(`  ${`${label}:`.padEnd(LABEL)}${value}`, LABEL + 2));
  field('state', `${view.state}${view.terminal ? ' (terminal)' : ''}`);
  field('epoch', String(view.epoch));
  if (view.workspace) {
    const elsewhere = view.workspace.host !== undefined && view.workspace.host !== hostName();
    const gone = view.workspace.present || elsewhere ? '' : view.workspace.repo && view.handoff ? '; removed after the handoff' : '; no longer on disk';
    field('workspace', `${view.workspace.path}${view.workspace.host !== undefined ? ` on host ${view.workspace.host}` : ''}${view.workspace.repo ? ` (worktree of ${view.workspace.repo}, branch ${view.workspace.branch}${gone})` : gone ? ` (${gone.slice(2)})` : ''}`);
  }
  field('budgets', view.budgets.map((b) => `${b.name} ${b.used}/${b.limit}`).join(', ') || '-');
  const current = view.current_task;
  field('current', current ? `${current.task_id} (${current.role}, attempt ${current.attempt}, epoch ${current.epoch})` : '-');
  if (view.tasks.length === 0) field('tasks', '-');
  else lines.push('  tasks:');
  for (const t of view.tasks) {
    lines.push(`    ${t.task_id.padEnd(18)} ${t.role.padEnd(11)} attempt ${t.attempt} epoch ${t.epoch}  ${t.status}${t.code ? ` (${t.code})` : ''}${t.verdict ? ` ${t.verdict}` : ''}${usageText(t)}${agentText(t)}`);
  }
  if (view.usage.cost_usd !== null || view.usage.turns !== null) field('usage', usageText(view.usage).trim() || '-');
  if (view.agent.session_id) field('session', `${view.agent.session_id} (the next fixer continues it)`);
  if (view.agent.pause) field('waiting', `for the agent (${view.agent.pause.reason}) until ${view.agent.pause.until}; no retry is spent`);
  if (view.leases.length > 0) field('leases', `${view.leases.map((l) => l.resource).join(', ')} (until ${view.leases[0]!.expires_at})`);
  if (view.blockers.length > 0) {
    lines.push('  blockers:');
    for (const b of view.blockers) lines.push(indented(`    ${formatBlocker(b)}`, 6));
  }
  if (view.logs.length > 0) {
    lines.push('  logs:');
    const labels = view.logs.map(logLabel);
    const width = Math.max(...labels.map((l) => l.length));
    view.logs.forEach((log, i) => lines.push(`    ${labels[i]!.padEnd(width)}  ${log.path}`));
  }
  if (view.handoff) {
    field('handoff', `${view.handoff.kind}: ${view.handoff.patch_path ?? '(no patch: workspace is not a git repo)'}`);
    field('summary', view.handoff.summary_path);
    if (view.handoff.commit) field('commit', `${view.handoff.commit} on ${view.handoff.branch}${view.handoff.pushed ? ' (pushed)' : ''}`);
    if (view.handoff.pr) field('pr', `${view.handoff.pr.url} (${view.handoff.pr.action})`);
  }
  if (view.retry_of) field('retry of', view.retry_of);
  if (view.retried_by.length > 0) field('retried as', view.retried_by.join(', '));
  for (const problem of view.problems ?? []) field('problem', problem);
  field('next', formatAction(view.next_safe_action));
  return lines.join('\n');
}

// "retried as: " is the longest label.
const LABEL = 12;

function logLabel(log: RunLog): string {
  if (log.kind === 'task') return log.task_id ?? 'task';
  if (log.kind === 'setup') return `setup ${log.index}`;
  return `verification ${log.index} (epoch ${log.epoch})`;
}

function usageText(u: { cost_usd?: number | null; turns?: number | null }): string {
  const parts = [u.cost_usd != null ? `$${u.cost_usd.toFixed(4)}` : '', u.turns != null ? `${u.turns} turn(s)` : ''].filter(Boolean);
  return parts.length ? `  ${parts.join(', ')}` : '';
}

function agentText(t: TaskRecord): string {
  const outcome = t.agent_outcome && t.agent_outcome !== 'success' ? ` agent:${t.agent_outcome}` : '';
  const session = t.session_id ? ` session ${t.session_id}${t.resumed_session ? ' (continued)' : ''}` : '';
  return `${outcome}${session}`;
}

/** "retry_exhausted (cause worker_timeout) [t3-fixer]: message" */
export function formatBlocker(b: Blocker): string {
  const cause = b.cause ? ` (cause ${b.cause})` : b.not_before ? ` (not before ${b.not_before})` : '';
  const where = b.item ? ` [${b.item}]` : b.task_id ? ` [${b.task_id}]` : '';
  return `${b.code}${cause}${where}: ${b.message}`;
}

/** "resume: buran resume ID (reason)" */
export function formatAction(a: NextSafeAction): string {
  return `${a.kind}${a.command ? `: ${a.command}` : ''}${a.not_before ? ` not before ${a.not_before}` : ''} (${a.reason})`;
}

/** Lines after the first of a multi-line value start at its column, so the layout holds. */
export function indented(text: string, column: number): string {
  return text.split('\n').map((line, i) => (i === 0 ? line : `${' '.repeat(column)}${line}`)).join('\n');
}

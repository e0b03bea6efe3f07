// Safety invariants of the run machine, checked after every step of every generated path; each returns the violations it finds.
import type { AnyMachineSnapshot } from 'xstate';
import type { RunContext } from '../../machines/run-rules.ts';
import type { TaskRef } from '../../machines/types.ts';
import { TERMINAL_STATES } from '../../machines/states.ts';

const top = (s: AnyMachineSnapshot) => (typeof s.value === 'string' ? s.value : Object.keys(s.value)[0]!);
const inState = (s: AnyMachineSnapshot, ...ids: string[]) => s._nodes.some((n) => ids.includes(n.id));
const ctx = (s: AnyMachineSnapshot) => s.context as RunContext;

/** States that lie past `verification.checking` within an epoch: the evidence must be of that epoch there. */
const PAST_CHECKING = ['run.verification.running_commands', 'run.internal_review', 'run.fix_loop', 'run.handoff_ready.handing_off', 'run.ready_for_manual_review'];
/** States that mean the run is handed off or handing off. */
const HANDED_OFF = ['run.handoff_ready.handing_off', 'run.ready_for_manual_review'];
const STAGE_ROLE: Record<string, string> = { running: 'implementer', fix_loop: 'fixer', internal_review: 'reviewer' };

/** Invariants that hold for any reachable snapshot, even one restored from a tampered record. */
export function safetyViolations(s: AnyMachineSnapshot): string[] {
  const c = ctx(s);
  const v: string[] = [];
  if (inState(s, ...PAST_CHECKING) && c.evidence?.epoch !== c.epoch) {
    v.push(`in ${JSON.stringify(s.value)} without accepted evidence of epoch ${c.epoch} (evidence ${JSON.stringify(c.evidence)})`);
  }
  if (inState(s, ...HANDED_OFF)) {
    const ok = c.verification?.epoch === c.epoch && c.verification.verdict === 'PASS' && c.review?.epoch === c.epoch && c.review.verdict === 'PASS';
    if (!ok) v.push(`handed off without verification PASS and review PASS of epoch ${c.epoch}`);
  }
  if (c.fix_attempts > c.settings.max_fix_attempts) v.push(`fix_attempts ${c.fix_attempts} > max_fix_attempts ${c.settings.max_fix_attempts}`);
  if (c.current && c.current.retry > c.settings.max_dispatch_retries) v.push(`current.retry ${c.current.retry} > max_dispatch_retries`);
  if (c.pending && c.pending.retry > c.settings.max_dispatch_retries) v.push(`pending.retry ${c.pending.retry} > max_dispatch_retries`);
  const terminal = TERMINAL_STATES.has(top(s));
  if (terminal !== (s.status === 'done')) v.push(`terminal state ${top(s)} with actor status ${s.status}`);
  if (s.status === 'error') v.push(`actor status error: ${String(s.error)}`);
  if (terminal && top(s) !== 'ready_for_manual_review' && (c.blocker === null || !c.blockers.includes(c.blocker))) {
    v.push(`${top(s)} without a recorded blocker`);
  }
  if (top(s) === 'ready_for_manual_review' && (c.blocker !== null || c.handoff === null)) v.push('ready_for_manual_review with a blocker or without a handoff record');
  if (!terminal && c.blocker !== null) v.push(`active in ${top(s)} with blocker ${c.blocker.code}`);
  return v;
}

/** The dispatches of a path so far, in order: each new `current` task is one dispatch. */
export function dispatchHistory(snapshots: AnyMachineSnapshot[]): TaskRef[] {
  const history: TaskRef[] = [];
  for (const s of snapshots) {
    const current = ctx(s).current;
    if (current && history.at(-1)?.task_id !== current.task_id) history.push(current);
  }
  return history;
}

/** Invariants of a run started fresh: bookkeeping that a tampered record may break but the machine never does. */
export function consistencyViolations(s: AnyMachineSnapshot, history: TaskRef[]): string[] {
  const c = ctx(s);
  const v: string[] = [];
  const taskChildren = Object.keys(s.children).filter((k) => k.startsWith('task:'));
  const awaiting = s._nodes.some((n) => n.key === 'awaiting');
  if (awaiting) {
    const role = STAGE_ROLE[top(s)];
    if (!c.current || c.current.role !== role) v.push(`awaiting in ${top(s)} with current ${JSON.stringify(c.current)}`);
    else {
      const attempt = role === 'fixer' ? c.fix_attempts : role === 'reviewer' ? c.review_attempts : 1;
      if (c.current.attempt !== attempt) v.push(`${role} dispatch of attempt ${c.current.attempt}, stage attempt is ${attempt}`);
      const epoch = role === 'reviewer' ? c.epoch : c.epoch + 1;
      if (c.current.epoch !== epoch) v.push(`${role} dispatch judged in epoch ${c.current.epoch}, expected ${epoch}`);
      // An agent pause or a session started afresh dispatches again under the same retry number (CONTRACT 4); so
      // does a dispatch made again after an interruption (no driver watched the process end), counted run-wide.
      const tries = new Set(history.filter((t) => t.role === role && t.attempt === c.current!.attempt).map((t) => t.retry)).size;
      if (tries !== c.current.retry + 1) v.push(`retry ${c.current.retry} after ${tries} retry number(s) of this attempt`);
    }
    if (taskChildren.length !== 1 || taskChildren[0] !== `task:${c.current?.task_id}`) v.push(`awaiting with task children ${taskChildren.join(', ')}`);
  } else if (taskChildren.length > 0 && s.status === 'active') {
    // A finished run keeps its stopped children listed (xstate stops them; it does not unlist them).
    v.push(`task children ${taskChildren.join(', ')} outside a dispatch`);
  }
  if (new Set(history.map((t) => t.task_id)).size !== history.length) v.push('a task id was reused');
  if (history.length !== c.dispatches) v.push(`${history.length} dispatches seen, context counts ${c.dispatches}`);
  if (c.epoch > c.fix_attempts + 1) v.push(`epoch ${c.epoch} with only ${c.fix_attempts} fix attempt(s)`);
  return v;
}

/** Invariants of one step: counters and history only grow; a finished run does not move. */
export function stepViolations(prev: AnyMachineSnapshot, next: AnyMachineSnapshot): string[] {
  const a = ctx(prev);
  const b = ctx(next);
  const v: string[] = [];
  for (const k of ['epoch', 'fix_attempts', 'review_attempts', 'dispatches'] as const) {
    if (b[k] < a[k]) v.push(`${k} went down from ${a[k]} to ${b[k]}`);
  }
  if (b.blockers.length < a.blockers.length || a.blockers.some((x, i) => b.blockers[i] !== x && JSON.stringify(b.blockers[i]) !== JSON.stringify(x))) {
    v.push('a recorded blocker was removed or rewritten');
  }
  if (b.epoch > a.epoch && !(inState(next, 'run.verification') || b.blocker !== null)) v.push('an epoch began outside verification');
  if (prev.status === 'done' && JSON.stringify([prev.value, a]) !== JSON.stringify([next.value, b])) v.push(`left terminal state ${top(prev)}`);
  return v;
}

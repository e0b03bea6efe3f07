import type { EventObject } from 'xstate';

/** The journal's view of the event that caused a transition: its type and the facts that decided it. */
export function describeEvent(event: EventObject): { event: string } & Record<string, unknown> {
  const e = event as EventObject & { outcome?: Record<string, unknown>; output?: Record<string, unknown>; reason?: string };
  if (e.type === 'task.settled' && e.outcome) {
    const { task_id, role, status, decision, code, verdict } = e.outcome;
    return { event: e.type, task: { task_id, role, status, decision, code, verdict } };
  }
  if (e.type === 'run.cancel') return { event: e.type, reason: e.reason };
  if (e.type.startsWith('xstate.done.actor.') && e.output && typeof e.output === 'object' && 'verdict' in e.output) {
    return { event: e.type, verdict: e.output.verdict, epoch: e.output.epoch };
  }
  return { event: e.type };
}

import type { AnyMachineSnapshot, InspectionEvent } from 'xstate';
import type { JournalDraft } from '../persistence/journal.ts';
import { describeEvent } from './describe-event.ts';
import { statePath } from './state-path.ts';
import { clipText } from '../schemas/completion.ts';
import type { TaskOutcome, TaskRef } from '../machines/types.ts';

// Events journalled as run transitions even when the state path does not change (a retry re-enters its stage).
const RECORDED_EVENTS = new Set(['task.settled', 'run.cancel']);

/** What the observer reports to the driver. */
export interface ObserverSink {
  /** Returns false when the draft re-executes a step the journal already holds. */
  draft: (draft: JournalDraft) => boolean;
  /** A run transition was journalled (fresh) or replayed; `to` is its state path. */
  step: (to: string, fresh: boolean) => void;
  /** Something in the actor tree changed. */
  touch: () => void;
}

/**
 * Turns xstate's inspection stream into journal drafts: one per run transition and one per
 * worker-task transition. (`actor.subscribe` misses child changes; `inspect` sees them all.)
 */
export function transitionObserver(restored: AnyMachineSnapshot | null, sink: ObserverSink) {
  let rootPath: string | null = restored ? statePath(restored.value) : null;
  const taskPaths = new Map<string, string>(childPaths(restored));
  let muted = false;

  // The first entry of a task names it fully; the last carries its judgement: together they
  // are the task history `status` shows, so the snapshot need not keep it.
  const taskStep = (taskId: string, to: string, detail: Record<string, unknown>) => {
    const id = `task:${taskId}`;
    const from = taskPaths.get(id) ?? null;
    if (to === from) return;
    sink.draft({ type: 'task.transition', task_id: taskId, from, to, ...detail });
    taskPaths.set(id, to);
  };

  const inspect = (event: InspectionEvent) => {
    if (muted) return;
    const isRoot = event.actorRef.sessionId === event.rootId;
    if (event.type === '@xstate.event' && isRoot && event.event.type === 'task.settled') {
      // The child's final state is announced after the parent acted on it; journal it first.
      const outcome = (event.event as unknown as { outcome: TaskOutcome }).outcome;
      // The message says why a task failed; a retried task has no blocker to say it elsewhere.
      taskStep(outcome.task_id, outcome.status, { role: outcome.role, decision: outcome.decision, code: outcome.code, verdict: outcome.verdict, message: clipText(outcome.message, 2048) });
      return;
    }
    if (event.type !== '@xstate.snapshot') return;
    const snapshot = event.snapshot as AnyMachineSnapshot;
    if (isRoot) {
      if (snapshot.status === 'error') return;
      const to = statePath(snapshot.value);
      if (to !== rootPath || RECORDED_EVENTS.has(event.event.type)) {
        const cause = describeEvent(event.event);
        const fresh = sink.draft(rootPath === null
          ? { ...cause, type: 'run.created', from: null, to }
          : { ...cause, type: 'run.transition', from: rootPath, to });
        rootPath = to;
        sink.step(to, fresh);
      }
    } else {
      const id = (event.actorRef as { id?: string }).id ?? '';
      if (id.startsWith('task:') && snapshot.value !== undefined) {
        const task = (snapshot.context as { task?: TaskRef } | undefined)?.task;
        const named = task && !taskPaths.has(id) ? { role: task.role, attempt: task.attempt, epoch: task.epoch, retry: task.retry } : {};
        taskStep(id.slice('task:'.length), statePath(snapshot.value), named);
      }
    }
    sink.touch();
  };
  return { inspect, mute: () => { muted = true; } };
}

function childPaths(snapshot: AnyMachineSnapshot | null): [string, string][] {
  const children = (snapshot as unknown as { children?: Record<string, { snapshot?: { value?: unknown } }> } | null)?.children ?? {};
  return Object.entries(children)
    .filter(([id, child]) => id.startsWith('task:') && child.snapshot?.value !== undefined)
    .map(([id, child]) => [id, statePath(child.snapshot!.value as never)]);
}

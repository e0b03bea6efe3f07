// Turns a generated run-model path into a real CLI run (fixture worker modes, check exit codes, config) and its expected outcome.
import type { AnyMachineSnapshot } from 'xstate';
import type { RunContext } from '../../machines/run-rules.ts';
import type { Role, TaskOutcome, TaskRecord } from '../../machines/types.ts';
import type { ModelPath, StepRecord } from './model-kit.ts';
import { scenarioOf, VERIFICATION_EXIT, type Scenario } from './run-model.ts';
import { settlementsFor } from './worker-task-model.ts';

/** What the real run needs to play a path: per-role fixture modes in call order, check exit codes, timeouts. */
export interface CliPlan {
  scenario: Scenario;
  modes: Partial<Record<Role, string[]>>;
  checkExits: string[];
  workerTimeout: boolean;
  verificationTimeout: boolean;
}

/** The fixture script for a path, or null when a step has no real-world counterpart here (cancel, lease held, stale report…). */
export function cliPlan(path: ModelPath, steps: StepRecord[]): CliPlan | null {
  const scenario = scenarioOf(path.scenario);
  if (!scenario?.cli) return null;
  const modes: Partial<Record<Role, string[]>> = {};
  const checkExits: string[] = [];
  let workerTimeout = false;
  let verificationTimeout = false;
  for (const step of steps) {
    const [kind, label] = step.event.variant.split(':') as [string, string | undefined];
    if (['intake', 'workspace', 'lease:granted', 'handoff', 'retire'].includes(step.event.variant)) continue;
    if (kind === 'verification') {
      const code = VERIFICATION_EXIT[label!];
      if (code === null || code === undefined) return null;
      checkExits.push(code);
      verificationTimeout ||= label === 'timeout-blocked';
    } else if (kind === 'task' && label !== 'not-current') {
      const current = (step.prev.context as RunContext).current!;
      const mode = settlementsFor(current).find((s) => s.label === label)?.mode ?? null;
      if (mode === null) return null;
      (modes[current.role] ??= []).push(mode);
      workerTimeout ||= mode === 'hang';
    } else {
      return null;
    }
  }
  for (const role of ['implementer', 'fixer', 'reviewer'] as Role[]) if (scenario.cli.roles[role]) modes[role] ??= ['ok'];
  return { scenario, modes, checkExits, workerTimeout, verificationTimeout };
}

export type TaskLine = Pick<TaskRecord, 'task_id' | 'role' | 'attempt' | 'epoch' | 'status' | 'code' | 'verdict'>;

/** The task history the model predicts: one line per dispatch, closed by the settlement of that task. */
export function modelTasks(steps: StepRecord[]): TaskLine[] {
  const lines: TaskLine[] = [];
  for (const step of steps) {
    const outcome = (step.event as { outcome?: TaskOutcome }).outcome;
    const line = outcome && lines.find((l) => l.task_id === outcome.task_id);
    if (line && outcome) Object.assign(line, { status: outcome.status, code: outcome.code, verdict: outcome.verdict });
    const current = (step.next.context as RunContext).current;
    if (current && !lines.some((l) => l.task_id === current.task_id)) {
      lines.push({ task_id: current.task_id, role: current.role, attempt: current.attempt, epoch: current.epoch, status: 'dispatched', code: null, verdict: null });
    }
  }
  return lines;
}

/** What `buran status --json` must say at the end of the path, and the exit code of `buran run`. */
export function expectedOutcome(steps: StepRecord[]) {
  const last: AnyMachineSnapshot = steps.at(-1)!.next;
  const c = last.context as RunContext;
  const state = typeof last.value === 'string' ? last.value : Object.keys(last.value)[0]!;
  const code = state === 'ready_for_manual_review' ? 0 : state === 'failed_execution' ? 4 : 3;
  return {
    code,
    status: {
      state, epoch: c.epoch, blocker: c.blocker ? { code: c.blocker.code, cause: c.blocker.cause ?? null } : null,
      fix_attempts: c.fix_attempts, tasks: modelTasks(steps),
    },
  };
}

/** The same projection of a real status report. */
export function observedOutcome(code: number, status: Record<string, any>) {
  return {
    code,
    status: {
      state: status.state, epoch: status.epoch,
      blocker: status.blocker ? { code: status.blocker.code, cause: status.blocker.cause ?? null } : null,
      fix_attempts: status.budgets.find((b: any) => b.name === 'fix_attempts')?.used,
      tasks: status.tasks.map((t: any) => ({ task_id: t.task_id, role: t.role, attempt: t.attempt, epoch: t.epoch, status: t.status, code: t.code ?? null, verdict: t.verdict ?? null })),
    },
  };
}

/** The sample: for each kind of ending, the shortest generated path that is replayable and matches. */
export const SAMPLE: Array<{ name: string; matches: (labels: string[], end: RunContext, state: string) => boolean }> = [
  { name: 'ready after a verification FAIL and a review FAIL', matches: (l, _c, s) => s === 'ready_for_manual_review' && l.includes('verification:fail') && l.includes('task:verdict-fail') },
  { name: 'the reviewer\'s retry is spent too', matches: (_l, c) => c.blocker?.code === 'retry_exhausted' && c.current?.role === 'reviewer' && c.current.retry === 1 },
  { name: 'failed_execution: the implementer keeps failing', matches: (_l, c) => c.blocker?.code === 'retry_exhausted' && c.blocker.cause === 'worker_failed' && c.current?.role === 'implementer' },
  { name: 'completion_conflict from the reviewer', matches: (l, c) => c.blocker?.code === 'completion_conflict' && l.includes('verification:pass') },
  { name: 'worker timeout exhausts the retries', matches: (_l, c) => c.blocker?.code === 'retry_exhausted' && c.blocker.cause === 'worker_timeout' },
  { name: 'fix budget exhausted', matches: (l, c) => c.blocker?.code === 'fix_budget_exhausted' && l.includes('task:verdict-fail') },
  { name: 'review BLOCKED', matches: (_l, c) => c.blocker?.code === 'review_blocked' },
  { name: 'verification timeout blocks', matches: (_l, c) => c.blocker?.code === 'verification_blocked' && c.epoch > 0 },
  { name: 'no fixer or reviewer configured: blocked at intake', matches: (_l, c) => c.blocker?.code === 'adapter_unavailable' && c.dispatches === 0 },
  { name: 'plan insufficient', matches: (_l, c) => c.blocker?.code === 'plan_insufficient' },
];

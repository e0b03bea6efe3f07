import { fromPromise } from 'xstate';
import { runMachine, type LeaseResult } from '../machines/run-machine.ts';
import { workerTaskMachine, type WorkerTaskInput } from '../machines/worker-task-machine.ts';
import { TERMINAL_STATES } from '../machines/states.ts';
import type { HandoffRecord, VerificationReport, WorkerRun } from '../machines/types.ts';
import { dispatchWorker } from '../adapters/worker-dispatch.ts';
import { runVerification } from '../adapters/verification.ts';
import { handoffLocal } from '../adapters/handoff-local.ts';
import { acquireLease } from '../persistence/lease.ts';
import { runLayout } from '../persistence/layout.ts';
import { readSnapshot } from '../persistence/snapshot-store.ts';
import { writeJsonDurable } from '../persistence/durable-file.ts';
import type { RunDeps } from './run-deps.ts';

/** Signals both the run's deliberate stop and xstate's own stop of the child. */
function eitherSignal(a: AbortSignal, b: AbortSignal): AbortSignal {
  return AbortSignal.any([a, b]);
}

/** The run machine with its effects bound to one run's registry, workspace and config. */
export function provideRunMachine(deps: RunDeps) {
  const worker = workerTaskMachine.provide({
    actors: {
      runWorker: fromPromise<WorkerRun, WorkerTaskInput>(({ input, signal }) => {
        const config = deps.meta.config.workers[input.task.role];
        if (!config) throw new Error(`no ${input.task.role} worker configured`);
        return deps.track(dispatchWorker({
          taskDir: deps.layout.taskDir(input.task.task_id), workspace: deps.meta.workspace, worker: config,
          packet: deps.packet, plan: deps.plan, env: deps.env, secrets: deps.secrets, killGraceMs: deps.killGraceMs,
          record: deps.record, signal: eitherSignal(signal, deps.stopSignal),
        }, input));
      }),
    },
  });
  return runMachine.provide({
    actors: {
      workerTask: worker,
      recordIntake: fromPromise<void, { run_id: string }>(async () => {
        await writeJsonDurable(deps.layout.intake, { plan: deps.plan, missing: deps.meta.input.missing });
      }),
      prepareWorkspace: fromPromise<void, { run_id: string }>(async () => {}),
      acquireLease: fromPromise<LeaseResult, { run_id: string }>(async ({ input }) => {
        const result = await acquireLease(
          deps.registryRoot, `workspace:${deps.meta.workspace}`, input.run_id, deps.meta.config.lease.ttl_ms, deps.now(),
          async (lease, now) => Date.parse(lease.expires_at) > now.getTime() && !(await runIsFinished(deps.registryRoot, lease.run_id)),
        );
        return result.granted
          ? { granted: true }
          : { granted: false, holder: result.holder.run_id, message: `workspace ${deps.meta.workspace} is leased to run ${result.holder.run_id} until ${result.holder.expires_at}` };
      }),
      runVerification: fromPromise<VerificationReport, { run_id: string; epoch: number; commands: string[] }>(({ input, signal }) =>
        deps.track(runVerification({
          epochDir: deps.layout.epochDir(input.epoch), workspace: deps.meta.workspace, timeoutMs: deps.meta.config.verification.timeout_ms,
          env: deps.env, secrets: deps.secrets, killGraceMs: deps.killGraceMs, record: deps.record, signal: eitherSignal(signal, deps.stopSignal),
        }, input.epoch, input.commands))),
      performHandoff: fromPromise<HandoffRecord, { run_id: string; epoch: number }>(({ input }) =>
        deps.track(handoffLocal({
          handoffDir: deps.layout.handoffDir, workspace: deps.meta.workspace, plan: deps.plan, runId: input.run_id,
          epoch: input.epoch, secrets: deps.secrets, evidence: `Verification and internal review passed in epoch ${input.epoch}.`,
        }))),
    },
  });
}

async function runIsFinished(root: string, runId: string): Promise<boolean> {
  try {
    const snapshot = await readSnapshot(runLayout(root, runId).snapshot);
    return snapshot !== null && TERMINAL_STATES.has(snapshot.state);
  } catch {
    return false;
  }
}

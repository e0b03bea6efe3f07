import { createActor, fromPromise, type AnyActorRef } from 'xstate';
import { runMachine, type LeaseResult } from '../../machines/run-machine.ts';
import { workerTaskMachine, type WorkerTaskInput } from '../../machines/worker-task-machine.ts';
import type { RunInput } from '../../machines/run-rules.ts';
import type { HandoffRecord, VerificationReport, WorkerRun } from '../../machines/types.ts';
import { readPacket } from '../../schemas/packet.ts';
import { readFileSync } from 'node:fs';
import { PACKET } from '../helpers/sandbox.ts';

/** Scripted effects: each role's dispatches and each epoch's verification play in order. */
export interface Script {
  worker: (input: WorkerTaskInput, call: number) => WorkerRun;
  verdicts?: Array<'PASS' | 'FAIL' | 'BLOCKED'>;
  lease?: LeaseResult;
  /** What waiting for the lease ends with (default: the same as the first attempt). */
  laterLease?: LeaseResult;
}

/** A completion the fixture would write for this dispatch. */
export const completed = (input: WorkerTaskInput, extra: Record<string, unknown> = {}): WorkerRun => ({
  kind: 'exited', exitCode: 0, signal: null,
  completion: { kind: 'present', completion: { task_id: input.task.task_id, status: 'completed', summary: 'done', artifacts: [], findings: [], ...extra } as never },
});

/** The run machine with scripted (in-memory) effects, for fast statechart tests. */
export function scriptedMachine(script: Script) {
  let calls = 0;
  let epochs = 0;
  const dispatched: WorkerTaskInput[] = [];
  const machine = runMachine.provide({
    actors: {
      workerTask: workerTaskMachine.provide({
        actors: {
          runWorker: fromPromise<WorkerRun, WorkerTaskInput>(async ({ input }) => {
            dispatched.push(input);
            return script.worker(input, calls++);
          }),
        },
      }),
      acquireLease: fromPromise<LeaseResult, { run_id: string }>(async () => script.lease ?? { granted: true }),
      awaitLease: fromPromise<LeaseResult, { run_id: string; until: number }>(async () => script.laterLease ?? script.lease ?? { granted: true }),
      runVerification: fromPromise<VerificationReport, { run_id: string; epoch: number; commands: string[] }>(async ({ input }) => {
        const verdict = script.verdicts?.[Math.min(epochs++, (script.verdicts?.length ?? 1) - 1)] ?? 'PASS';
        return { epoch: input.epoch, verdict, findings: verdict === 'FAIL' ? [{ severity: 'error', message: 'test failed' }] : [], message: verdict, commands: [] };
      }),
      performHandoff: fromPromise<HandoffRecord, { run_id: string; epoch: number }>(async () => ({
        kind: 'local', patch_path: null, summary_path: '/dev/null', files_changed: 0, target: { repo: 'r', base_branch: 'main', intended_branch: 'b' },
      })),
    },
  });
  return { machine, dispatched };
}

/** A sufficient run input from the fixture packet, with settings overridable. */
export function runInput(settings: Partial<RunInput['settings']> = {}, packetPatch: Record<string, unknown> = {}): RunInput {
  const { plan, missing } = readPacket({ ...JSON.parse(readFileSync(PACKET, 'utf8')), ...packetPatch });
  return {
    run_id: 'r1', plan, missing,
    settings: {
      roles: { implementer: true, fixer: true, reviewer: true }, max_fix_attempts: 2, max_dispatch_retries: 1,
      allowed_commands: ['node check.mjs'], lease_wait_ms: 0, handoff: { kind: 'local', allowed_repos: [] }, setup: false, ...settings,
    },
  };
}

/** Resolves once the actor reaches a final state. */
export function settle(actor: AnyActorRef): Promise<any> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const snap = actor.getSnapshot();
      if (snap.status === 'done') resolve(snap);
      if (snap.status === 'error') reject(snap.error);
    };
    actor.subscribe({ next: check, error: reject, complete: check });
    check();
  });
}

export { createActor };

import { fromPromise } from 'xstate';
import { runMachine, type LeaseResult } from '../machines/run-machine.ts';
import { workerTaskMachine, type WorkerTaskInput } from '../machines/worker-task-machine.ts';
import type { HandoffRecord, VerificationReport, WorkerRun } from '../machines/types.ts';
import { dispatchWorker } from '../adapters/worker-dispatch.ts';
import { runVerification } from '../adapters/verification.ts';
import { handoffLocal } from '../adapters/handoff-local.ts';
import { handoffGitBranch, handoffGithubPr } from '../adapters/handoff-git.ts';
import { gatherHandoffStory } from '../adapters/handoff-story.ts';
import { existsSync } from 'node:fs';
import { prepareWorktree, removeWorktree } from '../adapters/worktree.ts';
import { withFileMutex } from '../persistence/file-mutex.ts';
import { worktreeMutexPath } from '../persistence/layout.ts';
import { buildChildEnv } from '../adapters/worker-env.ts';
import { redact } from '../adapters/redact.ts';
import { awaitRunLeases, tryRunLeases } from './leases.ts';
import { EFFECTS } from '../persistence/port.ts';
import type { RunDeps } from './run-deps.ts';
import { isRegistryProblem } from '../persistence/errors.ts';
import type { PreflightFacts } from '../machines/preflight-rules.ts';
import type { ScanReport, SetupReport } from '../machines/workspace-rules.ts';
import { gatherPreflight } from '../adapters/preflight.ts';
import { runWorkspaceSetup } from '../adapters/workspace-setup.ts';
import { scanChange } from '../adapters/change-scan.ts';
import { join } from 'node:path';
import { sleepUntil } from './sleep-until.ts';
import { pushCheckpoint, type CheckpointContext } from '../adapters/checkpoint.ts';

/**
 * Signals both the run's deliberate stop and xstate's own stop of the child, for as long as
 * `work` runs. Not AbortSignal.any: Node 20 keeps such a signal (and, through its listeners, each
 * worker's process objects) alive until it aborts, which in a batch of hundreds of runs is a leak
 * of ~100 kB per run. The listeners are removed once the work settles: the run's stop signal
 * outlives every dispatch, and one listener left per dispatch passes Node's limit of 10
 * (MaxListenersExceededWarning) by the eleventh.
 */
function withEitherSignal<T>(a: AbortSignal, b: AbortSignal, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  if (a.aborted || b.aborted) return work(AbortSignal.abort());
  const either = new AbortController();
  const abort = () => either.abort();
  a.addEventListener('abort', abort, { once: true });
  b.addEventListener('abort', abort, { once: true });
  const detach = () => {
    a.removeEventListener('abort', abort);
    b.removeEventListener('abort', abort);
  };
  let running: Promise<T>;
  try {
    running = work(either.signal);
  } catch (error) {
    detach();
    throw error;
  }
  return running.finally(detach);
}

/**
 * Tracks an effect, and keeps a registry problem (a damaged record, a full disk) out of the
 * machine: such an error is no fact about the work for the machine to judge (it would become a
 * retry or a blocker of a run whose records cannot be trusted), so the driver halts instead and
 * the actor's promise is left unsettled.
 */
function effect<T>(deps: RunDeps, work: Promise<T>): Promise<T> {
  return deps.track(work).catch((error: unknown) => {
    if (!isRegistryProblem(error)) {
      // Its message becomes a blocker in the snapshot and the journal: redacted first.
      if (error instanceof Error) error.message = redact(error.message, deps.secrets);
      throw error;
    }
    deps.halt(error);
    return new Promise<T>(() => {});
  });
}

/** The run machine with its effects bound to one run's registry, workspace and config. */
export function provideRunMachine(deps: RunDeps) {
  const worker = workerTaskMachine.provide({
    actors: {
      runWorker: fromPromise<WorkerRun, WorkerTaskInput>(({ input, signal }) => {
        const config = deps.meta.config.workers[input.task.role];
        if (!config) throw new Error(`no ${input.task.role} worker configured`);
        return effect(deps, withEitherSignal(signal, deps.stopSignal, (either) => dispatchWorker({
          registryId: deps.registry.location, records: deps.records, taskDir: deps.layout.taskDir(input.task.task_id), workspace: deps.meta.workspace,
          worker: config, packet: deps.packet, plan: deps.plan, env: deps.env, secrets: deps.secrets, killGraceMs: deps.killGraceMs,
          record: deps.record, signal: either, agentHoldDir: join(deps.registry.workRoot, 'agents'), checkpoint: checkpointOf(deps),
        }, input)));
      }),
    },
  });
  return runMachine.provide({
    actors: {
      workerTask: worker,
      recordIntake: fromPromise<PreflightFacts, { run_id: string }>(async () => {
        await effect(deps, deps.records.write(EFFECTS.intake, { plan: deps.plan, missing: deps.meta.input.missing }));
        return effect(deps, gatherPreflight(deps.meta.config, deps.plan, { workspace: deps.meta.workspace, repo: deps.meta.repo, registry: deps.registry.workRoot }, deps.env));
      }),
      prepareWorkspace: fromPromise<void, { run_id: string }>(async () => {
        if (deps.meta.repo === null) return;
        const spec = { repo: deps.meta.repo, path: deps.meta.workspace, branch: deps.plan.intended_branch || `buran/${deps.meta.run_id}`, base: deps.plan.base_branch };
        const worktree = await effect(deps, withFileMutex(worktreeMutexPath(deps.registry.workRoot), () => prepareWorktree(spec)));
        deps.record({
          type: 'workspace.ready', path: worktree.path, branch: worktree.branch, head: worktree.head, reused: worktree.reused,
          ...(worktree.continued ? { continued: worktree.continued } : {}),
        });
      }),
      acquireLease: fromPromise<LeaseResult, { run_id: string }>(() => effect(deps, tryRunLeases(deps.registry, deps.meta, deps.now()))),
      awaitLease: fromPromise<LeaseResult, { run_id: string; until: number }>(({ input, signal }) =>
        effect(deps, withEitherSignal(signal, deps.stopSignal, (either) => awaitRunLeases(deps.registry, deps.meta, input.until, either)))),
      runVerification: fromPromise<VerificationReport, { run_id: string; epoch: number; commands: string[] }>(({ input, signal }) =>
        effect(deps, withEitherSignal(signal, deps.stopSignal, (either) => runVerification({
          registryId: deps.registry.location, runId: deps.meta.run_id, records: deps.records, epochDir: deps.layout.epochDir(input.epoch),
          workspace: deps.meta.workspace, timeoutMs: deps.meta.config.verification.timeout_ms,
          env: deps.env, secrets: deps.secrets, killGraceMs: deps.killGraceMs, record: deps.record, signal: either,
        }, input.epoch, input.commands)))),
      performHandoff: fromPromise<HandoffRecord, { run_id: string; epoch: number }>(({ input }) =>
        effect(deps, performHandoff(deps, input.run_id, input.epoch))),
      retireWorkspace: fromPromise<void, { run_id: string }>(() => deps.track(retireWorktree(deps))),
      setUpWorkspace: fromPromise<SetupReport, { run_id: string }>(({ input, signal }) =>
        effect(deps, withEitherSignal(signal, deps.stopSignal, (either) => runWorkspaceSetup({
          registryId: deps.registry.location, runId: input.run_id, records: deps.records, setupDir: deps.layout.setupDir, workspace: deps.meta.workspace,
          commands: deps.meta.config.workspace.setup,
          timeoutMs: deps.meta.config.workspace.setup_timeout_ms, env: deps.env, secrets: deps.secrets, killGraceMs: deps.killGraceMs,
          record: deps.record, signal: either,
        })))),
      scanChange: fromPromise<ScanReport, { run_id: string }>(() =>
        effect(deps, scanChange(deps.meta.workspace, deps.secrets, deps.env))),
      awaitAgentPause: fromPromise<void, { run_id: string; until: number }>(({ input, signal }) => {
        deps.record({ type: 'agent.pause', until: new Date(input.until).toISOString() });
        return effect(deps, withEitherSignal(signal, deps.stopSignal, (either) => sleepUntil(input.until, either)));
      }),
    },
  });
}

/** A fleet's run with fleet.remote pushes a checkpoint after each accepted completion; a failure is journalled, not fatal. */
function checkpointOf(deps: RunDeps): ((taskId: string) => Promise<void>) | undefined {
  const remote = deps.meta.config.fleet.remote;
  if (deps.meta.runner !== true || remote === undefined) return undefined;
  return async (taskId) => {
    try {
      const commit = await pushCheckpoint(checkpointContext(deps, remote), taskId);
      deps.record({ type: 'fleet.checkpoint', task_id: taskId, commit });
    } catch (error) {
      deps.record({ type: 'fleet.checkpoint_failed', task_id: taskId, message: redact(error instanceof Error ? error.message : String(error), deps.secrets) });
    }
  };
}

export function checkpointContext(deps: Pick<RunDeps, 'meta' | 'env' | 'secrets'>, remote: string): CheckpointContext {
  return { workspace: deps.meta.workspace, remote, runId: deps.meta.run_id, env: deps.env, passEnv: deps.meta.config.handoff.env, secrets: deps.secrets };
}

async function performHandoff(deps: RunDeps, runId: string, epoch: number): Promise<HandoffRecord> {
  const local = {
    records: deps.records, handoffDir: deps.layout.handoffDir, workspace: deps.meta.workspace, plan: deps.plan, runId, epoch, secrets: deps.secrets,
    // What the run did, read from its own records: the summary and the commit body tell it.
    story: await gatherHandoffStory(await deps.registry.readJournal(runId), deps.records, epoch),
  };
  const handoff = deps.meta.config.handoff;
  const git = { ...local, remote: handoff.remote, gh: handoff.gh, env: buildChildEnv(deps.env, handoff.env, {}), push: deps.meta.runner === true };
  return handoff.kind === 'local' ? handoffLocal(local) : handoff.kind === 'git-branch' ? handoffGitBranch(git) : handoffGithubPr(git);
}

/**
 * Removes the run's own worktree once it is handed off (the machine decides when): the change
 * is then in the patch and, for git-branch / github-pr, on the branch, which is free to be
 * checked out elsewhere. A run in a --workspace has nothing to remove. Idempotent.
 */
async function retireWorktree(deps: RunDeps): Promise<void> {
  const repo = deps.meta.repo;
  if (repo === null || !existsSync(deps.meta.workspace)) return;
  try {
    await withFileMutex(worktreeMutexPath(deps.registry.workRoot), () => removeWorktree(repo, deps.meta.workspace));
    deps.record({ type: 'workspace.removed', path: deps.meta.workspace });
  } catch (error) {
    // The handoff is done: a worktree that will not go is left for `buran clean`, and said so.
    deps.record({ type: 'workspace.kept', path: deps.meta.workspace, reason: error instanceof Error ? error.message : String(error) });
  }
}

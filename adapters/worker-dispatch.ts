import type { JournalDraft } from '../persistence/journal-entries.ts';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { COMPLETION_MAX_BYTES, parseCompletion, type CompletionRead } from '../schemas/completion.ts';
import type { WorkerConfig } from '../schemas/config.ts';
import type { Finding, Plan, TaskRef, WorkerRun } from '../machines/types.ts';
import { writeFileDurable, writeJsonDurable } from '../persistence/durable-file.ts';
import { readIntent, readOutcome, type DispatchIntent } from './dispatch-records.ts';
import type { ProcessIdentity } from '../persistence/process-identity.ts';
import { findProcessByEnv, isAlive } from '../persistence/process-identity.ts';
import { awaitAdopted, runInGroup } from './process-group.ts';
import { stopTaskProcesses } from './orphans.ts';
import { buildChildEnv, runIdentity } from './worker-env.ts';
import { redact } from './redact.ts';
import { awaitLogComplete } from './output-relay.ts';
import { isPlainFile, readWorkerFile } from './worker-file.ts';
import { readOwnJson } from './json-file.ts';
import { agentDoneWatch, agentFacts, completeFromStream, sessionToContinue, workerInvocation, type AgentReport } from './preset-worker.ts';
import { heldUntil, holdAgent } from './agent-hold.ts';

/** One dispatch to perform (the worker-task actor's input). */
export interface DispatchRequest {
  run_id: string;
  task: TaskRef;
  findings: Finding[];
  /** What the run may still spend (USD); a preset agent is capped to it. */
  budget_usd?: number | null;
  /** A fixer's agent session to continue, if the run has one. */
  resume_session?: string | null;
}

/** What the dispatch needs from the run around it. */
export interface DispatchContext {
  registryRoot: string;
  taskDir: string;
  workspace: string;
  worker: WorkerConfig;
  packet: unknown;
  plan: Plan;
  env: NodeJS.ProcessEnv;
  secrets: readonly string[];
  killGraceMs: number;
  record: (draft: JournalDraft) => void;
  signal?: AbortSignal;
  /** Where agents' quota holds are kept (registry-wide: one run's quota stop holds back the others'). */
  agentHoldDir?: string;
}


/** The files of one task under the run. */
export function taskFiles(taskDir: string) {
  return {
    task: join(taskDir, 'task.json'),
    completion: join(taskDir, 'completion.json'),
    intent: join(taskDir, 'dispatch.json'),
    outcome: join(taskDir, 'outcome.json'),
    log: join(taskDir, 'output.log'),
    agent: join(taskDir, 'agent.json'),
  };
}

/**
 * Runs one worker dispatch, idempotently: a recorded outcome is returned as is; a worker a
 * previous driver started is adopted while alive, its completion ingested once it is gone;
 * only a dispatch with no trace is started, and then exactly once.
 */
export async function dispatchWorker(ctx: DispatchContext, req: DispatchRequest): Promise<WorkerRun> {
  const files = taskFiles(ctx.taskDir);
  const recorded = await readOutcome(files.outcome);
  if (recorded !== null) return recorded;

  const intent = await readIntent(files.intent);
  const live = intent === null ? null : liveProcessOf(ctx, intent, req);
  if (intent !== null && live !== null) return finish(ctx, req, await adopt(ctx, req, { ...intent, process: live }));
  // The log was redacted as it was written (by the relay, which outlives a driver); it is read
  // once the relay has finished it (at most a grace period: a relay that died never will).
  if (intent?.process) await awaitLogComplete(files.log, ctx.killGraceMs + 1000);
  if (intent?.process) await agentCompletion(ctx, req);
  const existing = await readCompletion(files.completion, ctx.secrets);
  if (existing.kind !== 'missing') {
    ctx.record({ type: 'worker.ingested', task_id: req.task.task_id, completion: existing.kind });
    return finish(ctx, req, { kind: 'exited', exitCode: 0, signal: null, completion: existing });
  }
  // A start whose driver died before it could record the process, again and again (a worker that
  // takes its driver down at once): reported like any process no driver watched end, so it is bounded.
  if (intent !== null && intent.process === null && !intent.interrupted && (intent.starts ?? 1) >= MAX_UNRECORDED_STARTS) {
    return finish(ctx, req, {
      kind: 'lost', unwatched: true,
      message: `it was started ${intent.starts ?? 1} time(s) and no driver lived to record its process; it left no completion`,
    });
  }
  // A start that never got a process is no evidence a worker ran: it is started (again).
  if (intent !== null && intent.process !== null && !intent.interrupted) {
    // A fact, not a verdict: the run machine decides whether this costs a retry.
    return finish(ctx, req, {
      kind: 'lost', unwatched: true,
      message: `its process (pid ${intent.process?.pid}) ended while no driver was watching and left no completion`,
    });
  }
  return finish(ctx, req, await start(ctx, req, intent?.process === null ? (intent.starts ?? 1) : 0));
}

/** Starts of one task whose process no driver recorded, before that counts as an interruption. */
const MAX_UNRECORDED_STARTS = 3;

async function start(ctx: DispatchContext, req: DispatchRequest, unrecordedStarts = 0): Promise<WorkerRun> {
  const files = taskFiles(ctx.taskDir);
  if (ctx.signal?.aborted) throw new DispatchInterrupted(req.task.task_id);
  await mkdir(ctx.taskDir, { recursive: true });
  // The worker's input needs no fsync: a crash that could lose it also kills the worker, and a
  // dispatch that left no completion is started again with a fresh task file.
  await writeFile(files.task, JSON.stringify({
    run_id: req.run_id, task_id: req.task.task_id, role: req.task.role, attempt: req.task.attempt,
    epoch: req.task.epoch, workspace: ctx.workspace, completion_file: files.completion,
    packet: ctx.packet, plan: ctx.plan, findings: req.findings,
  }));
  const resumed = sessionToContinue(ctx.worker, req.resume_session);
  const invocation = workerInvocation(ctx.worker, req.task, ctx.plan, req.findings, files.task, { resume_session: resumed, budget_usd: req.budget_usd ?? null });
  if (invocation === null) return { kind: 'start_failed', message: 'the worker has no command' };
  const held = await holdBack(ctx, req, invocation.file, resumed);
  if (held !== null) return held;
  const { file, args } = invocation;
  const env = buildChildEnv(ctx.env, ctx.worker.env, {
    ...runIdentity(ctx.registryRoot, req.run_id), BURAN_TASK_ID: req.task.task_id, BURAN_TASK_ROLE: req.task.role,
    BURAN_ATTEMPT: String(req.task.attempt), BURAN_EPOCH: String(req.task.epoch),
    BURAN_TASK_FILE: files.task, BURAN_COMPLETION_FILE: files.completion,
  });
  const deadline = Date.now() + ctx.worker.timeout_ms;
  if (ctx.signal?.aborted) throw new DispatchInterrupted(req.task.task_id);
  const starting: DispatchIntent = {
    task_id: req.task.task_id, process: null, started_at: new Date().toISOString(), deadline, interrupted: false, starts: unrecordedStarts + 1,
  };
  await writeJsonDurable(files.intent, starting);
  const result = await runInGroup({
    file, args, cwd: ctx.workspace, env, logFile: files.log, secrets: ctx.secrets, deadline, killGraceMs: ctx.killGraceMs, signal: ctx.signal,
    idleTimeoutMs: ctx.worker.idle_timeout_ms,
    finished: ctx.worker.preset === undefined ? undefined : agentDoneWatch(ctx.worker.preset, files.log),
    onStarted: async (process) => {
      await writeJsonDurable(files.intent, { ...starting, process });
      ctx.record({
        type: 'worker.started', task_id: req.task.task_id, role: req.task.role, pid: process.pid,
        ...(resumed !== null ? { resumed_session: resumed } : {}),
      });
    },
  });
  switch (result.kind) {
    case 'start_failed': return { kind: 'start_failed', message: `${file}: ${result.message}` };
    case 'timed_out':
      return result.idle && ctx.worker.idle_timeout_ms !== undefined
        ? { kind: 'timed_out', timeoutMs: ctx.worker.timeout_ms, idleMs: ctx.worker.idle_timeout_ms }
        : { kind: 'timed_out', timeoutMs: ctx.worker.timeout_ms };
    case 'aborted': {
      await stopTaskProcesses(runIdentity(ctx.registryRoot, req.run_id), req.task.task_id, ctx.killGraceMs);
      const intent = await readIntent(files.intent);
      if (intent) await writeJsonDurable(files.intent, { ...intent, interrupted: true });
      ctx.record({ type: 'worker.interrupted', task_id: req.task.task_id, pid: intent?.process?.pid ?? null });
      throw new DispatchInterrupted(req.task.task_id);
    }
    case 'exited': {
      if (result.lingered) ctx.record({ type: 'worker.lingered', task_id: req.task.task_id, grace_ms: ctx.killGraceMs });
      const agent = await agentCompletion(ctx, req);
      // An agent's stream, not its exit code, says how it ended (the two have disagreed).
      const exitCode = agent !== null && (await isPlainFile(files.completion)) ? 0 : result.exitCode;
      return { ...result, exitCode, completion: await readCompletion(files.completion, ctx.secrets) };
    }
  }
}

async function agentCompletion(ctx: DispatchContext, req: DispatchRequest): Promise<AgentReport | null> {
  if (ctx.worker.preset === undefined) return null;
  const files = taskFiles(ctx.taskDir);
  const resumed = sessionToContinue(ctx.worker, req.resume_session);
  const report = await completeFromStream(ctx.worker.preset, { log: files.log, completion: files.completion, report: files.agent }, req.task, ctx.workspace, resumed);
  // A quota with a reset time holds back this agent's new dispatches, in every run, until then.
  if (report?.kind === 'quota' && report.reset_at && ctx.agentHoldDir !== undefined) {
    const invocation = workerInvocation(ctx.worker, req.task, ctx.plan, req.findings, files.task);
    if (invocation !== null) await holdAgent(ctx.agentHoldDir, ctx.worker.preset, invocation.file, report.reset_at, req.task.task_id);
  }
  return report;
}

/**
 * An agent whose quota another dispatch saw run out is not started before the reset: the task
 * reports the quota (a fact the run machine decides on) without spending anything.
 */
async function holdBack(ctx: DispatchContext, req: DispatchRequest, program: string, resumed: string | null): Promise<WorkerRun | null> {
  if (ctx.worker.preset === undefined || ctx.agentHoldDir === undefined) return null;
  const now = Date.now();
  const hold = await heldUntil(ctx.agentHoldDir, ctx.worker.preset, program, now);
  if (hold === null) return null;
  const report: AgentReport = {
    cost_usd: null, turns: null, error_kind: 'held', kind: 'quota', reset_at: hold.until, session_id: null, resumed_session: resumed, observed_at: now,
    message: `held back: task ${hold.by} hit this agent's quota, which resets at ${new Date(hold.until).toISOString()}`,
  };
  await writeJsonDurable(taskFiles(ctx.taskDir).agent, report);
  ctx.record({ type: 'worker.held', task_id: req.task.task_id, until: new Date(hold.until).toISOString(), by: hold.by });
  return { kind: 'exited', exitCode: null, signal: null, completion: { kind: 'missing' } };
}

function liveProcessOf(ctx: DispatchContext, intent: DispatchIntent, req: DispatchRequest): ProcessIdentity | null {
  if (intent.process !== null) return isAlive(intent.process) ? intent.process : null;
  return findProcessByEnv({ ...runIdentity(ctx.registryRoot, req.run_id), BURAN_TASK_ID: req.task.task_id });
}

async function adopt(ctx: DispatchContext, req: DispatchRequest, intent: DispatchIntent & { process: ProcessIdentity }): Promise<WorkerRun> {
  ctx.record({ type: 'worker.adopted', task_id: intent.task_id, pid: intent.process.pid });
  const files = taskFiles(ctx.taskDir);
  const watch = ctx.worker.preset === undefined ? undefined : agentDoneWatch(ctx.worker.preset, files.log);
  const ended = await awaitAdopted(intent.process, intent.deadline, ctx.killGraceMs, ctx.signal, watch);
  if (ended === 'aborted') throw new DispatchInterrupted(intent.task_id);
  if (ended === 'timed_out') return { kind: 'timed_out', timeoutMs: ctx.worker.timeout_ms };
  // The relay a previous driver started is still writing this log: it is read once whole.
  await awaitLogComplete(files.log, ctx.killGraceMs + 1000);
  await agentCompletion(ctx, req);
  const completion = await readCompletion(files.completion, ctx.secrets);
  // An adopted process's exit status is not ours to read: its completion is the evidence.
  return completion.kind === 'missing'
    ? { kind: 'lost', message: `its adopted process (pid ${intent.process.pid}) exited without a completion` }
    : { kind: 'exited', exitCode: 0, signal: null, completion };
}

async function finish(ctx: DispatchContext, req: DispatchRequest, finished: WorkerRun): Promise<WorkerRun> {
  // No process outlives its task: what escaped the worker's group is found by the task's ids.
  const strays = await stopTaskProcesses(runIdentity(ctx.registryRoot, req.run_id), req.task.task_id, ctx.killGraceMs);
  if (strays.length > 0) ctx.record({ type: 'worker.strays_stopped', task_id: req.task.task_id, pids: strays });
  const agent = ctx.worker.preset === undefined ? null : await readOwnJson<AgentReport>(taskFiles(ctx.taskDir).agent);
  // The agent's own report travels with the run to the machine, which decides on its kind.
  const run: WorkerRun = finished.kind === 'exited' && agent !== null ? { ...finished, agent: agentFacts(agent) } : finished;
  await writeJsonDurable(taskFiles(ctx.taskDir).outcome, run);
  ctx.record({
    type: 'worker.finished', task_id: req.task.task_id, kind: run.kind,
    ...(run.kind === 'exited' ? { exit_code: run.exitCode, signal: run.signal, completion: run.completion.kind } : {}),
    ...(run.kind === 'timed_out' && run.idleMs !== undefined ? { idle_ms: run.idleMs } : {}),
    ...(run.kind === 'lost' && run.unwatched ? { unwatched: true } : {}),
    ...(agent ? agentEntry(agentFacts(agent), agent.error_kind) : {}),
  });
  return run;
}

// The journal's view of an agent dispatch: what status and the batch read back.
function agentEntry(facts: ReturnType<typeof agentFacts>, errorKind: string | null) {
  return {
    cost_usd: facts.cost_usd, turns: facts.turns, agent_error: errorKind, agent_outcome: facts.kind,
    ...(facts.message && facts.kind !== 'success' ? { agent_message: facts.message } : {}),
    ...(facts.reset_at !== null ? { reset_at: new Date(facts.reset_at).toISOString() } : {}),
    // When the stream was read: the clock a pause counts from.
    ...(facts.observed_at > 0 ? { observed_at: new Date(facts.observed_at).toISOString() } : {}),
    ...(facts.session_id !== null ? { session_id: facts.session_id } : {}),
    ...(facts.resumed_session !== null ? { resumed_session: facts.resumed_session } : {}),
  };
}

// The worker wrote this file inside the registry: it is read as untrusted (a regular file of its
// own, capped), and the registry keeps only its redacted text, written beside it and renamed over
// (never written through a link the worker planted).
async function readCompletion(path: string, secrets: readonly string[]): Promise<CompletionRead> {
  const file = await readWorkerFile(path, COMPLETION_MAX_BYTES);
  if (file.kind === 'missing') return { kind: 'missing' };
  if (file.kind === 'refused') return { kind: 'invalid', message: `the completion file was not read: ${file.reason}` };
  const clean = redact(file.text, secrets);
  if (clean !== file.text) await writeFileDurable(path, clean, { syncDir: false });
  return parseCompletion(clean);
}

/** The driver stopped on purpose while the worker ran; the task is started again on resume. */
export class DispatchInterrupted extends Error {
  constructor(taskId: string) {
    super(`dispatch of ${taskId} was interrupted by a deliberate stop`);
    this.name = 'DispatchInterrupted';
  }
}

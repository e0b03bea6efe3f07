import type { JournalDraft } from '../persistence/journal-entries.ts';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { COMPLETION_MAX_BYTES, parseCompletion, type CompletionRead } from '../schemas/completion.ts';
import type { WorkerConfig } from '../schemas/config.ts';
import type { Finding, Plan, TaskRef, WorkerRun } from '../machines/types.ts';
import { writeFileDurable } from '../persistence/durable-file.ts';
import { EFFECTS } from '../persistence/port.ts';
import type { RunRecords } from '../persistence/run-records.ts';
import { planDispatch } from '../machines/dispatch-plan.ts';
import { hostName, recordedHere } from '../persistence/host.ts';
import { readAgentReport, readIntent, readOutcome, type DispatchIntent } from './dispatch-records.ts';
import type { ProcessIdentity } from '../persistence/process-identity.ts';
import { findProcessByEnv, isAlive } from '../persistence/process-identity.ts';
import { awaitAdopted, runInGroup } from './process-group.ts';
import { stopTaskProcesses } from './orphans.ts';
import { buildChildEnv, runIdentity } from './worker-env.ts';
import { redact } from './redact.ts';
import { awaitLogComplete, relayOutput } from './output-relay.ts';
import { readWorkerFile } from './worker-file.ts';
import { agentDoneWatch, agentFacts, completeFromStream, sessionToContinue, workerInvocation, type AgentRecord, type AgentReport } from './preset-worker.ts';
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
  /** Names the registry in the worker's environment (BURAN_REGISTRY): run ids are unique only within one. */
  registryId: string;
  /** The run's effect records (intent, outcome, agent report). */
  records: RunRecords;
  /** This host's folder of the task's files: the task file, the completion slot, the log. */
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
  /** A fleet's run with fleet.remote: pushes the workspace after an accepted implementer or fixer completion. */
  checkpoint?: (taskId: string) => Promise<void>;
  /** Where agents' quota holds are kept (registry-wide: one run's quota stop holds back the others'). */
  agentHoldDir?: string;
}


/** The host files of one task: what its worker reads and writes, and its log. */
export function taskFiles(taskDir: string) {
  return {
    task: join(taskDir, 'task.json'),
    completion: join(taskDir, 'completion.json'),
    log: join(taskDir, 'output.log'),
  };
}

/** The dispatch's agent report, as its effect record. */
function agentRecord(ctx: DispatchContext, taskId: string): AgentRecord {
  return {
    read: () => readAgentReport(ctx.records, taskId),
    write: (report) => ctx.records.write(EFFECTS.taskAgent(taskId), report),
  };
}

/**
 * Runs one worker dispatch, idempotently: a recorded outcome is returned as is; otherwise the
 * facts (the intent, a live process, a completion) are gathered and machines/dispatch-plan.ts
 * decides: adopt a worker a previous driver started, ingest a completion, report it lost, or start.
 */
export async function dispatchWorker(ctx: DispatchContext, req: DispatchRequest): Promise<WorkerRun> {
  const taskId = req.task.task_id;
  const files = taskFiles(ctx.taskDir);
  const recorded = await readOutcome(ctx.records, taskId);
  if (recorded !== null) return recorded;

  const intent = await readIntent(ctx.records, taskId);
  const elsewhere = !recordedHere(intent);
  const live = intent === null || elsewhere ? null : liveProcessOf(ctx, intent, req);
  let completion: CompletionRead = { kind: 'missing' };
  if (live === null && !elsewhere) {
    // The log was redacted as it was written (by the relay, which outlives a driver); it is read
    // once the relay has finished it (at most a grace period: a relay that died never will).
    if (intent?.process) await awaitLogComplete(files.log, ctx.killGraceMs + 1000);
    if (intent?.process) await agentCompletion(ctx, req);
    completion = await readCompletion(files.completion, ctx.secrets);
  }
  const step = planDispatch({ intent, live: live !== null, completionFound: completion.kind !== 'missing', host: hostName() });
  switch (step.kind) {
    case 'adopt': return finish(ctx, req, await adopt(ctx, req, { ...intent!, process: live! }));
    case 'ingest':
      ctx.record({ type: 'worker.ingested', task_id: taskId, completion: completion.kind as 'present' | 'invalid' });
      // Its exit was not seen by this driver: the completion is the evidence.
      return finish(ctx, req, { kind: 'exited', exitCode: null, signal: null, unobserved: true, completion });
    case 'lost': return finish(ctx, req, step);
    case 'start': {
      const swept: Swept = {};
      return finish(ctx, req, await start(ctx, req, swept, step.unrecordedStarts), swept);
    }
    case 'restart_here': {
      ctx.record({ type: 'worker.restarted_elsewhere', task_id: taskId, previous_host: step.previousHost });
      const swept: Swept = {};
      return finish(ctx, req, await start(ctx, req, swept, 0), swept);
    }
  }
}

/** The pids that escaped a started worker's group, once stopped (while the relay finished its log). */
interface Swept { pids?: number[] }

async function start(ctx: DispatchContext, req: DispatchRequest, swept: Swept, unrecordedStarts = 0): Promise<WorkerRun> {
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
    ...runIdentity(ctx.registryId, req.run_id), BURAN_TASK_ID: req.task.task_id, BURAN_TASK_ROLE: req.task.role,
    BURAN_ATTEMPT: String(req.task.attempt), BURAN_EPOCH: String(req.task.epoch),
    BURAN_TASK_FILE: files.task, BURAN_COMPLETION_FILE: files.completion,
  });
  const deadline = Date.now() + ctx.worker.timeout_ms;
  if (ctx.signal?.aborted) throw new DispatchInterrupted(req.task.task_id);
  const starting: DispatchIntent = {
    task_id: req.task.task_id, process: null, started_at: new Date().toISOString(), deadline, interrupted: false, starts: unrecordedStarts + 1,
    host: hostName(),
  };
  // The relay takes the output file while the intent is made durable: neither waits on the other.
  const output = relayOutput(files.log, ctx.secrets, ctx.killGraceMs);
  output.catch(() => {}); // a relay that cannot take it fails the start, in runInGroup
  try {
    await ctx.records.write(EFFECTS.taskIntent(req.task.task_id), starting);
  } catch (error) {
    void output.then((held) => held.abandon(), () => {});
    throw error;
  }
  const result = await runInGroup({
    file, args, cwd: ctx.workspace, env, logFile: files.log, secrets: ctx.secrets, deadline, killGraceMs: ctx.killGraceMs, signal: ctx.signal,
    idleTimeoutMs: ctx.worker.idle_timeout_ms, output,
    afterExit: async () => { swept.pids = await stopTaskProcesses(runIdentity(ctx.registryId, req.run_id), req.task.task_id, ctx.killGraceMs); },
    finished: ctx.worker.preset === undefined ? undefined : agentDoneWatch(ctx.worker.preset, files.log),
    onStarted: async (process) => {
      await ctx.records.write(EFFECTS.taskIntent(req.task.task_id), { ...starting, process });
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
      if (swept.pids === undefined) await stopTaskProcesses(runIdentity(ctx.registryId, req.run_id), req.task.task_id, ctx.killGraceMs);
      const intent = await readIntent(ctx.records, req.task.task_id);
      if (intent) await ctx.records.write(EFFECTS.taskIntent(req.task.task_id), { ...intent, interrupted: true });
      ctx.record({ type: 'worker.interrupted', task_id: req.task.task_id, pid: intent?.process?.pid ?? null });
      throw new DispatchInterrupted(req.task.task_id);
    }
    case 'exited': {
      if (result.lingered) ctx.record({ type: 'worker.lingered', task_id: req.task.task_id, grace_ms: ctx.killGraceMs });
      await agentCompletion(ctx, req);
      return { ...result, completion: await readCompletion(files.completion, ctx.secrets) };
    }
  }
}

async function agentCompletion(ctx: DispatchContext, req: DispatchRequest): Promise<AgentReport | null> {
  if (ctx.worker.preset === undefined) return null;
  const files = taskFiles(ctx.taskDir);
  const resumed = sessionToContinue(ctx.worker, req.resume_session);
  const report = await completeFromStream(ctx.worker.preset, { log: files.log, completion: files.completion }, agentRecord(ctx, req.task.task_id), req.task, ctx.workspace, resumed);
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
  await agentRecord(ctx, req.task.task_id).write(report);
  ctx.record({ type: 'worker.held', task_id: req.task.task_id, until: new Date(hold.until).toISOString(), by: hold.by });
  return { kind: 'exited', exitCode: null, signal: null, completion: { kind: 'missing' } };
}

function liveProcessOf(ctx: DispatchContext, intent: DispatchIntent, req: DispatchRequest): ProcessIdentity | null {
  if (intent.process !== null) return isAlive(intent.process) ? intent.process : null;
  return findProcessByEnv({ ...runIdentity(ctx.registryId, req.run_id), BURAN_TASK_ID: req.task.task_id });
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
    : { kind: 'exited', exitCode: null, signal: null, unobserved: true, completion };
}

async function finish(ctx: DispatchContext, req: DispatchRequest, finished: WorkerRun, swept: Swept = {}): Promise<WorkerRun> {
  // No process outlives its task: what escaped the worker's group is found by the task's ids.
  const strays = swept.pids ?? await stopTaskProcesses(runIdentity(ctx.registryId, req.run_id), req.task.task_id, ctx.killGraceMs);
  if (strays.length > 0) ctx.record({ type: 'worker.strays_stopped', task_id: req.task.task_id, pids: strays });
  const agent = ctx.worker.preset === undefined ? null : await agentRecord(ctx, req.task.task_id).read();
  // The agent's own report travels with the run to the machine, which decides on its kind.
  const run: WorkerRun = finished.kind === 'exited' && agent !== null ? { ...finished, agent: agentFacts(agent) } : finished;
  // Before the outcome is recorded: a host that dies in between leaves a task to start again, never
  // a recorded completion whose work is nowhere.
  if (ctx.checkpoint && req.task.role !== 'reviewer' && run.kind === 'exited' && run.completion.kind === 'present' && run.completion.completion.status === 'completed') {
    await ctx.checkpoint(req.task.task_id);
  }
  await ctx.records.write(EFFECTS.taskOutcome(req.task.task_id), run);
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

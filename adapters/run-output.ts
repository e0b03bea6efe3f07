// What a run produced, for a person to read: its worker and verification output (oldest first) and
// its change. `buran logs`, `buran diff` and the inspector's run page all read through here, and
// everything returned is redacted. Reads only: the run and its workspace are never changed.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
import { TERMINAL_STATES } from '../machines/states.ts';
import { readIfExists } from '../persistence/durable-file.ts';
import { runLayout, type RunLayout } from '../persistence/layout.ts';
import { isAlive } from '../persistence/process-identity.ts';
import type { JournalEntry } from '../persistence/records.ts';
import type { Registry } from '../persistence/port.ts';
import { runRecords, type RunRecords } from '../persistence/run-records.ts';
import { hostName } from '../persistence/host.ts';
import { isGitWorkTree } from './git.ts';
import { hardenedGitSteps, PLAIN_DIFF_FLAGS } from './git-hardening.ts';
import { readHandoff, readVerification } from './dispatch-records.ts';
import { redact } from './redact.ts';

/** One log of a run: a worker task's output, or one verification command's. */
export interface LogSection {
  /** Stable within the run: the task id, or `verification:<epoch>:<index>`. */
  key: string;
  kind: 'worker' | 'verification';
  epoch: number;
  task_id: string | null;
  role: string | null;
  attempt: number | null;
  /** The command's place in its epoch (verification), from 1. */
  index: number | null;
  command: string | null;
  path: string;
  /** Its process has ended: no more output will come. */
  done: boolean;
  /** A task's ending (completed, failed, …) or a command's (passed, failed, timed_out, start_failed); null while it runs. */
  outcome: string | null;
  exit_code: number | null;
  /** A reviewer's verdict (PASS, FAIL, BLOCKED) once it settled. */
  verdict: string | null;
}

/** "t1-implementer: implementer, attempt 1, epoch 1, completed (exit 0)": what a log is, in words. */
export function logTitle(s: LogSection): string {
  const ending = s.outcome === null ? 'running' : `${s.outcome}${s.exit_code === null ? '' : ` (exit ${s.exit_code})`}`;
  const what = s.kind === 'worker'
    ? `${s.task_id}: ${s.role}, attempt ${s.attempt ?? '?'}, epoch ${s.epoch}`
    : `verification, epoch ${s.epoch}, command ${s.index}: ${s.command}`;
  return `${what}, ${ending}${s.verdict ? `, verdict ${s.verdict}` : ''}`;
}

const SETTLED_TASK = new Set(['completed', 'failed', 'blocked', 'timed_out', 'cancelled', 'interrupted']);
const RUN_ENTRY = new Set(['run.created', 'run.transition']);

/** The run's top-level state as its journal last recorded it. */
export function journalState(entries: readonly JournalEntry[]): string {
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i]!;
    if (RUN_ENTRY.has(e.type) && typeof e.to === 'string') return e.to.split('.')[0]!;
  }
  return 'packet_received';
}

/** Every log of the run in the order its process started (a re-run command keeps its first place). */
export async function listLogSections(records: RunRecords, layout: RunLayout, entries: readonly JournalEntry[]): Promise<LogSection[]> {
  const sections = new Map<string, LogSection>();
  const reports = new Map<number, Awaited<ReturnType<typeof readVerification>>>();
  const finished = TERMINAL_STATES.has(journalState(entries));
  for (const e of entries) {
    if (e.type === 'task.transition' && typeof e.task_id === 'string') {
      const known = sections.get(e.task_id);
      const section: LogSection = known ?? {
        key: e.task_id, kind: 'worker', epoch: Number(e.epoch ?? 0), task_id: e.task_id, role: String(e.role ?? 'worker'),
        attempt: typeof e.attempt === 'number' ? e.attempt : null, index: null, command: null,
        path: join(layout.taskDir(e.task_id), 'output.log'), done: false, outcome: null, exit_code: null, verdict: null,
      };
      if (typeof e.to === 'string' && SETTLED_TASK.has(e.to)) Object.assign(section, { done: true, outcome: e.to, verdict: typeof e.verdict === 'string' ? e.verdict : null });
      sections.set(e.task_id, section);
    } else if (e.type === 'worker.finished' && typeof e.task_id === 'string') {
      const section = sections.get(e.task_id);
      if (section && typeof e.exit_code === 'number') section.exit_code = e.exit_code;
    } else if (e.type === 'verification.command' && typeof e.epoch === 'number' && typeof e.index === 'number') {
      const key = `verification:${e.epoch}:${e.index}`;
      if (sections.has(key)) continue;
      if (!reports.has(e.epoch)) reports.set(e.epoch, await readVerification(records, e.epoch));
      const result = reports.get(e.epoch)?.commands[e.index - 1] ?? null;
      sections.set(key, {
        key, kind: 'verification', epoch: e.epoch, task_id: null, role: null, attempt: null, index: e.index, command: String(e.command ?? ''),
        path: join(layout.epochDir(e.epoch), `command-${e.index}.log`), done: result !== null || finished,
        outcome: result?.outcome ?? null, exit_code: result?.exit_code ?? null, verdict: null,
      });
    }
  }
  // A run that ended has no process left writing: whatever a log holds is all it will hold.
  const list = [...sections.values()];
  if (finished) for (const s of list) s.done = true;
  return list;
}

/**
 * A log's text, redacted. While its process still writes, only whole lines are returned: a
 * token cut in half by a read would slip past redaction.
 */
export async function readLogText(section: LogSection, secrets: readonly string[]): Promise<string> {
  const raw = (await readIfExists(section.path)) ?? '';
  const text = section.done ? raw : raw.slice(0, raw.lastIndexOf('\n') + 1);
  return redact(text, secrets);
}

/**
 * One piece of `buran logs` output: new lines of a log (`first`: its header is due; `ended`: its
 * process has just been seen to end, so nothing more will come), or a closing note.
 */
export type LogChunk = { kind: 'lines'; section: LogSection; first: boolean; ended: boolean; lines: string[] } | { kind: 'note'; message: string };

/** A task id that is not one of the run's. */
export interface UnknownTask {
  kind: 'unknown_task';
  task_ids: string[];
}

/**
 * The run's logs, oldest first (one task's with `taskId`). With `follow`, keeps reading every
 * `pollMs` and yields what is new until the run ends, or until no process drives it any more.
 */
export async function* readRunLogs(
  registry: Registry, runId: string,
  options: { taskId?: string; follow?: boolean; secrets: readonly string[]; pollMs?: number; signal?: AbortSignal },
): AsyncGenerator<LogChunk, UnknownTask | null> {
  const printed = new Map<string, { lines: number; ended: boolean }>();
  const layout = runLayout(registry.workRoot, runId);
  const records = runRecords(registry, runId);
  let undriven = 0;
  for (;;) {
    const entries = await registry.readJournal(runId, { whileWritten: true });
    const state = journalState(entries);
    const finished = TERMINAL_STATES.has(state);
    // Read before the sections: a driver that lets go after this still left its last entries for the final pass.
    const driven = finished ? false : await isDriven(registry, runId);
    const all = await listLogSections(records, layout, entries);
    const sections = options.taskId === undefined ? all : all.filter((s) => s.task_id === options.taskId);
    if (options.taskId !== undefined && sections.length === 0 && (finished || !options.follow)) {
      return { kind: 'unknown_task', task_ids: all.flatMap((s) => (s.task_id === null ? [] : [s.task_id])) };
    }
    // Two looks in a row without a driver (a poll apart): a driver starting up holds the lock by then.
    undriven = driven ? 0 : undriven + 1;
    const last = !options.follow || finished || undriven >= 2;
    for (const section of sections) {
      // The last look takes a log's unfinished last line too: no later read will.
      const text = await readLogText(last ? { ...section, done: true } : section, options.secrets);
      const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
      const seen = printed.get(section.key);
      const ended = section.done && seen?.ended !== true;
      if (seen !== undefined && lines.length <= seen.lines && !ended) continue;
      printed.set(section.key, { lines: Math.max(lines.length, seen?.lines ?? 0), ended: section.done });
      yield { kind: 'lines', section, first: seen === undefined, ended, lines: lines.slice(seen?.lines ?? 0) };
    }
    if (last) {
      if (options.follow && !finished) yield { kind: 'note', message: `run is in ${state} and no process drives it: nothing more will come until it is resumed` };
      return null;
    }
    await pause(options.pollMs ?? 500, options.signal);
    if (options.signal?.aborted) return null;
  }
}

// A driver on another host cannot be checked from here: its ownership is its registry's word.
async function isDriven(registry: Registry, runId: string): Promise<boolean> {
  const holder = await registry.readOwner(runId);
  return holder !== null && holder.pid > 0 && (holder.host !== hostName() || isAlive(holder));
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** A run's change: the handoff patch, or the diff of its workspace; `patch` is empty when there is none (`note` says why). */
export interface RunChange {
  source: 'handoff' | 'workspace' | 'none';
  /** The patch file, or the workspace diffed. */
  path: string | null;
  patch: string;
  note: string;
}

/** The handoff's patch once there is one, else the workspace's change against its HEAD (untracked files included). */
export async function readRunChange(registry: Registry, runId: string, workspace: string, secrets: readonly string[]): Promise<RunChange> {
  const patchPath = join(runLayout(registry.workRoot, runId).handoffDir, 'patch.diff');
  const patch = await readIfExists(patchPath);
  if (patch !== null) return { source: 'handoff', path: patchPath, patch: redact(patch, secrets), note: `the handoff patch ${patchPath}` };
  const handoff = await readHandoff(runRecords(registry, runId), 'local');
  if (handoff !== null) return { source: 'none', path: null, patch: '', note: 'the handoff recorded no patch: the workspace is not a git repository' };
  if (!existsSync(workspace)) return { source: 'none', path: workspace, patch: '', note: `the run's workspace ${workspace} is gone and it left no handoff patch` };
  if (!(await isGitWorkTree(workspace))) return { source: 'none', path: workspace, patch: '', note: `the run's workspace ${workspace} is not a git repository: there is no diff to show` };
  const diff = await workspaceDiff(workspace, registry.workRoot);
  if (diff === null) return { source: 'none', path: workspace, patch: '', note: `git could not diff the workspace ${workspace}` };
  return { source: 'workspace', path: workspace, patch: redact(diff, secrets), note: `the uncommitted change in the workspace ${workspace} (the run has no handoff yet)` };
}

/**
 * `git diff HEAD` with untracked files, without touching the user's index: a private index is
 * read from HEAD and told of untracked files (intent-to-add, so no file content is stored), then
 * compared with the work tree. A registry inside the workspace is left out, as from the handoff.
 */
async function workspaceDiff(workspace: string, registry: string): Promise<string | null> {
  const scratch = await mkdtemp(join(tmpdir(), 'buran-diff-'));
  try {
    const index = { GIT_INDEX_FILE: join(scratch, 'index') };
    // Workers wrote this workspace: git runs as the handoff runs it (no hook, filter or external diff of theirs).
    const steps = hardenedGitSteps(process.env, workspace);
    const git = (args: string[]) => steps(args, index);
    if (!(await git(['read-tree', 'HEAD'])).ok && !(await git(['read-tree', '--empty'])).ok) return null;
    const inside = relative(workspace, registry);
    const exclude = inside !== '' && !inside.startsWith('..') && !isAbsolute(inside) ? [`:(exclude)${inside}`] : [];
    if (!(await git(['add', '--intent-to-add', '--ignore-removal', '--', '.', ...exclude])).ok) return null;
    const diff = await git(['--no-optional-locks', 'diff', ...PLAIN_DIFF_FLAGS, '--binary', '--no-renames', '--no-color', '--', '.', ...exclude]);
    return diff.ok ? (diff.stdout === '' ? '' : `${diff.stdout}\n`) : null;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

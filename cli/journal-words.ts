import type { JournalEntry, JournalEntryOf, JournalEntryType } from '../persistence/journal-entries.ts';

type Entry = JournalEntry & Record<string, unknown>;

/**
 * One journal entry in words a user reads: `buran events` prints one per entry, `run` prints the
 * ones worth following live (`topStates`: a run transition names top-level states only). No xstate
 * names: those stay in `--json`, which is the journal as is.
 */
export function describeEntry(entry: JournalEntry, options: { topStates?: boolean } = {}): string {
  if (options.topStates && entry.type === 'run.transition') return transition({ ...entry, from: top(entry.from), to: top(entry.to) });
  // One describer per entry type (the compiler holds WORDS to the journal's union).
  return (WORDS[entry.type] as (e: JournalEntry) => string)(entry);
}

const str = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
const top = (path: unknown) => (typeof path === 'string' ? path.split('.')[0]! : '');

// What each effect of the run machine did, by the id xstate gives its done/error events.
const EFFECTS: Record<string, [done: string, failed: string]> = {
  intake: ['intake checked', 'intake failed'], workspace: ['workspace ready', 'workspace failed'], lease: ['leases checked', 'lease claim failed'],
  leaseWait: ['lease wait over', 'lease wait failed'], setup: ['setup finished', 'setup failed'], verification: ['verification finished', 'verification failed to run'],
  scan: ['secret scan finished', 'secret scan failed'], handoff: ['handoff done', 'handoff failed'], retire: ['handoff finished', 'worktree removal failed'],
  agentPause: ['pause over', 'pause failed'],
};

/** Why a run transition happened, from the event the journal recorded with it. */
function cause(e: Entry): string {
  const event = typeof e.event === 'string' ? e.event : '';
  const task = e.task as { task_id?: string; status?: string; decision?: string; code?: string | null; verdict?: string | null } | undefined;
  if (event === 'task.settled' && task) {
    const how = task.verdict ? `verdict ${task.verdict}` : task.code ? task.code : notable(task.decision) ?? '';
    return `${task.task_id} ${task.status}${how ? `, ${how}` : ''}`;
  }
  if (event === 'run.cancel') return `cancel requested${e.reason ? `: ${str(e.reason)}` : ''}`;
  if (event === 'run.resume') return 'buran resume';
  const done = /^xstate\.(done|error)\.actor\.(.+)$/.exec(event);
  if (done) {
    const [ok, failed] = EFFECTS[done[2]!] ?? [`${done[2]} done`, `${done[2]} failed`];
    if (done[1] === 'error') return failed;
    return e.verdict ? `${done[2] === 'verification' ? 'verification' : ok} ${str(e.verdict)} in epoch ${str(e.epoch)}` : ok;
  }
  return event.startsWith('xstate.') ? '' : event;
}

function transition(e: Entry): string {
  const from = str(e.from);
  const to = str(e.to);
  const why = cause(e);
  const move = top(from) === top(to) && from !== to ? `${top(to)}: ${from.slice(top(from).length + 1) || top(from)} → ${to.slice(top(to).length + 1) || top(to)}`
    : from === to ? `${to} again` : `${from} → ${to}`;
  return `${move}${why ? `  (${why})` : ''}`;
}

function taskStep(e: Entry): string {
  const id = str(e.task_id);
  if (e.from === null) {
    return `${id}: ${str(e.role)} task created (attempt ${str(e.attempt)}, epoch ${str(e.epoch)}${Number(e.retry) > 0 ? `, retry ${str(e.retry)}` : ''})`;
  }
  if (e.to === 'dispatched' || e.to === 'judging') return `${id}: ${str(e.to)}`;
  const how = [e.verdict ? `verdict ${str(e.verdict)}` : '', e.code ? str(e.code) : notable(e.decision) ? `completion ${str(e.decision)}` : '']
    .filter(Boolean).join(', ');
  return `${id}: ${str(e.to)}${how ? ` (${how})` : ''}`;
}

// "accepted" goes without saying (a completed task's completion was); a conflict or an invalid one does not.
const notable = (decision: unknown) => (typeof decision === 'string' && decision !== 'accepted' && decision !== 'none' ? decision : null);

function workerFinished(e: Entry): string {
  const id = str(e.task_id);
  let line: string;
  switch (e.kind) {
    case 'exited': {
      const how = e.signal ? `exited on ${str(e.signal)}` : e.exit_code === null || e.exit_code === undefined ? 'ended' : `exited ${str(e.exit_code)}`;
      line = `${id} ${how}, completion ${str(e.completion)}`;
      break;
    }
    case 'timed_out': line = e.idle_ms !== undefined ? `${id} killed: silent for ${ms(e.idle_ms)}` : `${id} killed: ran past its timeout`; break;
    case 'start_failed': line = `${id} could not start`; break;
    case 'lost': line = `${id} lost: its process ended without a completion`; break;
    default: line = `${id} finished: ${str(e.kind)}`;
  }
  const usage = [typeof e.cost_usd === 'number' ? `$${e.cost_usd.toFixed(4)}` : '', typeof e.turns === 'number' ? `${e.turns} turn(s)` : ''].filter(Boolean);
  if (usage.length > 0) line += `; ${usage.join(', ')}`;
  if (e.agent_outcome !== undefined && e.agent_outcome !== 'success') {
    line += `; agent: ${str(e.agent_outcome)}${e.agent_message ? ` (${oneLine(str(e.agent_message))})` : ''}${e.reset_at ? `, resets ${str(e.reset_at)}` : ''}`;
  }
  return line;
}

function workspaceReady(e: Entry): string {
  const continued = e.continued as { ahead: number; behind: number; base: string } | undefined;
  if (continued !== undefined) {
    const counts = continued.ahead < 0 ? `base ${continued.base} not found` : `${continued.ahead} ahead / ${continued.behind} behind ${continued.base}`;
    return `branch ${str(e.branch)} exists, ${counts}: continuing it (worktree ${str(e.path)})`;
  }
  return e.reused === true ? `worktree ${str(e.path)} on ${str(e.branch)}, reused` : `worktree ${str(e.path)} on new branch ${str(e.branch)}`;
}

function verificationResult(e: Entry): string {
  const code = e.exit_code === null || e.exit_code === undefined ? '' : `exit ${str(e.exit_code)}, `;
  return `verification ${str(e.index)} (epoch ${str(e.epoch)}): ${str(e.command)} → ${code}${str(e.outcome)}`;
}

const WORDS: { [T in JournalEntryType]: (e: JournalEntryOf<T> & Record<string, unknown>) => string } = {
  'run.created': (e) => `run created (${str(e.to)})`,
  'run.transition': transition,
  'task.transition': taskStep,
  'task.duplicate': (e) => `${str(e.task_id)}: a second completion, ignored (${oneLine(str(e.message))})`,
  'worker.started': (e) => `${str(e.task_id)} started: ${str(e.role)}, pid ${str(e.pid)}${e.resumed_session ? `, continuing session ${str(e.resumed_session)}` : ''}`,
  'worker.finished': workerFinished,
  'worker.adopted': (e) => `${str(e.task_id)} still running after a restart (pid ${str(e.pid)}): adopted, not started again`,
  'worker.ingested': (e) => `${str(e.task_id)}: completion found after a restart (${str(e.completion)}), not started again`,
  'worker.interrupted': (e) => `${str(e.task_id)} stopped on purpose${e.pid ? ` (pid ${str(e.pid)})` : ''}; it starts again if the run is resumed`,
  'worker.lingered': (e) => `${str(e.task_id)} kept running after its final result: stopped after ${ms(e.grace_ms)}`,
  'worker.held': (e) => `${str(e.task_id)} held back until ${str(e.until)}: task ${str(e.by)} hit this agent's quota`,
  'worker.strays_stopped': (e) => `${str(e.task_id)}: stopped ${(e.pids as unknown[] | undefined)?.length ?? 0} process(es) it left behind`,
  'verification.command': (e) => `verification ${str(e.index)} (epoch ${str(e.epoch)}): ${str(e.command)}`,
  'verification.result': verificationResult,
  'verification.orphan_killed': (e) => `verification (epoch ${str(e.epoch)}): killed ${str(e.command)} (pid ${str(e.pid)}) left by a stopped driver; the epoch's commands run again`,
  'workspace.ready': workspaceReady,
  'workspace.setup': (e) => `setup ${str(e.index)}: ${str(e.command)}`,
  'workspace.setup_result': (e) => `setup ${str(e.index)}: ${str(e.command)} → ${e.exit_code === null || e.exit_code === undefined ? '' : `exit ${str(e.exit_code)}, `}${str(e.outcome)}`,
  'workspace.setup_orphan_killed': (e) => `setup ${str(e.index)}: killed pid ${str(e.pid)} left by a stopped driver; setup runs again`,
  'workspace.removed': (e) => `worktree ${str(e.path)} removed after the handoff`,
  'workspace.kept': (e) => `worktree ${str(e.path)} kept: ${oneLine(str(e.reason))} (buran clean removes it)`,
  'fleet.claimed': (e) => e.kind === 'takeover' ? `taken over by host ${str(e.host)} (the host that drove it stopped heartbeating)` : `claimed by runner host ${str(e.host)}`,
  'fleet.checkpoint': (e) => `${str(e.task_id)}: workspace checkpoint ${str(e.commit).slice(0, 12)} pushed to the fleet's remote`,
  'fleet.checkpoint_failed': (e) => `${str(e.task_id)}: checkpoint not pushed: ${oneLine(str(e.message))} (a host that takes the run over would start this stage again)`,
  'fleet.restored': (e) => e.commit === null ? `no checkpoint of ${str(e.task_id)} on the fleet's remote: the work starts again from the branch` : `workspace restored from the checkpoint of ${str(e.task_id)} (${str(e.commit).slice(0, 12)})`,
  'worker.restarted_elsewhere': (e) => `${str(e.task_id)}: its worker ran on host ${str(e.previous_host)}, which is gone; started again here (no retry spent)`,
  'agent.pause': (e) => `waiting for the agent until ${str(e.until)}; no retry is spent`,
  'lease.renew_failed': (e) => `lease renewal failed: ${oneLine(str(e.message))}`,
  'lease.release_failed': (e) => `leases not released at the end: ${oneLine(str(e.message))} (they expire by themselves)`,
};

function ms(value: unknown): string {
  const n = Number(value);
  return n >= 1000 ? `${(n / 1000).toFixed(n % 1000 === 0 ? 0 : 1)} s` : `${n} ms`;
}

const oneLine = (text: string) => text.split('\n')[0]!.trim();

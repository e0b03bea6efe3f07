import type { TaskRecord } from '../machines/types.ts';
import type { JournalEntry } from './journal-entries.ts';

/**
 * What readers need of a run's journal, folded one entry at a time in journal order: how long it
 * is and when it last changed, where it first contradicts itself, the state it last recorded, how
 * many epochs it entered, every worker task, and a fleet run's last workspace and claim.
 *
 * Folding a journal's first entries and then the rest gives exactly what folding it whole gives,
 * and a fold written out (`toJSON`) and read back (`fromJSON`) folds on as the one it was: so
 * status keeps the fold of a journal's prefix (status-cache.json) and reads only what came after.
 * Entries are checked only by their envelope (seq, at, type), so a field may hold any JSON value
 * (JSON gives each back as it was); an entry without a field the fold keys on is refused (`add`).
 *
 * Everything the fold does is inside this class: the status cache is keyed by the class's own
 * source text, so a fold written by a build that folded differently is never read.
 */
export class JournalFold {
  /** The last entry's seq (the journal's length) and time. */
  seq = 0;
  at: string | null = null;
  /** The first place the journal contradicts itself (a transition that does not start where its actor was), or null. */
  contradiction: string | null = null;
  /** The run's top state path as last recorded (run.created or run.transition), or null before its first step. */
  lastState: string | null = null;
  /** How many times the run entered verification from another state. */
  epochs = 0;
  /** The last `workspace.ready` and `fleet.claimed` entries, or null. */
  lastReady: JournalEntry | null = null;
  lastClaimed: JournalEntry | null = null;
  // Where each actor was, for contradictions: the run (undefined until run.created) and each task.
  private run: unknown = undefined;
  private readonly taskStates = new Map<unknown, unknown>();
  // Each task from its task.transition entries, and what its worker.finished entries said of its agent.
  private readonly records = new Map<unknown, TaskRecord>();
  private readonly agents = new Map<unknown, Record<string, unknown>>();

  private static readonly SETTLED = new Set(['completed', 'failed', 'blocked', 'timed_out', 'cancelled', 'interrupted']);

  /** The fold of these entries. */
  static of(entries: readonly JournalEntry[]): JournalFold {
    const fold = new JournalFold();
    for (const entry of entries) fold.add(entry);
    return fold;
  }

  /**
   * Folds in the next entry; false (nothing folded) for one that lacks what its type requires and
   * the fold keys on (a task's id, the state it went to): a reader reports that line as corrupt.
   */
  add(e: JournalEntry): boolean {
    if ((e.type === 'task.transition' && (typeof e.task_id !== 'string' || typeof e.to !== 'string'))
      || (e.type === 'worker.finished' && typeof e.task_id !== 'string')) return false;
    this.seq = e.seq;
    this.at = e.at;
    if (this.contradiction === null) this.contradiction = this.contradicts(e);
    const top = (path: unknown) => String(path).split('.')[0];
    switch (e.type) {
      case 'run.created':
      case 'run.transition':
        if (typeof e.to === 'string') this.lastState = e.to;
        if (e.type === 'run.transition' && top(e.to) === 'verification' && top(e.from) !== 'verification') this.epochs++;
        break;
      case 'task.transition':
        this.addTransition(e);
        break;
      case 'worker.finished':
        this.addAgent(e);
        break;
      case 'workspace.ready':
        this.lastReady = e;
        break;
      case 'fleet.claimed':
        this.lastClaimed = e;
        break;
      default:
        break;
    }
    return true;
  }

  /** Every worker task, in the order the journal first named them (fresh objects). */
  tasks(): TaskRecord[] {
    return [...this.records].map(([id, record]) => ({ ...record, ...this.agents.get(id) }));
  }

  private contradicts(e: JournalEntry): string | null {
    switch (e.type) {
      case 'run.created':
        if (this.run !== undefined) return `seq ${e.seq}: a second run.created`;
        this.run = e.to;
        return null;
      case 'run.transition':
        if (this.run === undefined) return `seq ${e.seq}: a run transition before run.created`;
        if (e.from !== this.run) return `seq ${e.seq}: run transition from ${e.from}, but the run was in ${String(this.run)}`;
        this.run = e.to;
        return null;
      case 'task.transition': {
        const from = this.taskStates.has(e.task_id) ? this.taskStates.get(e.task_id) : null;
        if (e.from !== from) return `seq ${e.seq}: task ${e.task_id} transition from ${String(e.from)}, but it was in ${String(from)}`;
        this.taskStates.set(e.task_id, e.to);
        return null;
      }
      default:
        return null;
    }
  }

  // The first entry of a task names it (role, attempt, epoch, retry); its last carries the judgement.
  private addTransition(entry: Extract<JournalEntry, { type: 'task.transition' }>): void {
    const e = entry as typeof entry & Partial<Pick<TaskRecord, 'role' | 'attempt' | 'epoch' | 'retry' | 'decision' | 'code' | 'verdict'>>;
    const record: TaskRecord = this.records.get(e.task_id) ?? {
      task_id: e.task_id, role: e.role ?? 'implementer', attempt: e.attempt ?? 1, epoch: e.epoch ?? 0, retry: e.retry ?? 0,
      status: 'dispatched', decision: 'none', code: null, verdict: null,
    };
    if (JournalFold.SETTLED.has(e.to)) {
      record.status = e.to as TaskRecord['status'];
      record.decision = e.decision ?? record.decision;
      record.code = e.code ?? null;
      record.verdict = e.verdict ?? null;
    }
    this.records.set(e.task_id, record);
  }

  // A preset agent's cost and turns as its stream reported them, how its dispatch ended, and the
  // session it ran in (and continued, for a fixer). Kept apart from the task, in the order said,
  // and given to the task when it is read: an entry may come before the task's own.
  private addAgent(entry: Extract<JournalEntry, { type: 'worker.finished' }>): void {
    const e = entry as typeof entry & Partial<Record<'cost_usd' | 'turns' | 'agent_outcome' | 'session_id' | 'resumed_session', unknown>>;
    const agent = this.agents.get(e.task_id) ?? {};
    if (e.cost_usd !== undefined || e.turns !== undefined) Object.assign(agent, { cost_usd: e.cost_usd ?? null, turns: e.turns ?? null });
    if (e.agent_outcome !== undefined) agent.agent_outcome = e.agent_outcome;
    if (e.session_id !== undefined) agent.session_id = e.session_id;
    if (e.resumed_session !== undefined) agent.resumed_session = e.resumed_session;
    // A report with none of these changes no task (most: a plain command reports none).
    if (Object.keys(agent).length > 0) this.agents.set(e.task_id, agent);
  }

  /**
   * The fold as JSON-ready data, compact (a long run has thousands of tasks): flat arrays of key,
   * value; a task as its nine fields in order (every record has exactly these, made in one place).
   */
  toJSON(): Record<string, unknown> {
    const flat = <V>(map: Map<unknown, V>, value: (v: V) => unknown = (v) => v) => [...map].flatMap(([k, v]) => [k, value(v)]);
    return {
      seq: this.seq, at: this.at, contradiction: this.contradiction, lastState: this.lastState, epochs: this.epochs,
      lastReady: this.lastReady, lastClaimed: this.lastClaimed, run: this.run,
      taskStates: flat(this.taskStates), agents: flat(this.agents),
      records: [...this.records.values()].map((r) => [r.task_id, r.role, r.attempt, r.epoch, r.retry, r.status, r.decision, r.code, r.verdict]),
    };
  }

  /** A fold from what `toJSON` gave, or null for anything else. */
  static fromJSON(data: unknown): JournalFold | null {
    if (typeof data !== 'object' || data === null) return null;
    const d = data as Record<string, unknown>;
    const text = (v: unknown) => v === null || typeof v === 'string';
    const object = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
    const count = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
    const even = (v: unknown): v is unknown[] => Array.isArray(v) && v.length % 2 === 0;
    if (!count(d.seq) || !count(d.epochs) || !text(d.at) || !text(d.contradiction) || !text(d.lastState)) return null;
    if ((d.lastReady !== null && !object(d.lastReady)) || (d.lastClaimed !== null && !object(d.lastClaimed))) return null;
    const { taskStates, agents, records } = d;
    if (!even(taskStates) || !even(agents) || !Array.isArray(records)) return null;
    if (!records.every((r) => Array.isArray(r) && r.length === 9)) return null;
    const fold = new JournalFold();
    Object.assign(fold, { seq: d.seq, at: d.at, contradiction: d.contradiction, lastState: d.lastState, epochs: d.epochs, lastReady: d.lastReady, lastClaimed: d.lastClaimed, run: d.run });
    for (let i = 0; i < taskStates.length; i += 2) fold.taskStates.set(taskStates[i], taskStates[i + 1]);
    for (let i = 0; i < agents.length; i += 2) {
      if (!object(agents[i + 1])) return null;
      fold.agents.set(agents[i], agents[i + 1] as Record<string, unknown>);
    }
    for (const [task_id, role, attempt, epoch, retry, status, decision, code, verdict] of records as unknown[][]) {
      fold.records.set(task_id, { task_id, role, attempt, epoch, retry, status, decision, code, verdict } as TaskRecord);
    }
    return fold;
  }
}

// A run's page: why it stopped and what to do next, the statechart with the run's state lit, its
// tasks, the journal on a replay timeline (at its end), its logs and its change.
import type { GraphNode } from '../../machines/graph.ts';
import type { TaskRecord } from '../../machines/types.ts';
import type { JournalEntry } from '../../persistence/records.ts';
import { anywhereNote, chartSvg } from '../chart-svg.ts';
import type { ChartLayout } from '../chart-layout.ts';
import { DIFF_CHARS, type PageLog, type RunPageData } from '../run-page-data.ts';
import { logTitle } from '../../adapters/run-output.ts';
import { actionHtml, ago, blockerHtml, duration, escapeHtml, money, pageShell, stateBadge, stateTone, workerText } from './parts.ts';

/** What the run page needs besides the run. */
export interface RunViewContext {
  layout: ChartLayout;
  /** The worker-task statechart's states, for each task's row of chips. */
  taskStates: GraphNode[];
  /** This process drives the run (`run --inspect`): the page starts in live mode. */
  live: boolean;
  now: number;
}

/** GET /runs/ID */
export function runPage(data: RunPageData, ctx: RunViewContext): string {
  const f = data.facts;
  const last = data.entries.at(-1);
  const body = `<section id="run-head" class="run-head">${runHead(data, ctx.now)}</section>
<section id="why" class="why tone-${stateTone(f.state, f.terminal)}">${why(data, ctx.now)}</section>
<section id="replay-bar">
  <button id="rp-first" type="button" title="first entry (Home)">|&#x25C0;</button>
  <button id="rp-prev" type="button" title="step back (&#x2190;)">&#x25C0;</button>
  <button id="rp-play" type="button" title="play / pause (space)">play</button>
  <button id="rp-next" type="button" title="step forward (&#x2192;)">&#x25B6;</button>
  <button id="rp-last" type="button" title="last entry (End)">&#x25B6;|</button>
  <input id="timeline" type="range" min="0" max="${Math.max(0, data.entries.length - 1)}" value="${Math.max(0, data.entries.length - 1)}" aria-label="timeline">
  <span id="rp-label">${last ? escapeHtml(`seq ${last.seq}/${data.entries.length} · ${last.at} · ${last.type}`) : 'no journal entries yet'}</span>
</section>
<main>
  <section id="chart-panel">
    <h2>Run statechart <span id="current-state" class="current-state">${escapeHtml(f.path ?? '')}</span></h2>
    <div id="facts" class="facts">${replayFacts(data)}</div>
    <div id="chart">${chartSvg(ctx.layout, f.path)}</div>
    <p class="anywhere">${escapeHtml(anywhereNote(ctx.layout))}</p>
  </section>
  <aside>
    <section id="tasks-panel"><h2>Worker tasks</h2><div id="tasks">${tasksHtml(data.tasks, ctx.taskStates, f.current?.task_id ?? null)}</div></section>
    <section id="log-panel"><h2>Event log <span id="log-count">(${data.entries.length} journal entries)</span></h2><div id="log">${data.entries.map(journalRow).join('')}</div></section>
  </aside>
</main>
<section id="logs" class="output">${logsHtml(data)}</section>
<section id="change" class="change">${changeHtml(data)}</section>`;
  return pageShell({
    title: `Buran: ${f.run_id} (${f.state})`, view: 'run',
    data: { run: f.run_id, live: ctx.live ? '1' : '0', terminal: f.terminal ? '1' : '0' },
    status: f.terminal ? `replay: ${f.run_id} (${f.state})` : `replay: ${f.run_id} (in progress: following the journal)`,
    nav: '<a href="/">board</a> <button id="mode-live" type="button" disabled>Live</button>',
    body,
  });
}

/** The header line: run, task, state, worker, cost, elapsed. */
export function runHead(data: RunPageData, now: number): string {
  const f = data.facts;
  const live = f.driven ? ' <span class="live-dot" title="a process drives this run now"></span> <span class="driven">driven live</span>' : '';
  return `<h2 class="run-title"><code>${escapeHtml(f.run_id)}</code> ${stateBadge(f)}${live}</h2>`
    + `<dl class="head-facts">`
    + `<div><dt>task</dt><dd>${f.task ? `<code>${escapeHtml(f.task.task_id)}</code> ${escapeHtml(f.task.goal)}` : '-'}</dd></div>`
    + `<div><dt>current worker</dt><dd id="head-worker">${escapeHtml(workerText(f.current, now))}</dd></div>`
    + `<div><dt>cost</dt><dd id="head-cost">${money(f.cost_usd)}</dd></div>`
    + `<div><dt>elapsed</dt><dd id="head-elapsed">${duration(f.elapsed_ms)}</dd></div>`
    + `<div><dt>updated</dt><dd>${escapeHtml(ago(f.updated_at, now))}</dd></div>`
    + `</dl>`;
}

/** Why the run stopped (or where it stands), and the one next safe action. */
export function why(data: RunPageData, now: number): string {
  const f = data.facts;
  const title = f.state === 'ready_for_manual_review' ? 'Ready for manual review'
    : f.terminal ? 'Why it stopped'
      : `In progress: ${f.path ?? f.state}`;
  const lines: string[] = [`<h2>${escapeHtml(title)}</h2>`];
  if (f.blockers.length > 0) {
    lines.push(`<ul class="blockers">${f.blockers.map((b) => `<li>${blockerHtml(b)}</li>`).join('')}</ul>`);
  } else if (!f.terminal) {
    lines.push(`<p>${f.current ? `waiting on ${escapeHtml(workerText(f.current, now))}` : 'no worker task is running'}${f.driven ? '' : ' · no process drives this run now'}</p>`);
  }
  // A run still going needs nothing from anyone while a process drives it.
  const action = !f.terminal && f.driven ? null : f.next_safe_action;
  if (action) lines.push(`<p class="next"><b>Next safe action:</b> ${actionHtml(action)}</p>`);
  return lines.join('');
}

function replayFacts(data: RunPageData): string {
  const last = data.entries.at(-1);
  if (!last) return '';
  const epoch = [...data.entries].reverse().find((e) => typeof e.epoch === 'number')?.epoch ?? '-';
  return `<b>run: </b>${escapeHtml(data.facts.run_id)}   <b>entry: </b>${last.seq} of ${data.entries.length}   <b>type: </b>${escapeHtml(last.type)}   <b>epoch (last task): </b>${escapeHtml(String(epoch))}   `;
}

/** Task cards, each with the worker-task chart's states as chips and its current one lit. */
export function tasksHtml(tasks: TaskRecord[], states: GraphNode[], current: string | null): string {
  if (tasks.length === 0) return '<p class="empty">no worker task yet</p>';
  return tasks.map((t) => {
    const chips = states.map((s) => `<span class="chip type-${escapeHtml(s.type)}${s.key === t.status ? ' active' : ''}" data-state="${escapeHtml(s.key)}">${escapeHtml(s.key)}</span>`).join('');
    const note = t.code ? `code ${t.code}${t.decision !== 'none' ? `, decision ${t.decision}` : ''}` : t.verdict ? `verdict ${t.verdict}` : '';
    const cost = typeof t.cost_usd === 'number' ? ` · ${money(t.cost_usd)}` : '';
    return `<div class="task${t.task_id === current ? ' current' : ''}" data-task="task:${escapeHtml(t.task_id)}" data-state="${escapeHtml(t.status)}">`
      + `<div class="task-head"><span class="task-id">task:${escapeHtml(t.task_id)}</span><span class="task-meta">${escapeHtml(`${t.role} · attempt ${t.attempt} · epoch ${t.epoch}`)}${cost}</span></div>`
      + `<div class="chips">${chips}</div>${note ? `<div class="task-note">${escapeHtml(note)}</div>` : ''}</div>`;
  }).join('');
}

/** "from → to on event" and the like: what a journal entry says in a few words. */
export function describeEntry(e: JournalEntry): string {
  if (e.type === 'run.created' || e.type === 'run.transition') return `${e.from ?? '∅'} → ${e.to}${e.event ? ` on ${e.event}` : ''}`;
  if (e.type === 'task.transition') return `${e.task_id}: ${e.from ?? '∅'} → ${e.to}${e.code ? ` (${e.code})` : ''}`;
  if (e.type === 'verification.command') return `epoch ${e.epoch}, command ${e.index}: ${e.command}`;
  return String(e.task_id ?? e.message ?? '');
}

function journalRow(e: JournalEntry, i: number): string {
  const { seq, at, type, ...rest } = e;
  const clock = typeof at === 'string' && at.length >= 23 ? at.slice(11, 23) : '';
  return `<div class="log-row" data-index="${i}"><span class="n">#${seq}</span><span class="t">${escapeHtml(clock)}</span><span class="ty">${escapeHtml(type)}</span>`
    + `<span class="what">${escapeHtml(describeEntry(e))}</span><details><summary>payload</summary><pre class="payload">${escapeHtml(JSON.stringify(rest, null, 1))}</pre></details></div>`;
}

/** Worker and verification logs, oldest first; the ones that failed are open. */
export function logsHtml(data: RunPageData): string {
  const runId = data.facts.run_id;
  const items = data.logs.map((log, i) => logHtml(log, runId, i === data.logs.length - 1));
  return `<h2>Logs <span class="hint">(worker and verification output, oldest first; also <code>buran logs ${escapeHtml(runId)}</code>)</span></h2>${items.join('') || '<p class="empty">no worker or verification output yet</p>'}`;
}

function logHtml(log: PageLog, runId: string, lastOne: boolean): string {
  const s = log.section;
  const bad = (s.outcome !== null && !['completed', 'passed'].includes(s.outcome)) || (s.verdict !== null && s.verdict !== 'PASS');
  const open = bad || lastOne || !s.done ? ' open' : '';
  const cut = log.cut > 0 ? `<p class="cut">… ${log.cut} earlier characters not shown: <code>buran logs ${escapeHtml(runId)}${s.task_id ? ` ${escapeHtml(s.task_id)}` : ''}</code></p>` : '';
  return `<details class="log-section${bad ? ' bad' : ''}${s.done ? '' : ' running'}" data-key="${escapeHtml(s.key)}"${open}><summary>${escapeHtml(logTitle(s))}</summary>${cut}`
    + `<pre class="log-text">${log.text === '' ? '<span class="empty">(no output)</span>' : escapeHtml(log.text)}</pre><p class="log-path">${escapeHtml(s.path)}</p></details>`;
}

/** The change: the handoff patch or the workspace diff, lines coloured by kind. */
export function changeHtml(data: RunPageData): string {
  const c = data.change;
  const head = `<h2>Change <span class="hint">(${escapeHtml(c.note)}; also <code>buran diff ${escapeHtml(data.facts.run_id)}</code>)</span></h2>`;
  if (c.patch === '') return `${head}<p class="empty">no change to show</p>`;
  const lines = c.patch.replace(/\n$/, '').split('\n').map((line) => {
    const kind = line.startsWith('diff --git') ? 'file' : line.startsWith('@@') ? 'hunk' : line.startsWith('+++') || line.startsWith('---') ? 'meta' : line.startsWith('+') ? 'add' : line.startsWith('-') ? 'del' : 'ctx';
    return `<span class="d-${kind}">${escapeHtml(line)}</span>`;
  });
  const cut = c.patch.length >= DIFF_CHARS ? `<p class="cut">the change is longer than the page shows: <code>buran diff ${escapeHtml(data.facts.run_id)}</code></p>` : '';
  return `${head}<pre class="diff">${lines.join('\n')}</pre>${cut}`;
}

// The board: every run of the registry, one row each (state, current worker, blocker, cost,
// elapsed). The page's script re-fetches the rows fragment every second.
import type { RunFacts } from '../run-facts.ts';
import { ago, blockerHtml, duration, escapeHtml, money, pageShell, stateBadge, stateTone, workerText } from './parts.ts';

/** What the board page needs besides the rows. */
export interface BoardContext {
  registry: string;
  /** The run this process drives (`run --inspect`), once known. */
  liveRunId: string | null;
  now: number;
}

/** GET / */
export function boardPage(rows: RunFacts[], ctx: BoardContext): string {
  const body = `<main class="board">
<section class="board-head">
  <h2>Runs <span id="board-summary" class="summary">${escapeHtml(summary(rows))}</span></h2>
  <span class="registry">registry <code>${escapeHtml(ctx.registry)}</code> · updated every second</span>
</section>
<section id="live-banner" class="live-banner"${ctx.liveRunId ? '' : ' hidden'}>${liveBanner(ctx.liveRunId)}</section>
<table id="board">
<colgroup><col class="c-run"><col class="c-task"><col class="c-state"><col class="c-worker"><col class="c-blocker"><col class="c-cost"><col class="c-elapsed"><col class="c-updated"></colgroup>
<thead><tr><th>run</th><th>task</th><th>state</th><th>current worker</th><th>blocker</th><th class="num">cost</th><th class="num">elapsed</th><th>updated</th></tr></thead>
<tbody id="board-rows">${boardRowsHtml(rows, ctx.now)}</tbody>
</table>
</main>`;
  return pageShell({ title: 'Buran board', view: 'board', status: `board: ${rows.length} run(s)`, nav: '<span class="nav-here">board</span>', body, data: { live: ctx.liveRunId ?? '' } });
}

/** The rows alone (GET /fragments/board), so the page swaps them without a second renderer. */
export function boardRowsHtml(rows: RunFacts[], now: number): string {
  if (rows.length === 0) return '<tr class="empty-row"><td colspan="8" class="empty">no runs in this registry yet: start one with buran run PACKET</td></tr>';
  return rows.map((r) => row(r, now)).join('\n');
}

function row(r: RunFacts, now: number): string {
  const link = `/runs/${encodeURIComponent(r.run_id)}`;
  const live = r.driven ? ' <span class="live-dot" title="a process drives this run now"></span>' : '';
  const blocker = r.blocker ? `<span class="blocker-cell" title="${escapeHtml(r.blocker.message)}">${blockerHtml(r.blocker)}</span>` : '-';
  const task = r.task ? `<span class="task-cell" title="${escapeHtml(r.task.goal)}"><code>${escapeHtml(r.task.task_id)}</code> ${escapeHtml(r.task.goal)}</span>` : '-';
  return `<tr class="run-row tone-${stateTone(r.state, r.terminal)}" data-run="${escapeHtml(r.run_id)}" data-state="${escapeHtml(r.state)}" data-driven="${r.driven}">`
    + `<td class="run-id"><a href="${link}">${escapeHtml(r.run_id)}</a>${live}</td>`
    + `<td>${task}</td><td>${stateBadge(r)}${r.path && r.path !== r.state ? ` <span class="path">${escapeHtml(r.path)}</span>` : ''}</td>`
    + `<td class="worker">${escapeHtml(workerText(r.current, now))}</td><td class="blocker">${blocker}</td>`
    + `<td class="num cost">${money(r.cost_usd)}</td><td class="num elapsed">${duration(r.elapsed_ms)}</td><td class="updated">${escapeHtml(ago(r.updated_at, now))}</td></tr>`;
}

/** "3 runs: 1 live, 1 blocked, 1 ready" */
export function summary(rows: RunFacts[]): string {
  const counts = new Map<string, number>();
  for (const r of rows) {
    const tone = stateTone(r.state, r.terminal);
    counts.set(tone, (counts.get(tone) ?? 0) + 1);
  }
  const parts = ['live', 'blocked', 'failed', 'ready', 'done'].filter((t) => counts.has(t)).map((t) => `${counts.get(t)} ${t}`);
  return `${rows.length} run${rows.length === 1 ? '' : 's'}${parts.length ? `: ${parts.join(', ')}` : ''}`;
}

/** The banner for the run this process drives (`run --inspect`). */
export function liveBanner(runId: string | null): string {
  return runId ? `This process drives run <a href="/runs/${encodeURIComponent(runId)}">${escapeHtml(runId)}</a> live: open it to watch its actors and events.` : '';
}

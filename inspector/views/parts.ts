// Pieces every inspector page shares: the HTML shell and how facts read (durations, money, states).
// Everything is rendered on the server, so the first paint already shows the content.
import { escapeHtml } from '../html-text.ts';
import type { NextSafeAction } from '../../machines/next-safe-action.ts';
import type { Blocker } from '../../machines/types.ts';
import type { CurrentWorker, RunFacts } from '../run-facts.ts';
import { isBlocked } from '../../machines/states.ts';

export { escapeHtml };

/** A whole page: no inline script or style (the CSP allows only files from this origin). */
export function pageShell(options: { title: string; view: 'board' | 'run' | 'error'; data?: Record<string, string>; status: string; nav: string; body: string }): string {
  const data = Object.entries(options.data ?? {}).map(([k, v]) => ` data-${k}="${escapeHtml(v)}"`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(options.title)}</title>
<link rel="stylesheet" href="/app.css">
<script src="/app.js" defer></script>
</head>
<body data-view="${options.view}"${data}>
<header>
  <h1><a href="/">Buran</a></h1>
  <nav>${options.nav}</nav>
  <span id="status" class="status">${escapeHtml(options.status)}</span>
</header>
${options.body}
</body>
</html>
`;
}

/** "4 s", "3 min 12 s", "2 h 5 min". */
export function duration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '-';
  // A time read from the registry after the page's clock was taken is "now", not the future.
  const s = Math.floor(Math.max(0, ms) / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** "5 s ago" from an ISO time. */
export function ago(iso: string | null, now: number): string {
  if (!iso) return '-';
  return `${duration(Math.max(0, now - Date.parse(iso)))} ago`;
}

/** "$0.0421", or "-" when no agent reported a cost. */
export const money = (usd: number | null): string => (usd === null ? '-' : `$${usd.toFixed(usd < 1 ? 4 : 2)}`);

/** The colour family of a state: live, ready, blocked, failed, quarantined. */
export function stateTone(state: string, terminal: boolean): string {
  if (state === 'ready_for_manual_review') return 'ready';
  if (state === 'failed_execution') return 'failed';
  if (isBlocked(state)) return 'blocked';
  if (state === 'quarantined') return 'failed';
  return terminal ? 'done' : 'live';
}

/** The state as a badge. */
export const stateBadge = (f: Pick<RunFacts, 'state' | 'terminal'>): string =>
  `<span class="badge-state tone-${stateTone(f.state, f.terminal)}" data-state="${escapeHtml(f.state)}">${escapeHtml(f.state)}</span>`;

/** "fixer t2-fixer (attempt 1, epoch 2), running 12 s" */
export function workerText(w: CurrentWorker | null, now: number): string {
  if (!w) return '-';
  return `${w.role} ${w.task_id} (attempt ${w.attempt}, epoch ${w.epoch})${w.since ? `, running ${duration(now - Date.parse(w.since))}` : ', starting'}`;
}

/** "retry_exhausted (cause worker_failed) [t1-implementer]: message" as HTML. */
export function blockerHtml(b: Blocker): string {
  const cause = b.cause ? ` <span class="cause">(cause ${escapeHtml(b.cause)})</span>` : '';
  const where = b.item ? ` [${escapeHtml(b.item)}]` : b.task_id ? ` [${escapeHtml(b.task_id)}]` : '';
  return `<code class="blocker-code">${escapeHtml(b.code)}</code>${cause}${where}: <span class="blocker-message">${escapeHtml(b.message)}</span>`;
}

/** The next safe action: its kind, the command to type (if any), and why. */
export function actionHtml(a: NextSafeAction): string {
  const command = a.command ? ` <code class="command">${escapeHtml(a.command)}</code>` : '';
  return `<span class="action-kind">${escapeHtml(a.kind)}</span>${command} <span class="action-reason">${escapeHtml(a.reason)}</span>`;
}

// Draws a laid-out statechart as inline SVG: state boxes (compound ones around their children),
// arrows with their events, the active states highlighted. Served inside the page's HTML, so the
// diagram is there on first paint; the page's script only moves the highlight.
import { escapeHtml } from './html-text.ts';
import { eventLabel, type ChartLayout, type LaidEdge } from './chart-layout.ts';

/** "running.awaiting" (or "a.b,c.d") → every state id it makes active, "run" first. */
export function activeIds(path: string | null, rootId = 'run'): string[] {
  if (!path) return [];
  const ids = [rootId];
  for (const part of path.split(',')) {
    const keys = part.split('.');
    for (let i = 1; i <= keys.length; i++) ids.push(`${rootId}.${keys.slice(0, i).join('.')}`);
  }
  return ids;
}

/** The diagram as an SVG element; `path` (a state path such as "fix_loop.awaiting") is highlighted. */
export function chartSvg(layout: ChartLayout, path: string | null): string {
  const active = new Set(activeIds(path));
  const leaves = new Set((path ?? '').split(',').filter(Boolean).map((p) => `run.${p}`));
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" viewBox="0 0 ${Math.ceil(layout.width)} ${Math.ceil(layout.height)}" width="${Math.ceil(layout.width)}" height="${Math.ceil(layout.height)}" role="img" aria-label="run statechart">`);
  out.push('<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker>'
    + '<marker id="arrow-on" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead-on"/></marker></defs>');
  // Compound states first (they sit behind their children), then leaves, then arrows on top.
  const states = [...layout.states].sort((a, b) => Number(b.compound) - Number(a.compound) || a.id.split('.').length - b.id.split('.').length);
  for (const s of states) {
    const cls = ['state', `type-${s.type}`, s.compound ? 'compound' : 'leaf', s.initial ? 'initial' : '', active.has(s.id) ? 'active' : '', leaves.has(s.id) ? 'active-leaf' : ''].filter(Boolean).join(' ');
    const title = `<title>${escapeHtml(s.id.replace(/^run\./, ''))}${s.description ? `: ${escapeHtml(s.description)}` : ''}</title>`;
    out.push(`<g class="${cls}" data-id="${escapeHtml(s.id)}">${title}`);
    out.push(`<rect x="${r(s.x)}" y="${r(s.y)}" width="${r(s.width)}" height="${r(s.height)}" rx="${s.compound ? 8 : 14}"/>`);
    if (s.type === 'final') out.push(`<rect class="final-ring" x="${r(s.x + 3)}" y="${r(s.y + 3)}" width="${r(s.width - 6)}" height="${r(s.height - 6)}" rx="11"/>`);
    const ty = s.compound ? s.y + 18 : s.y + s.height / 2 + 4;
    const tx = s.compound ? s.x + 12 : s.x + s.width / 2;
    out.push(`<text x="${r(tx)}" y="${r(ty)}"${s.compound ? '' : ' text-anchor="middle"'}>${escapeHtml(s.key)}</text>`);
    if (s.initial) out.push(`<circle class="initial-dot" cx="${r(s.x - 1)}" cy="${r(s.y - 1)}" r="3.5"/>`);
    out.push('</g>');
  }
  for (const e of layout.edges) out.push(edgeSvg(e));
  out.push('</svg>');
  return out.join('');
}

function edgeSvg(e: LaidEdge): string {
  const d = e.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${r(p.x)},${r(p.y)}`).join(' ');
  const tip = `<title>${escapeHtml(`${e.source.replace(/^run\./, '')} → ${e.target.replace(/^run\./, '')}\n${e.transitions.join('\n')}`)}</title>`;
  const label = e.label
    ? `<text class="edge-label" x="${r(e.label.x)}" y="${r(e.label.y + e.label.height - 3)}">${escapeHtml(e.label.text)}</text>`
    : '';
  return `<g class="edge" data-id="${e.id}" data-source="${escapeHtml(e.source)}" data-target="${escapeHtml(e.target)}" data-events="${escapeHtml(e.events.join(' '))}">${tip}<path d="${d}" marker-end="url(#arrow)"/>${label}</g>`;
}

const r = (n: number) => Math.round(n * 10) / 10;

/** The root's own transitions, as words under the diagram. */
export function anywhereNote(layout: ChartLayout): string {
  if (layout.anywhere.length === 0) return '';
  return layout.anywhere.map((a) => `${eventLabel(a.event)} → ${a.target.replace(/^run\./, '')}`).join(', ') + ' (from any state)';
}

// The inspector's stylesheet (plain CSS, no external fonts or assets).

/** GET /app.css */
export const PAGE_CSS = `
* { box-sizing: border-box; }
body { margin: 0; font: 13px/1.35 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2330; background: #f4f6fa; }
code, pre, .mono { font-family: ui-monospace, Menlo, Consolas, monospace; }
a { color: #1a5fc8; }
header { display: flex; align-items: center; gap: 16px; padding: 8px 14px; background: #1d2330; color: #fff; }
header h1 { font-size: 16px; margin: 0; font-weight: 600; }
header h1 a { color: #fff; text-decoration: none; }
nav { display: flex; align-items: center; gap: 8px; }
nav a { color: #cfd8ea; }
.nav-here { color: #fff; font-weight: 600; }
button, select { font: inherit; padding: 3px 9px; border: 1px solid #8a93a6; border-radius: 4px; background: #fff; color: #1d2330; cursor: pointer; }
button:disabled { opacity: .45; cursor: default; }
button.on { background: #1a73e8; color: #fff; border-color: #1a73e8; }
.status { margin-left: auto; font-size: 12px; padding: 2px 8px; border-radius: 10px; background: #3a4254; }
.status.ok { background: #1e7d45; } .status.warn { background: #a86b00; } .status.bad { background: #b3261e; } .status.replay { background: #6a3fb5; }
h2 { font-size: 13px; margin: 0 0 6px; text-transform: uppercase; letter-spacing: .04em; color: #4a5368; }
section { background: #fff; border: 1px solid #d5dae5; border-radius: 6px; padding: 8px 10px; }
[hidden] { display: none !important; }
.empty { color: #8a93a6; font-style: italic; margin: 2px 0; }
.hint { text-transform: none; letter-spacing: 0; font-weight: 400; color: #6b7489; }

/* states as badges; tone = live | ready | blocked | failed | done */
.badge-state { display: inline-block; font: 12px ui-monospace, Menlo, Consolas, monospace; padding: 1px 7px; border-radius: 9px; background: #e8ecf4; color: #1d2330; }
.tone-live .badge-state, .badge-state.tone-live { background: #d2e3fc; color: #0b4fb3; }
.tone-ready .badge-state, .badge-state.tone-ready { background: #dcf2e3; color: #17653a; }
.tone-blocked .badge-state, .badge-state.tone-blocked { background: #fdecc8; color: #7a4b00; }
.tone-failed .badge-state, .badge-state.tone-failed { background: #fbe3e1; color: #8c1d18; }
.live-dot { display: inline-block; width: 8px; height: 8px; border-radius: 50%; background: #1a73e8; margin-left: 5px; box-shadow: 0 0 0 3px rgba(26, 115, 232, .25); }
.path { font: 11px ui-monospace, Menlo, Consolas, monospace; color: #6b7489; }

/* the board */
main.board { padding: 10px; display: flex; flex-direction: column; gap: 10px; }
.board-head { display: flex; align-items: baseline; justify-content: space-between; gap: 10px; }
.board-head .summary { text-transform: none; letter-spacing: 0; color: #1d2330; margin-left: 8px; font-weight: 600; }
.registry { color: #6b7489; font-size: 12px; }
.live-banner { background: #eef4ff; border-color: #b7cdf5; }
#board { width: 100%; table-layout: fixed; border-collapse: collapse; background: #fff; border: 1px solid #d5dae5; border-radius: 6px; }
#board th { text-align: left; font-size: 11px; text-transform: uppercase; letter-spacing: .04em; color: #4a5368; padding: 6px 8px; border-bottom: 1px solid #d5dae5; background: #f8f9fc; }
#board td { padding: 6px 8px; border-bottom: 1px solid #eef0f5; vertical-align: top; overflow: hidden; text-overflow: ellipsis; }
#board col.c-run { width: 11%; } #board col.c-task { width: 16%; } #board col.c-state { width: 14%; } #board col.c-worker { width: 17%; }
#board col.c-blocker { width: 22%; } #board col.c-cost, #board col.c-elapsed { width: 6.5%; } #board col.c-updated { width: 7%; }
#board .num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
#board tr.run-row { cursor: pointer; }
#board tr.run-row:hover { background: #f6f9ff; }
#board tr.tone-blocked td:first-child { box-shadow: inset 3px 0 #e0a800; }
#board tr.tone-failed td:first-child { box-shadow: inset 3px 0 #b3261e; }
#board tr.tone-ready td:first-child { box-shadow: inset 3px 0 #1e7d45; }
#board tr.tone-live td:first-child { box-shadow: inset 3px 0 #1a73e8; }
.run-id a { font: 12px ui-monospace, Menlo, Consolas, monospace; }
.task-cell { display: block; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.blocker-cell { display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow: hidden; }
.blocker-cell .blocker-message { white-space: normal; }
#board td.run-id, #board td.updated { white-space: nowrap; }
.worker, .updated { color: #4a5368; }

/* a run's page */
.run-head, .why, #replay-bar, main, .output, .change { margin: 10px; }
.run-head { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 24px; }
.run-title { margin: 0; text-transform: none; letter-spacing: 0; font-size: 15px; color: #1d2330; }
.driven { font-size: 12px; color: #0b4fb3; font-weight: 400; }
.head-facts { display: flex; flex-wrap: wrap; gap: 4px 22px; margin: 0; }
.head-facts div { display: flex; gap: 6px; }
.head-facts dt { color: #6b7489; }
.head-facts dd { margin: 0; }
.why { border-left-width: 5px; }
.why.tone-blocked { border-color: #e0a800; background: #fffaf0; }
.why.tone-failed { border-color: #b3261e; background: #fff6f5; }
.why.tone-ready { border-color: #1e7d45; background: #f4fbf6; }
.why.tone-live { border-color: #1a73e8; background: #f6f9ff; }
.why h2 { font-size: 14px; color: #1d2330; }
.blockers { margin: 4px 0; padding-left: 18px; }
.blocker-code { font-weight: 600; }
.blocker-message { white-space: pre-wrap; }
.next { margin: 6px 0 0; }
.action-kind { font-weight: 600; }
.command { background: #1d2330; color: #fff; padding: 1px 6px; border-radius: 4px; }
#replay-bar { display: flex; align-items: center; gap: 6px; background: #e9e3f6; border-color: #c9bde6; }
#timeline { flex: 1; }
#rp-label { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; min-width: 330px; }
main { display: grid; grid-template-columns: minmax(0, 1.6fr) minmax(320px, 1fr); gap: 10px; }
aside { display: flex; flex-direction: column; gap: 10px; min-width: 0; }
.current-state { text-transform: none; letter-spacing: 0; font-family: ui-monospace, Menlo, Consolas, monospace; color: #1a73e8; margin-left: 8px; }
.facts { font-size: 12px; color: #4a5368; margin-bottom: 6px; min-height: 16px; }
.facts b { color: #1d2330; font-weight: 600; }
.anywhere { font-size: 12px; color: #6b7489; margin: 4px 0 0; }

/* the statechart, drawn as SVG by the server (laid out with ELK) */
#chart { overflow: auto; }
.chart-svg { display: block; max-width: 100%; height: auto; font: 12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
.chart-svg .state > rect { fill: #fff; stroke: #8a93a6; stroke-width: 1.2; }
.chart-svg .state.compound > rect { fill: #f4f6fa; }
.chart-svg .state text { fill: #1d2330; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
.chart-svg .state.compound > text { font-weight: 600; }
.chart-svg .final-ring { fill: none !important; }
.chart-svg .state.type-final[data-id*="blocked"] > rect, .chart-svg .state.type-final[data-id*="failed"] > rect { stroke: #d9a3a0; }
.chart-svg .state.type-final[data-id$="ready_for_manual_review"] > rect { stroke: #8cc7a0; }
.chart-svg .initial-dot { fill: #1d2330; }
.chart-svg .state.active > rect { stroke: #1a73e8; stroke-width: 2; }
.chart-svg .state.compound.active > rect { fill: #eef4ff; }
.chart-svg .state.active-leaf > rect { fill: #d2e3fc; stroke: #1a73e8; stroke-width: 3; }
.chart-svg .state.active-leaf > text { fill: #0b4fb3; font-weight: 700; }
.chart-svg .state.type-final.active-leaf[data-id*="blocked"] > rect, .chart-svg .state.type-final.active-leaf[data-id*="failed"] > rect { fill: #fbe3e1; stroke: #b3261e; }
.chart-svg .state.type-final.active-leaf[data-id$="ready_for_manual_review"] > rect { fill: #dcf2e3; stroke: #1e7d45; }
.chart-svg .state.type-final.active-leaf .final-ring { stroke-width: 1.2; }
.chart-svg .edge path { fill: none; stroke: #9aa2b3; stroke-width: 1.1; }
.chart-svg .edge-label { font-size: 10px; fill: #5b6478; }
.chart-svg .arrowhead { fill: #9aa2b3; }
.chart-svg .edge:hover path { stroke: #e0a800; stroke-width: 2.2; }
.chart-svg .edge.taken path { stroke: #d97706; stroke-width: 2.6; marker-end: url(#arrow-on); }
.chart-svg .edge.taken .edge-label { fill: #8a4b00; font-weight: 700; }
.chart-svg .arrowhead-on { fill: #d97706; }

/* worker tasks and the event log */
#tasks { display: flex; flex-direction: column; gap: 6px; max-height: 300px; overflow: auto; }
.task { border: 1px solid #d5dae5; border-radius: 5px; padding: 4px 6px; }
.task.current { border-color: #1a73e8; box-shadow: 0 0 0 2px rgba(26, 115, 232, .15); }
.task-head { display: flex; justify-content: space-between; gap: 6px; font-size: 11px; }
.task-id { font-family: ui-monospace, Menlo, Consolas, monospace; font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.task-meta { color: #4a5368; white-space: nowrap; }
.chips { display: flex; flex-wrap: wrap; gap: 3px; margin-top: 3px; }
.chip { font-size: 10px; font-family: ui-monospace, Menlo, Consolas, monospace; padding: 0 5px; border: 1px solid #d5dae5; border-radius: 8px; color: #8a93a6; }
.chip.type-final { border-style: double; border-width: 3px; }
.chip.active { background: #1a73e8; border-color: #1a73e8; color: #fff; }
.chip.active[data-state="failed"], .chip.active[data-state="blocked"], .chip.active[data-state="timed_out"], .chip.active[data-state="cancelled"] { background: #b3261e; border-color: #b3261e; }
.chip.active[data-state="completed"] { background: #1e7d45; border-color: #1e7d45; }
.task-note { font-size: 11px; color: #4a5368; margin-top: 2px; }
#log { max-height: 520px; overflow: auto; font-size: 11px; font-family: ui-monospace, Menlo, Consolas, monospace; }
.log-row { border-bottom: 1px solid #eef0f5; padding: 2px 3px; }
.log-row .n { color: #8a93a6; display: inline-block; min-width: 34px; }
.log-row .t { color: #8a93a6; margin-right: 4px; }
.log-row .who { color: #1e6b3c; margin-right: 4px; }
.log-row .ty { color: #6a3fb5; font-weight: 600; }
.log-row .what { color: #1d2330; margin-left: 4px; }
.log-row details { margin: 1px 0 0 34px; }
.log-row summary { cursor: pointer; color: #4a5368; }
.log-row pre { margin: 2px 0; white-space: pre-wrap; word-break: break-word; background: #f6f7fa; padding: 3px; max-height: 200px; overflow: auto; }
.log-row.future { opacity: .35; }
.log-row.current { background: #ffe58a; }

/* logs and the change */
.log-section { border: 1px solid #e3e7ef; border-radius: 5px; margin: 6px 0; }
.log-section > summary { cursor: pointer; padding: 4px 8px; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; background: #f8f9fc; }
.log-section.bad > summary { background: #fbe3e1; }
.log-section.running > summary { background: #eef4ff; }
.log-text, .diff { margin: 0; padding: 6px 8px; max-height: 360px; overflow: auto; white-space: pre-wrap; word-break: break-word; font-size: 12px; background: #fbfbfd; }
.log-path { margin: 0; padding: 2px 8px 4px; font-size: 11px; color: #8a93a6; font-family: ui-monospace, Menlo, Consolas, monospace; }
.cut { margin: 4px 8px; font-size: 12px; color: #7a4b00; }
.diff { max-height: 520px; }
.d-file { color: #1d2330; font-weight: 700; }
.d-meta { color: #4a5368; }
.d-hunk { color: #6a3fb5; }
.d-add { color: #17653a; background: #e9f7ee; display: inline-block; min-width: 100%; }
.d-del { color: #8c1d18; background: #fcecea; display: inline-block; min-width: 100%; }
`;

// The inspector page's stylesheet (plain CSS, no external fonts or assets).

/** GET /app.css */
export const PAGE_CSS = `
* { box-sizing: border-box; }
body { margin: 0; font: 13px/1.35 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2330; background: #f4f6fa; }
header { display: flex; align-items: center; gap: 16px; padding: 8px 14px; background: #1d2330; color: #fff; }
header h1 { font-size: 16px; margin: 0; font-weight: 600; }
nav { display: flex; align-items: center; gap: 6px; }
button, select { font: inherit; padding: 3px 9px; border: 1px solid #8a93a6; border-radius: 4px; background: #fff; color: #1d2330; cursor: pointer; }
button:disabled { opacity: .45; cursor: default; }
button.on { background: #1a73e8; color: #fff; border-color: #1a73e8; }
.status { margin-left: auto; font-size: 12px; padding: 2px 8px; border-radius: 10px; background: #3a4254; }
.status.ok { background: #1e7d45; } .status.warn { background: #a86b00; } .status.bad { background: #b3261e; } .status.replay { background: #6a3fb5; }
#replay-bar { display: flex; align-items: center; gap: 6px; padding: 6px 14px; background: #e9e3f6; border-bottom: 1px solid #c9bde6; }
#replay-bar[hidden] { display: none; }
#timeline { flex: 1; }
#rp-label { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; min-width: 330px; }
main { display: grid; grid-template-columns: minmax(0, 2.1fr) minmax(320px, 1fr); gap: 10px; padding: 10px; }
h2 { font-size: 13px; margin: 0 0 6px; text-transform: uppercase; letter-spacing: .04em; color: #4a5368; }
.current-state { text-transform: none; letter-spacing: 0; font-family: ui-monospace, Menlo, Consolas, monospace; color: #1a73e8; margin-left: 8px; }
.facts { font-size: 12px; color: #4a5368; margin-bottom: 6px; min-height: 16px; }
.facts b { color: #1d2330; font-weight: 600; }
section, aside > section { background: #fff; border: 1px solid #d5dae5; border-radius: 6px; padding: 8px; }
aside { display: flex; flex-direction: column; gap: 10px; min-width: 0; }
.state { border: 1px solid #aab3c5; border-radius: 6px; background: #fff; padding: 4px 6px 6px; min-width: 0; }
.state.root { border-style: dashed; background: #fafbfd; }
.state-head { display: flex; flex-wrap: wrap; align-items: baseline; gap: 5px; margin-bottom: 2px; }
.state-name { font-weight: 600; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
.badge, .invoke { font-size: 10px; padding: 0 5px; border-radius: 8px; background: #eef0f5; color: #4a5368; }
.invoke { background: #e6f1ea; color: #1e6b3c; }
.state.type-final { border-width: 3px; border-style: double; }
.state.type-final[data-id*="blocked"], .state.type-final[data-id*="failed"] { border-color: #d9a3a0; }
.state.type-final[data-id$="ready_for_manual_review"] { border-color: #8cc7a0; }
.grid { column-count: 4; column-gap: 8px; margin-top: 6px; }
.grid > .state { break-inside: avoid; margin-bottom: 8px; }
.children { display: flex; flex-direction: column; gap: 5px; margin-top: 4px; padding-left: 6px; border-left: 2px solid #e3e7ef; }
.state.initial > .state-head .state-name::before { content: "\\2192 "; color: #8a93a6; }
.transitions { list-style: none; margin: 0; padding: 0; font-size: 11px; }
.transition { display: flex; flex-wrap: wrap; gap: 3px; padding: 1px 3px; border-radius: 3px; color: #4a5368; }
.transition .event { color: #6a3fb5; font-family: ui-monospace, Menlo, Consolas, monospace; }
.transition .target { font-family: ui-monospace, Menlo, Consolas, monospace; color: #1d2330; }
.transition .guard { color: #8a6d00; }
.transition:hover { background: #fff6d6; }
.transition.taken { background: #ffe58a; color: #1d2330; font-weight: 600; }
.state.hover-target { outline: 2px dashed #e0a800; }
.state.active { border-color: #1a73e8; background: #eef4ff; }
.state.active-leaf { border: 3px solid #1a73e8; background: #d2e3fc; box-shadow: 0 0 0 3px rgba(26, 115, 232, .18); }
.state.active-leaf > .state-head .state-name { color: #0b4fb3; }
.state.type-final.active-leaf[data-id*="blocked"], .state.type-final.active-leaf[data-id*="failed"] { border-color: #b3261e; background: #fbe3e1; }
.state.type-final.active-leaf[data-id$="ready_for_manual_review"] { border-color: #1e7d45; background: #dcf2e3; }
#tasks { display: flex; flex-direction: column; gap: 6px; max-height: 270px; overflow: auto; }
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
#log { max-height: 420px; overflow: auto; font-size: 11px; font-family: ui-monospace, Menlo, Consolas, monospace; }
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
.empty { color: #8a93a6; font-style: italic; margin: 2px 0; }
`;

// The inspector page's HTML shell; its script and style are served beside it from the same origin (no CDN).

/** GET / */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Buran inspector</title>
<link rel="stylesheet" href="/app.css">
<script src="/app.js" defer></script>
</head>
<body>
<header>
  <h1>Buran inspector</h1>
  <nav>
    <button id="mode-live" type="button" disabled>Live</button>
    <label for="run-picker">Replay</label>
    <select id="run-picker"></select>
    <button id="open-replay" type="button">Open</button>
  </nav>
  <span id="status" class="status">loading…</span>
</header>
<section id="replay-bar" hidden>
  <button id="rp-first" type="button" title="first entry (Home)">|&#x25C0;</button>
  <button id="rp-prev" type="button" title="step back (&#x2190;)">&#x25C0;</button>
  <button id="rp-play" type="button" title="play / pause (space)">play</button>
  <button id="rp-next" type="button" title="step forward (&#x2192;)">&#x25B6;</button>
  <button id="rp-last" type="button" title="last entry (End)">&#x25B6;|</button>
  <input id="timeline" type="range" min="0" max="0" value="0" aria-label="timeline">
  <span id="rp-label"></span>
</section>
<main>
  <section id="chart-panel">
    <h2>Run statechart <span id="current-state" class="current-state"></span></h2>
    <div id="facts" class="facts"></div>
    <div id="chart"></div>
  </section>
  <aside>
    <section id="tasks-panel"><h2>Worker tasks</h2><div id="tasks"></div></section>
    <section id="log-panel"><h2>Event log <span id="log-count"></span></h2><div id="log"></div></section>
  </aside>
</main>
</body>
</html>
`;

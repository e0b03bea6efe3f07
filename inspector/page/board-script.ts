// Browser code, the board: the rows arrive rendered with the page; every second the server's newer
// rows replace them. Free of backticks (it lives inside a template literal).

/** Runs when <body data-view="board">. */
export const BOARD_JS = String.raw`
(function () {
  'use strict';
  if (document.body.dataset.view !== 'board') return;
  var ui = window.__inspector = { ready: true, view: 'board', polls: 0, errors: [] };
  var lastRows = null;
  var lastBanner = null;
  function $(id) { return document.getElementById(id); }
  function setStatus(text, cls) { var s = $('status'); s.textContent = text; s.className = 'status ' + (cls || ''); }

  function poll() {
    fetch('/fragments/board', { cache: 'no-store' }).then(function (r) {
      if (!r.ok) throw new Error(r.status + ' /fragments/board');
      return r.json();
    }).then(function (d) {
      if (d.rows !== lastRows) { $('board-rows').innerHTML = d.rows; lastRows = d.rows; }
      $('board-summary').textContent = d.summary;
      var banner = $('live-banner');
      banner.hidden = !d.live_run;
      if (d.banner !== lastBanner) { banner.innerHTML = d.banner; lastBanner = d.banner; }
      setStatus('board: ' + d.count + ' run(s), live', 'ok');
      ui.polls++;
    }).catch(function (e) {
      ui.errors.push(e.message);
      setStatus('board: the inspector does not answer (' + e.message + ')', 'bad');
    }).then(function () { setTimeout(poll, 1000); });
  }

  // A click anywhere on a row opens its run.
  document.addEventListener('click', function (ev) {
    var row = ev.target.closest ? ev.target.closest('tr.run-row') : null;
    if (row && !ev.target.closest('a')) location.href = '/runs/' + encodeURIComponent(row.dataset.run);
  });
  setTimeout(poll, 1000);
})();
`;

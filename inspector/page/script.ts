// Browser code, a run's page: replay of the journal on a timeline (opened at its end), following a
// run another process drives (journal and panels re-read), and the live view over SSE for the run
// this process drives. The page arrives rendered; this only moves it. Free of backticks (it lives
// inside a template literal); window.__inspector is what tests read.
import { BOARD_JS } from './board-script.ts';
import { CHART_JS } from './chart-script.ts';

const RUN_JS = String.raw`
(function () {
  'use strict';
  if (document.body.dataset.view !== 'run') return;
  var D = window.BuranDraw;
  var runId = document.body.dataset.run;
  var ui = window.__inspector = { ready: false, view: 'run', mode: 'replay', highlights: [], errors: [], polls: 0,
    live: { available: false, connected: false, run: null, ended: false }, replay: null };
  var live = { actors: {}, order: [], events: [], prevPath: null };
  var taskStates = [];
  var source = null;
  var playTimer = null;
  var followTimer = null;
  var panelTimer = null;
  var panels = {};

  function $(id) { return document.getElementById(id); }
  function getJson(path) {
    return fetch(path, { cache: 'no-store' }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) throw new Error(body && body.error ? body.error : r.status + ' ' + path);
        return body;
      });
    });
  }
  function setStatus(text, cls) { var s = $('status'); s.textContent = text; s.className = 'status ' + (cls || ''); }
  function showRun(path, event, prevPath) {
    D.showState($('chart'), path, event, prevPath);
    $('current-state').textContent = path || '';
    var last = ui.highlights[ui.highlights.length - 1];
    if (path && !(last && last.mode === ui.mode && last.path === path)) ui.highlights.push({ mode: ui.mode, path: path, at: Date.now() });
  }
  function facts(parts) {
    var f = $('facts');
    f.textContent = '';
    parts.forEach(function (p) { f.appendChild(D.el('b', null, p[0] + ': ')); f.appendChild(document.createTextNode(p[1] + '   ')); });
  }
  function setMode(mode) {
    ui.mode = mode;
    $('mode-live').classList.toggle('on', mode === 'live');
    $('replay-bar').hidden = mode !== 'replay';
    if (mode !== 'replay') stopPlay();
  }

  // ---- live: the run this process drives, over SSE ----
  function connectLive() {
    if (source) source.close();
    source = new EventSource('/events');
    source.onopen = function () { ui.live.connected = true; if (ui.mode === 'live') liveStatus(); };
    source.onerror = function () {
      ui.live.connected = false;
      if (ui.live.ended) source.close();
      if (ui.mode === 'live') liveStatus();
    };
    source.onmessage = function (m) {
      var msg;
      try { msg = JSON.parse(m.data); } catch (e) { return; }
      onLive(msg);
    };
  }
  function onLive(msg) {
    if (msg.type === 'hello') {
      live = { actors: {}, order: [], events: msg.events.slice(), prevPath: null };
      ui.live.run = msg.run;
      ui.live.ended = !!(msg.run && msg.run.phase === 'ended');
      msg.actors.forEach(putActor);
      if (ui.mode === 'live') renderLive();
    } else if (msg.type === 'dropped') {
      connectLive(); // this page fell behind: start again from a fresh picture
    } else if (msg.type === 'actor') {
      putActor(msg.actor);
      if (ui.mode === 'live') { renderLiveRun(); if (msg.actor.kind !== 'run') renderLiveTasks(); }
    } else if (msg.type === 'event') {
      live.events.push(msg.event);
      if (live.events.length > 1000) live.events.shift();
      if (ui.mode === 'live') appendLiveEvent(msg.event);
    } else if (msg.type === 'run') {
      ui.live.run = msg;
      if (msg.phase === 'ended') { ui.live.ended = true; source.close(); refreshPanels(); }
      if (ui.mode === 'live') { liveStatus(); renderLiveRun(); }
    }
  }
  function putActor(a) {
    var old = live.actors[a.session];
    if (!old) live.order.push(a.session);
    // A snapshot that keeps the state (a child's done event) keeps the step that led into it.
    if (a.kind === 'run') {
      var same = old && old.state === a.state;
      a.prev = same ? old.prev : (old ? old.state : null);
      a.cause = same ? old.cause : a.event;
    }
    live.actors[a.session] = a;
  }
  function liveStatus() {
    var run = ui.live.run;
    if (run && run.phase === 'ended') setStatus('live run ' + run.run_id + ' ended: ' + run.state + (run.stopped ? ' (stopped: ' + run.stopped + ')' : ''), 'ok');
    else if (ui.live.connected) setStatus('live: ' + (run ? run.run_id : 'waiting for the run'), 'ok');
    else setStatus('live: connecting\u2026', 'warn');
  }
  function runActor() {
    for (var i = 0; i < live.order.length; i++) { var a = live.actors[live.order[i]]; if (a.kind === 'run') return a; }
    return null;
  }
  function renderLive() { liveStatus(); renderLiveRun(); renderLiveTasks(); renderLiveLog(); }
  function renderLiveRun() {
    var run = runActor();
    if (!run) { showRun(ui.live.run && ui.live.run.state ? ui.live.run.state : null); return; }
    showRun(run.state, run.cause, run.prev);
    var f = run.facts || {};
    var busy = live.order.map(function (s) { return live.actors[s]; })
      .filter(function (a) { return a.kind === 'actor' && a.status === 'active'; }).map(function (a) {
        var parent = live.actors[a.parent];
        return (a.src || a.id) + (parent && parent.kind === 'task' ? ' of ' + parent.id : '');
      });
    facts([['status', run.status], ['epoch', f.epoch], ['fix attempts', f.fix_attempts], ['review attempts', f.review_attempts],
      ['blocker', f.blocker ? f.blocker.code : 'none'], ['working actors', busy.join(', ') || 'none']]);
  }
  function renderLiveTasks() {
    var tasks = live.order.map(function (s) { return live.actors[s]; }).filter(function (a) { return a.kind === 'task'; }).map(function (a) {
      var f = a.facts || {};
      return { id: a.id, role: f.role, attempt: f.attempt, epoch: f.epoch, state: a.state, current: a.status === 'active',
        note: f.code ? 'code ' + f.code + (f.decision ? ', decision ' + f.decision : '') : (a.status !== 'active' ? a.status : '') };
    });
    D.drawTasks($('tasks'), tasks, taskStates);
  }
  function liveRow(e) { return D.logRow(e.n, e.at, (e.source ? e.source : 'outside') + ' \u2192 ' + e.target, e.type, '', e.payload); }
  function renderLiveLog() {
    var log = $('log');
    log.textContent = '';
    live.events.forEach(function (e) { log.appendChild(liveRow(e)); });
    $('log-count').textContent = '(' + live.events.length + ' live events)';
    log.scrollTop = log.scrollHeight;
  }
  function appendLiveEvent(e) {
    var log = $('log');
    var stick = log.scrollTop + log.clientHeight >= log.scrollHeight - 30;
    log.appendChild(liveRow(e));
    while (log.childNodes.length > 1000) log.removeChild(log.firstChild);
    $('log-count').textContent = '(' + live.events.length + ' live events)';
    if (stick) log.scrollTop = log.scrollHeight;
  }

  // ---- replay: the run's journal, stepped on a timeline; it opens at the end ----
  function describeEntry(e) {
    if (e.type === 'run.created' || e.type === 'run.transition') return (e.from || '\u2205') + ' \u2192 ' + e.to + (e.event ? ' on ' + e.event : '');
    if (e.type === 'task.transition') return e.task_id + ': ' + (e.from || '\u2205') + ' \u2192 ' + e.to + (e.code ? ' (' + e.code + ')' : '');
    if (e.type === 'verification.command') return 'epoch ' + e.epoch + ', command ' + e.index + ': ' + e.command;
    return String(e.task_id || e.message || '');
  }
  function bindRow(row, i) { row.dataset.index = String(i); row.addEventListener('click', function (ev) { if (ev.target.tagName !== 'SUMMARY') seek(i); }); }
  function replayRow(e) {
    var rest = {};
    Object.keys(e).forEach(function (k) { if (k !== 'seq' && k !== 'at' && k !== 'type') rest[k] = e[k]; });
    return D.logRow(e.seq, e.at, '', e.type, describeEntry(e), JSON.stringify(rest, null, 1));
  }
  // Rows the server rendered are kept; only entries the page has no row for yet are added.
  function drawReplayLog() {
    var log = $('log');
    var rows = log.querySelectorAll('.log-row');
    if (rows.length > ui.replay.entries.length || (rows.length && !rows[0].dataset.index)) { log.textContent = ''; rows = []; }
    for (var i = rows.length; i < ui.replay.entries.length; i++) { var row = replayRow(ui.replay.entries[i]); bindRow(row, i); log.appendChild(row); }
    $('log-count').textContent = '(' + ui.replay.entries.length + ' journal entries)';
    $('timeline').max = String(Math.max(0, ui.replay.entries.length - 1));
  }
  function seek(pos) {
    var r = ui.replay;
    if (!r || !r.entries.length) { setStatus('replay: ' + runId + ' has no journal entries yet', 'replay'); return; }
    pos = Math.max(0, Math.min(r.entries.length - 1, pos));
    r.pos = pos;
    var path = null, tasks = {}, order = [], epoch = null, cur = r.entries[pos];
    for (var i = 0; i <= pos; i++) {
      var e = r.entries[i];
      if (e.type === 'run.created' || e.type === 'run.transition') path = e.to;
      if (e.type === 'worker.finished' && tasks[e.task_id] && typeof e.cost_usd === 'number') tasks[e.task_id].cost = e.cost_usd;
      if (e.type === 'task.transition') {
        var t = tasks[e.task_id];
        if (!t) { t = tasks[e.task_id] = { id: 'task:' + e.task_id }; order.push(e.task_id); }
        ['role', 'attempt', 'epoch'].forEach(function (k) { if (e[k] !== undefined) t[k] = e[k]; });
        t.state = e.to;
        t.note = e.code ? 'code ' + e.code + (e.decision && e.decision !== 'none' ? ', decision ' + e.decision : '') : (e.verdict ? 'verdict ' + e.verdict : '');
        if (typeof e.epoch === 'number') epoch = e.epoch;
      }
    }
    var isRunStep = cur.type === 'run.created' || cur.type === 'run.transition';
    showRun(path, isRunStep ? cur.event : null, isRunStep ? cur.from : null);
    D.drawTasks($('tasks'), order.map(function (id) { var t = tasks[id]; t.current = cur.task_id === id; return t; }), taskStates);
    facts([['run', runId], ['entry', cur.seq + ' of ' + r.entries.length], ['type', cur.type], ['epoch (last task)', epoch === null ? '-' : epoch]]);
    $('timeline').value = String(pos);
    $('rp-label').textContent = 'seq ' + cur.seq + '/' + r.entries.length + ' \u00b7 ' + cur.at + ' \u00b7 ' + cur.type;
    var rows = $('log').childNodes;
    for (var j = 0; j < rows.length; j++) {
      rows[j].classList.toggle('future', j > pos);
      rows[j].classList.toggle('current', j === pos);
    }
    if (rows[pos] && rows[pos].scrollIntoView && ui.ready) rows[pos].scrollIntoView({ block: 'nearest' });
    setStatus('replay: ' + runId + (r.terminal ? ' (' + r.state + ')' : ' (in progress: following the journal)'), 'replay');
  }
  // A run that is not finished: its journal is re-read every second; a timeline at its end moves along.
  function follow() {
    clearTimeout(followTimer);
    var r = ui.replay;
    if (!r || r.terminal) return;
    followTimer = setTimeout(function () {
      getJson('/runs/' + encodeURIComponent(runId) + '/journal').then(function (data) {
        var atEnd = r.pos >= r.entries.length - 1;
        r.entries = data.entries; r.terminal = data.terminal; r.state = data.state;
        if (ui.mode !== 'replay') { follow(); return; }
        drawReplayLog();
        seek(atEnd ? r.entries.length - 1 : r.pos);
        follow();
      }).catch(function (e) { ui.errors.push(e.message); follow(); });
    }, 1000);
  }
  function stopPlay() { clearInterval(playTimer); playTimer = null; $('rp-play').textContent = 'play'; }
  function togglePlay() {
    if (playTimer) { stopPlay(); return; }
    var r = ui.replay;
    if (!r) return;
    if (r.pos >= r.entries.length - 1) seek(0);
    $('rp-play').textContent = 'pause';
    playTimer = setInterval(function () { if (r.pos >= r.entries.length - 1) stopPlay(); else seek(r.pos + 1); }, 400);
  }
  function step(delta) { if (ui.replay) { stopPlay(); seek(ui.replay.pos + delta); } }
  function toReplay() { if (ui.mode !== 'replay') { setMode('replay'); drawReplayLog(); seek(ui.replay.entries.length - 1); } }

  // ---- the panels (header, why it stopped, logs, change) of a run that is not finished ----
  function swap(id, html) {
    if (panels[id] === html) return;
    panels[id] = html;
    var node = $(id);
    // Logs a person opened or closed stay so.
    var open = {};
    node.querySelectorAll('details[data-key]').forEach(function (d) { open[d.dataset.key] = d.open; });
    node.innerHTML = html;
    node.querySelectorAll('details[data-key]').forEach(function (d) { if (d.dataset.key in open) d.open = open[d.dataset.key]; });
  }
  function refreshPanels() {
    return getJson('/runs/' + encodeURIComponent(runId) + '/panels').then(function (p) {
      swap('run-head', p.head); swap('why', p.why); swap('logs', p.logs); swap('change', p.change);
      $('why').className = 'why tone-' + (p.terminal ? (p.state === 'ready_for_manual_review' ? 'ready' : p.state === 'failed_execution' ? 'failed' : p.state.indexOf('blocked_') === 0 ? 'blocked' : 'done') : 'live');
      document.body.dataset.terminal = p.terminal ? '1' : '0';
      ui.polls++;
      return p;
    });
  }
  function pollPanels() {
    clearTimeout(panelTimer);
    panelTimer = setTimeout(function () {
      refreshPanels().then(function (p) { if (!p.terminal) pollPanels(); }, function (e) { ui.errors.push(e.message); pollPanels(); });
    }, 1000);
  }

  function bind() {
    $('mode-live').addEventListener('click', function () { if (ui.mode === 'live') toReplay(); else { setMode('live'); renderLive(); } });
    $('rp-first').addEventListener('click', function () { stopPlay(); seek(0); });
    $('rp-prev').addEventListener('click', function () { step(-1); });
    $('rp-next').addEventListener('click', function () { step(1); });
    $('rp-last').addEventListener('click', function () { stopPlay(); if (ui.replay) seek(ui.replay.entries.length - 1); });
    $('rp-play').addEventListener('click', togglePlay);
    $('timeline').addEventListener('input', function () { stopPlay(); seek(Number($('timeline').value)); });
    document.addEventListener('keydown', function (ev) {
      if (ui.mode !== 'replay' || /^(INPUT|SELECT|TEXTAREA)$/.test(ev.target.tagName)) return;
      if (ev.key === 'ArrowLeft') step(-1);
      else if (ev.key === 'ArrowRight') step(1);
      else if (ev.key === 'Home') { stopPlay(); seek(0); }
      else if (ev.key === 'End') { stopPlay(); seek(ui.replay.entries.length - 1); }
      else if (ev.key === ' ') { ev.preventDefault(); togglePlay(); }
    });
  }

  Promise.all([getJson('/graph'), getJson('/runs/' + encodeURIComponent(runId) + '/journal')]).then(function (res) {
    taskStates = res[0].task.root.children;
    var data = res[1];
    ui.replay = { id: runId, entries: data.entries, pos: 0, terminal: data.terminal, state: data.state };
    bind();
    var rows = $('log').querySelectorAll('.log-row');
    for (var i = 0; i < rows.length && i < data.entries.length; i++) bindRow(rows[i], i);
    ui.live.available = document.body.dataset.live === '1';
    $('mode-live').disabled = !ui.live.available;
    drawReplayLog();
    seek(data.entries.length - 1);
    follow();
    if (ui.live.available) { setMode('live'); connectLive(); liveStatus(); }
    else setMode('replay');
    if (document.body.dataset.terminal !== '1') pollPanels();
  }).then(function () { ui.ready = true; }, function (e) { ui.errors.push(e.message); setStatus('inspector error: ' + e.message, 'bad'); });
})();
`;

/** GET /app.js: the drawing helpers, then the board's and the run page's code (each runs on its own page). */
export const PAGE_JS = CHART_JS + BOARD_JS + RUN_JS;

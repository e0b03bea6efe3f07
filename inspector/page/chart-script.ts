// Browser code, part 1: moves the highlight on the server-drawn statechart (SVG), draws worker-task
// cards and event-log rows. Served as text; keep it ES5-ish and free of backticks (it lives inside
// a template literal).

/** Defines window.BuranDraw: drawing helpers the app script (script.ts) uses. */
export const CHART_JS = String.raw`
(function () {
  'use strict';

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  /** "running.awaiting" (or "a.b,c.d") to every state id it makes active, root first. */
  function pathIds(path) {
    var ids = ['run'];
    path.split(',').forEach(function (p) {
      var parts = p.split('.');
      for (var i = 1; i <= parts.length; i++) ids.push('run.' + parts.slice(0, i).join('.'));
    });
    return ids;
  }

  /** Lights the active states; marks the arrow the event took from prevPath. */
  function showState(container, path, event, prevPath) {
    container.querySelectorAll('.active, .active-leaf, .taken').forEach(function (n) {
      n.classList.remove('active', 'active-leaf', 'taken');
    });
    if (!path) return;
    var ids = pathIds(path);
    container.querySelectorAll('.state[data-id]').forEach(function (n) {
      if (ids.indexOf(n.getAttribute('data-id')) >= 0) n.classList.add('active');
    });
    path.split(',').forEach(function (p) {
      var leaf = container.querySelector('.state[data-id="run.' + p + '"]');
      if (leaf) leaf.classList.add('active-leaf');
    });
    if (event && prevPath) {
      var from = pathIds(prevPath);
      container.querySelectorAll('.edge').forEach(function (edge) {
        var events = (edge.getAttribute('data-events') || '').split(' ');
        if (events.indexOf(event) >= 0 && from.indexOf(edge.getAttribute('data-source')) >= 0 && ids.indexOf(edge.getAttribute('data-target')) >= 0) edge.classList.add('taken');
      });
    }
  }

  function money(usd) { return '$' + usd.toFixed(usd < 1 ? 4 : 2); }

  /** Worker-task cards: each task's own statechart states, its current one lit (as the server draws them). */
  function drawTasks(container, tasks, taskStates) {
    container.textContent = '';
    if (!tasks.length) { container.appendChild(el('p', 'empty', 'no worker task yet')); return; }
    tasks.forEach(function (t) {
      var card = el('div', 'task' + (t.current ? ' current' : ''));
      card.dataset.task = t.id;
      card.dataset.state = t.state || '';
      var head = el('div', 'task-head');
      head.appendChild(el('span', 'task-id', t.id));
      var meta = [t.role || '?', 'attempt ' + (t.attempt === undefined ? '?' : t.attempt), 'epoch ' + (t.epoch === undefined ? '?' : t.epoch)];
      head.appendChild(el('span', 'task-meta', meta.join(' \u00b7 ') + (typeof t.cost === 'number' ? ' \u00b7 ' + money(t.cost) : '')));
      card.appendChild(head);
      var chips = el('div', 'chips');
      taskStates.forEach(function (s) {
        var chip = el('span', 'chip type-' + s.type + (s.key === t.state ? ' active' : ''), s.key);
        chip.dataset.state = s.key;
        chips.appendChild(chip);
      });
      card.appendChild(chips);
      if (t.note) card.appendChild(el('div', 'task-note', t.note));
      container.appendChild(card);
    });
  }

  function clock(at) { return typeof at === 'string' && at.length >= 23 ? at.slice(11, 23) : ''; }

  /** One event-log row; payload (already redacted by the server) folds away. */
  function logRow(n, at, who, type, what, payload) {
    var row = el('div', 'log-row');
    row.appendChild(el('span', 'n', '#' + n));
    row.appendChild(el('span', 't', clock(at)));
    if (who) row.appendChild(el('span', 'who', who));
    row.appendChild(el('span', 'ty', type));
    if (what) row.appendChild(el('span', 'what', what));
    if (payload) {
      var details = el('details');
      details.appendChild(el('summary', null, 'payload'));
      details.appendChild(el('pre', 'payload', payload));
      row.appendChild(details);
    }
    return row;
  }

  window.BuranDraw = { el: el, showState: showState, drawTasks: drawTasks, logRow: logRow, pathIds: pathIds };
})();
`;

// Browser code, part 1: draws the run statechart, the worker-task cards and the event log from plain data.
// It is served as text; keep it ES5-ish and free of backticks (it lives inside a template literal).

/** Defines window.BuranDraw: drawing helpers the app script (script.ts) uses. */
export const CHART_JS = String.raw`
(function () {
  'use strict';
  var nodes = {};
  var edgesBySource = {};
  var taskStates = [];

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function short(id) { return id === 'run' ? 'run' : id.replace(/^run\./, ''); }
  function eventLabel(type) { return type.replace(/^xstate\./, ''); }

  function transitions(id) {
    var list = el('ul', 'transitions');
    (edgesBySource[id] || []).forEach(function (e) {
      var li = el('li', 'transition');
      li.dataset.source = e.source;
      li.dataset.target = e.target;
      li.dataset.event = e.event;
      li.appendChild(el('span', 'event', eventLabel(e.event)));
      li.appendChild(el('span', 'arrow', '\u2192'));
      li.appendChild(el('span', 'target', short(e.target)));
      if (e.guard) li.appendChild(el('span', 'guard', '[' + e.guard + ']'));
      li.title = e.event + (e.guard ? ' [' + e.guard + ']' : '') + ': ' + short(e.source) + ' \u2192 ' + short(e.target);
      list.appendChild(li);
    });
    return list;
  }

  function drawNode(node, initial) {
    var box = el('div', 'state type-' + node.type + (node.children.length ? ' compound' : '') + (initial ? ' initial' : ''));
    box.dataset.id = node.id;
    nodes[node.id] = box;
    if (node.description) box.title = node.description;
    var head = el('div', 'state-head');
    head.appendChild(el('span', 'state-name', node.key));
    if (node.type === 'final') head.appendChild(el('span', 'badge', 'final'));
    node.invokes.forEach(function (src) { head.appendChild(el('span', 'invoke', 'invoke ' + src)); });
    box.appendChild(head);
    box.appendChild(transitions(node.id));
    if (node.children.length) {
      var kids = el('div', 'children');
      node.children.forEach(function (c, i) { kids.appendChild(drawNode(c, i === 0)); });
      box.appendChild(kids);
    }
    return box;
  }

  /** Draws the run chart (nested boxes, each with its outgoing transitions) into container. */
  function drawChart(container, graphs) {
    nodes = {};
    edgesBySource = {};
    taskStates = graphs.task.root.children;
    graphs.run.edges.forEach(function (e) { (edgesBySource[e.source] = edgesBySource[e.source] || []).push(e); });
    container.textContent = '';
    var root = el('div', 'state root');
    root.dataset.id = graphs.run.root.id;
    nodes[graphs.run.root.id] = root;
    var head = el('div', 'state-head');
    head.appendChild(el('span', 'state-name', graphs.run.root.key));
    head.appendChild(el('span', 'badge', 'root: these apply in every state'));
    root.appendChild(head);
    root.appendChild(transitions(graphs.run.root.id));
    var grid = el('div', 'grid');
    graphs.run.root.children.forEach(function (c, i) { grid.appendChild(drawNode(c, i === 0)); });
    root.appendChild(grid);
    container.appendChild(root);
    container.addEventListener('mouseover', function (ev) { hoverTarget(ev, true); });
    container.addEventListener('mouseout', function (ev) { hoverTarget(ev, false); });
  }

  function hoverTarget(ev, on) {
    var li = ev.target.closest ? ev.target.closest('.transition') : null;
    if (!li) return;
    var target = nodes[li.dataset.target];
    if (target) target.classList.toggle('hover-target', on);
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

  /** Highlights the active states; marks the transitions event could have taken from prevPath. */
  function showState(container, path, event, prevPath) {
    container.querySelectorAll('.active, .active-leaf, .taken').forEach(function (n) {
      n.classList.remove('active', 'active-leaf', 'taken');
    });
    if (!path) return;
    var ids = pathIds(path);
    ids.forEach(function (id) { if (nodes[id]) nodes[id].classList.add('active'); });
    path.split(',').forEach(function (p) { if (nodes['run.' + p]) nodes['run.' + p].classList.add('active-leaf'); });
    if (event && prevPath) {
      var from = pathIds(prevPath);
      container.querySelectorAll('.transition').forEach(function (li) {
        if (li.dataset.event === event && from.indexOf(li.dataset.source) >= 0 && ids.indexOf(li.dataset.target) >= 0) li.classList.add('taken');
      });
    }
  }

  /** Worker-task cards: each task's own statechart states, its current one highlighted. */
  function drawTasks(container, tasks) {
    container.textContent = '';
    if (!tasks.length) { container.appendChild(el('p', 'empty', 'no worker task yet')); return; }
    tasks.forEach(function (t) {
      var card = el('div', 'task' + (t.current ? ' current' : ''));
      card.dataset.task = t.id;
      card.dataset.state = t.state || '';
      var head = el('div', 'task-head');
      head.appendChild(el('span', 'task-id', t.id));
      var meta = [t.role || '?', 'attempt ' + (t.attempt === undefined ? '?' : t.attempt), 'epoch ' + (t.epoch === undefined ? '?' : t.epoch)];
      head.appendChild(el('span', 'task-meta', meta.join(' \u00b7 ')));
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

  window.BuranDraw = { el: el, drawChart: drawChart, showState: showState, drawTasks: drawTasks, logRow: logRow, pathIds: pathIds };
})();
`;

/**
 * The dashboard's browser script (served as /app.js). Plain ES2020, no framework, no external
 * assets. Kept as a string so dist/ is self-contained (the build runs tsc only): it must contain
 * no backtick and no dollar-brace sequence; test/web/static-assets.test.ts checks that it parses.
 *
 * The token comes from the URL fragment (#token=…), is kept in sessionStorage for reloads of this
 * tab, removed from the address bar, and sent only as `Authorization: Bearer` on /api calls.
 * All data reaches the page through textContent/attributes, never innerHTML.
 */
export const DASHBOARD_APP_JS = String.raw`(function () {
  'use strict';
  var SVGNS = 'http://www.w3.org/2000/svg';
  var TOKEN_KEY = 'imessage-gateway-control-token';
  var RETRYABLE = { 'awaiting-permissions': 1, misconfigured: 1, 'backoff-restart': 1, 'cooling-down': 1 };
  var model = { token: null, machine: null, status: null, cards: {}, pairing: {} };

  // ---------- helpers ----------
  function readToken() {
    var m = /(?:^#|&)token=([0-9a-fA-F]{16,})/.exec(location.hash);
    if (m) {
      try { sessionStorage.setItem(TOKEN_KEY, m[1]); } catch (e) { /* storage may be off */ }
      history.replaceState(null, '', location.pathname + location.search);
      return m[1];
    }
    try { return sessionStorage.getItem(TOKEN_KEY); } catch (e) { return null; }
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }
  function svg(tag, attrs, children) {
    var node = document.createElementNS(SVGNS, tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }
  function setAttrs(node, attrs) {
    if (!attrs) return;
    Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v === undefined || v === null || v === false) return;
      if (k === 'text') node.textContent = String(v);
      else if (k === 'onclick') node.addEventListener('click', v);
      else node.setAttribute(k, String(v));
    });
  }
  function append(node, children) {
    if (children === undefined || children === null) return;
    if (!Array.isArray(children)) children = [children];
    children.forEach(function (c) {
      if (c === undefined || c === null || c === false) return;
      node.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    });
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  // The imsg methods the gateway uses when they are advertised (status.imsg.methods, v1 only).
  var NOTABLE_METHODS = ['messages.after', 'send.tracked', 'message.send_status', 'typing', 'read'];
  function capabilityText(methods) {
    if (!methods) return '';
    var used = NOTABLE_METHODS.filter(function (m) { return methods.indexOf(m) >= 0; });
    return ' · capabilities: ' + (used.length ? used.join(', ') : 'basic') + ' (' + methods.length + ' methods)';
  }
  function fmtTime(iso) {
    if (!iso) return '—';
    var d = new Date(iso);
    return isNaN(d.getTime()) ? String(iso) : d.toLocaleTimeString();
  }
  function fmtDateTime(iso) {
    if (!iso) return '—';
    var d = new Date(iso);
    return isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
  }
  function notice(text, kind) {
    var n = document.getElementById('notice');
    n.textContent = text || '';
    n.className = 'notice' + (kind ? ' ' + kind : '');
    n.hidden = !text;
  }
  function setConnection(text, kind) {
    var c = document.getElementById('connection');
    c.textContent = text;
    c.className = 'conn ' + (kind || '');
  }

  function api(method, path, body) {
    var init = { method: method, headers: { authorization: 'Bearer ' + model.token }, cache: 'no-store' };
    if (body !== undefined) {
      init.headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (res) {
      return res.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = { error: text }; }
        if (!res.ok) {
          var err = new Error((data && data.error) || ('HTTP ' + res.status));
          err.status = res.status;
          throw err;
        }
        return data;
      });
    });
  }

  // ---------- the machine diagram ----------
  function graphIndex(graph) {
    var byId = {};
    var children = {};
    graph.states.forEach(function (s) {
      byId[s.id] = s;
      var p = s.parent || '';
      (children[p] = children[p] || []).push(s);
    });
    return { byId: byId, children: children };
  }

  function topOf(index, id) {
    var s = index.byId[id];
    while (s && s.parent) s = index.byId[s.parent];
    return s ? s.id : id;
  }

  function isAncestorOrSelf(index, ancestor, id) {
    var s = index.byId[id];
    while (s) {
      if (s.id === ancestor) return true;
      s = s.parent ? index.byId[s.parent] : null;
    }
    return false;
  }

  /** The diagram node for a state name from status ("streaming" is "child.streaming"). */
  function resolveState(index, name) {
    if (!name) return null;
    if (index.byId[name]) return name;
    var best = null;
    Object.keys(index.byId).forEach(function (id) {
      if (id.slice(-(name.length + 1)) === '.' + name && (best === null || id.length < best.length)) best = id;
    });
    return best;
  }

  function layout(graph, index) {
    var tops = index.children[''] || [];
    var CHILD_W = 150, CHILD_H = 34, NODE_W = 160, NODE_H = 40, TITLE_H = 30, GAP_Y = 36, GAP_X = 150, PAD = 10;
    var size = {};
    tops.forEach(function (s) {
      var kids = index.children[s.id] || [];
      if (kids.length === 0) size[s.id] = { w: NODE_W, h: NODE_H };
      else size[s.id] = { w: CHILD_W + 2 * PAD, h: TITLE_H + kids.length * (CHILD_H + 8) + PAD - 8 + 4 };
    });
    // Layers: breadth-first from the initial state over edges between top-level states.
    var adj = {};
    graph.edges.forEach(function (e) {
      if (e.from === '*') return;
      var a = topOf(index, e.from), b = topOf(index, e.to);
      if (a === b) return;
      (adj[a] = adj[a] || []).push(b);
    });
    var layer = {};
    var maxLayer = -1;
    function bfs(start, base) {
      if (layer[start] !== undefined) return;
      layer[start] = base;
      var queue = [start];
      while (queue.length) {
        var cur = queue.shift();
        if (layer[cur] > maxLayer) maxLayer = layer[cur];
        (adj[cur] || []).forEach(function (n) {
          if (layer[n] === undefined) { layer[n] = layer[cur] + 1; queue.push(n); }
        });
      }
    }
    bfs(topOf(index, graph.initial), 0);
    graph.edges.forEach(function (e) { if (e.from === '*') bfs(topOf(index, e.to), maxLayer + 1); });
    tops.forEach(function (s) { bfs(s.id, maxLayer + 1); });
    var columns = [];
    tops.forEach(function (s) { (columns[layer[s.id]] = columns[layer[s.id]] || []).push(s.id); });
    columns = columns.filter(function (c) { return c && c.length; });
    var colHeights = columns.map(function (col) {
      return col.reduce(function (h, id) { return h + size[id].h; }, 0) + (col.length - 1) * GAP_Y;
    });
    var height = Math.max.apply(null, colHeights.concat([NODE_H])) + 40;
    var boxes = {};
    var x = 20;
    columns.forEach(function (col, i) {
      var w = Math.max.apply(null, col.map(function (id) { return size[id].w; }));
      var y = 20 + (height - 40 - colHeights[i]) / 2;
      col.forEach(function (id) {
        var sz = size[id];
        boxes[id] = { x: x + (w - sz.w) / 2, y: y, w: sz.w, h: sz.h, compound: !!(index.children[id] || []).length };
        (index.children[id] || []).forEach(function (kid, k) {
          boxes[kid.id] = { x: boxes[id].x + PAD, y: y + TITLE_H + k * (CHILD_H + 8), w: CHILD_W, h: CHILD_H, compound: false };
        });
        y += sz.h + GAP_Y;
      });
      x += w + GAP_X;
    });
    return { boxes: boxes, width: x - GAP_X + 20, height: height };
  }

  function borderPoint(b, tx, ty) {
    var cx = b.x + b.w / 2, cy = b.y + b.h / 2;
    var dx = tx - cx, dy = ty - cy;
    if (dx === 0 && dy === 0) return { x: cx, y: cy };
    var sx = dx !== 0 ? (b.w / 2) / Math.abs(dx) : Infinity;
    var sy = dy !== 0 ? (b.h / 2) / Math.abs(dy) : Infinity;
    var s = Math.min(sx, sy);
    return { x: cx + dx * s, y: cy + dy * s };
  }

  function buildDiagram(accountId, graph, markerId) {
    var index = graphIndex(graph);
    var lay = layout(graph, index);
    var anyEdges = graph.edges.filter(function (e) { return e.from === '*'; });
    var extra = anyEdges.length ? 26 : 0;
    var root = svg('svg', {
      viewBox: '0 0 ' + lay.width + ' ' + (lay.height + extra),
      class: 'machine',
      role: 'img',
      'aria-label': 'state machine of account ' + accountId,
      'data-testid': 'machine-' + accountId,
    });
    root.appendChild(svg('defs', null, svg('marker', {
      id: markerId, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse',
    }, svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead' }))));

    var nodesLayer = svg('g', { class: 'nodes' });
    var edgesLayer = svg('g', { class: 'edges' });
    var nodeEls = {};
    graph.states.forEach(function (s) {
      var b = lay.boxes[s.id];
      if (!b) return;
      var g = svg('g', {
        class: 'node' + (b.compound ? ' compound' : '') + (s.final ? ' final' : ''),
        'data-testid': 'state-' + accountId + '-' + s.id,
        'data-state': s.id,
      });
      g.appendChild(svg('rect', { x: b.x, y: b.y, width: b.w, height: b.h, rx: 8, ry: 8 }));
      if (s.final) g.appendChild(svg('rect', { x: b.x + 3, y: b.y + 3, width: b.w - 6, height: b.h - 6, rx: 6, ry: 6, class: 'inner' }));
      g.appendChild(svg('text', {
        x: b.x + b.w / 2, y: b.compound ? b.y + 19 : b.y + b.h / 2 + 5, 'text-anchor': 'middle', text: s.label,
      }));
      g.appendChild(svg('title', { text: s.id }));
      nodeEls[s.id] = g;
      nodesLayer.appendChild(g);
    });
    // Compound boxes first, so their children are drawn on top.
    Array.prototype.slice.call(nodesLayer.childNodes).forEach(function (g) {
      if (g.getAttribute('class').indexOf('compound') >= 0) nodesLayer.insertBefore(g, nodesLayer.firstChild);
    });

    var merged = {};
    var order = [];
    graph.edges.forEach(function (e) {
      if (e.from === '*') return;
      var key = e.from + '\u0000' + e.to;
      if (!merged[key]) { merged[key] = { from: e.from, to: e.to, labels: [] }; order.push(key); }
      merged[key].labels.push(e.label);
    });
    var edgeEls = [];
    order.forEach(function (key) {
      var e = merged[key];
      var a = lay.boxes[e.from], b = lay.boxes[e.to];
      if (!a || !b) return;
      var ac = { x: a.x + a.w / 2, y: a.y + a.h / 2 }, bc = { x: b.x + b.w / 2, y: b.y + b.h / 2 };
      var p0, p2, c;
      if (isAncestorOrSelf(index, e.from, e.to) && e.from !== e.to) {
        // Into one of its own children (e.g. RETRY → probing): from the title bar.
        p0 = { x: a.x + a.w - 14, y: a.y + 24 };
        p2 = { x: b.x + b.w - 8, y: b.y + 6 };
        c = { x: a.x + a.w + 6, y: (p0.y + p2.y) / 2 };
      } else {
        var dx = bc.x - ac.x, dy = bc.y - ac.y;
        var len = Math.sqrt(dx * dx + dy * dy) || 1;
        var bend = Math.min(60, 18 + len * 0.12);
        c = { x: (ac.x + bc.x) / 2 - (dy / len) * bend, y: (ac.y + bc.y) / 2 + (dx / len) * bend };
        p0 = borderPoint(a, c.x, c.y);
        p2 = borderPoint(b, c.x, c.y);
      }
      var mid = { x: 0.25 * p0.x + 0.5 * c.x + 0.25 * p2.x, y: 0.25 * p0.y + 0.5 * c.y + 0.25 * p2.y };
      // A guarded transition is shown by its guard (the full label is in the tooltip).
      var guard = /\[([^\]]+)\]$/.exec(e.labels[0]);
      var shown = guard ? guard[1] : e.labels[0];
      var label = shown.length > 24 ? shown.slice(0, 23) + '…' : shown;
      if (e.labels.length > 1) label += ' (+' + (e.labels.length - 1) + ')';
      var g = svg('g', { class: 'edge', 'data-from': e.from, 'data-to': e.to });
      g.appendChild(svg('path', {
        d: 'M' + p0.x.toFixed(1) + ',' + p0.y.toFixed(1) + ' Q' + c.x.toFixed(1) + ',' + c.y.toFixed(1) + ' ' + p2.x.toFixed(1) + ',' + p2.y.toFixed(1),
        'marker-end': 'url(#' + markerId + ')',
      }));
      g.appendChild(svg('text', { x: mid.x.toFixed(1), y: (mid.y - 3).toFixed(1), 'text-anchor': 'middle', text: label }));
      g.appendChild(svg('title', { text: e.from + ' → ' + e.to + ': ' + e.labels.join(' | ') }));
      edgeEls.push({ from: e.from, to: e.to, el: g });
      edgesLayer.appendChild(g);
    });
    root.appendChild(edgesLayer);
    root.appendChild(nodesLayer);
    if (anyEdges.length) {
      root.appendChild(svg('text', {
        x: 20, y: lay.height + 14, class: 'any-edges',
        text: 'from any state: ' + anyEdges.map(function (e) { return e.label + ' → ' + e.to; }).join(', '),
      }));
    }
    return { root: root, index: index, nodes: nodeEls, edges: edgeEls };
  }

  function highlight(diagram, stateName, last) {
    var current = resolveState(diagram.index, stateName);
    Object.keys(diagram.nodes).forEach(function (id) {
      var g = diagram.nodes[id];
      var base = g.getAttribute('class').replace(/\s*\b(current|active)\b/g, '');
      var isCurrent = id === current;
      var isActive = !isCurrent && current !== null && isAncestorOrSelf(diagram.index, id, current);
      g.setAttribute('class', base + (isCurrent ? ' current' : '') + (isActive ? ' active' : ''));
      if (isCurrent) g.setAttribute('data-current', 'true'); else g.removeAttribute('data-current');
    });
    var fromId = last ? resolveState(diagram.index, last.from) : null;
    var toId = last ? resolveState(diagram.index, last.to) : null;
    diagram.edges.forEach(function (e) {
      var isLast = fromId !== null && toId !== null &&
        isAncestorOrSelf(diagram.index, e.from, fromId) && isAncestorOrSelf(diagram.index, e.to, toId);
      e.el.setAttribute('class', 'edge' + (isLast ? ' last' : ''));
    });
    diagram.root.setAttribute('class', 'machine' + (current === null ? ' inactive' : ''));
  }

  // ---------- account cards ----------
  var COUNTERS = [
    ['received', 'received'], ['accepted', 'accepted'], ['dispatched', 'dispatched'], ['sent', 'sent'],
    ['queued', 'queued'], ['sendFailed', 'failed'], ['sendUnknown', 'unknown outcome'], ['sendAmbiguous', 'ambiguous files'], ['agentErrors', 'agent errors'],
    ['spawns', 'spawns'], ['garbageLines', 'garbage lines'], ['malformed', 'malformed'], ['unknownInput', 'unknown input'], ['quarantined', 'quarantined'],
  ];

  function createCard(account, index) {
    var id = account.id;
    var card = {
      id: id,
      root: el('section', { class: 'account', 'data-testid': 'account-' + id }),
      title: el('h2'),
      badge: el('span', { class: 'badge', 'data-testid': 'current-state-' + id }),
      meta: el('p', { class: 'meta', 'data-testid': 'meta-' + id }),
      reason: el('p', { class: 'reason', 'data-testid': 'reason-' + id }),
      health: el('div', { class: 'health', 'data-testid': 'health-' + id }),
      retry: el('button', { type: 'button', class: 'retry', 'data-testid': 'retry-' + id, text: 'Retry now' }),
      diagramBox: el('div', { class: 'diagram', 'data-testid': 'diagram-' + id }),
      counters: el('dl', { class: 'counters', 'data-testid': 'counters-' + id }),
      error: el('div', { class: 'error', 'data-testid': 'last-error-' + id }),
      transitions: el('ol', { class: 'transitions', 'data-testid': 'transitions-' + id }),
      pairing: el('div', { class: 'pairing', 'data-testid': 'pairing-' + id }),
      diagram: null,
      markerId: 'arrow-' + index,
      account: account,
    };
    card.retry.addEventListener('click', function () {
      card.retry.disabled = true;
      api('POST', '/api/accounts/' + encodeURIComponent(id) + '/retry').then(function () {
        notice('retry requested for ' + id, 'ok');
      }, function (err) { notice('retry failed: ' + err.message, 'bad'); })
        .then(function () { card.retry.disabled = false; });
    });
    append(card.root, [
      el('header', { class: 'account-head' }, [card.title, card.badge, card.retry]),
      card.meta,
      card.reason,
      card.health,
      card.diagramBox,
      el('div', { class: 'panels' }, [
        el('div', { class: 'panel' }, [el('h3', { text: 'Counters' }), card.counters]),
        el('div', { class: 'panel' }, [el('h3', { text: 'Last error' }), card.error]),
        el('div', { class: 'panel' }, [el('h3', { text: 'Pairing requests' }), card.pairing]),
        el('div', { class: 'panel wide' }, [el('h3', { text: 'Recent transitions' }), card.transitions]),
      ]),
    ]);
    return card;
  }

  function row(dl, testid, label, value) {
    append(dl, [el('dt', { text: label }), el('dd', { 'data-testid': testid, text: value })]);
  }

  function renderCard(card) {
    var a = card.account;
    var id = a.id;
    card.root.setAttribute('data-state', a.state);
    card.title.textContent = a.name ? a.name + ' (' + id + ')' : id;
    card.badge.textContent = a.state;
    card.badge.className = 'badge state-' + a.state;
    card.retry.hidden = !RETRYABLE[a.state];
    card.meta.textContent = 'since ' + fmtDateTime(a.since) +
      (a.childPid ? ' · imsg pid ' + a.childPid : '') +
      (a.imsg ? ' · imsg ' + (a.imsg.version || 'legacy') + ' (' + a.imsg.protocol +
        (a.imsg.databaseReady === false ? ', database unavailable' : '') +
        (a.imsg.fallback ? ', legacy fallback: it rejected status' : '') + ')' + capabilityText(a.imsg.methods) : '') +
      ' · restarts ' + a.restarts + (a.attempt ? ' · attempt ' + a.attempt : '') +
      (a.nextRetryAt ? ' · next retry ' + fmtTime(a.nextRetryAt) : '') +
      (a.agentId ? ' · agent ' + a.agentId : '') +
      (a.enabled === false ? ' · disabled' : '');
    card.reason.textContent = a.reason ? 'reason: ' + a.reason : '';
    // Health beside the state: degraded, with every reason (held messages, store writes, quarantine, paused chat).
    clear(card.health);
    card.root.setAttribute('data-health', a.health || 'ok');
    if (a.health === 'degraded') {
      append(card.health, [
        el('span', { class: 'badge degraded', 'data-testid': 'health-badge-' + id, text: 'degraded' }),
        el('ul', { class: 'degraded-reasons' }, (a.degradedReasons || []).map(function (r, i) {
          return el('li', { 'data-testid': 'degraded-reason-' + id + '-' + i, 'data-code': r.code, text: r.message });
        })),
      ]);
    }

    if (model.machine && !card.diagram) {
      card.diagram = buildDiagram(id, model.machine, card.markerId);
      clear(card.diagramBox);
      card.diagramBox.appendChild(card.diagram.root);
    }
    var transitions = a.transitions || [];
    if (card.diagram) highlight(card.diagram, a.state, transitions[transitions.length - 1]);

    clear(card.counters);
    var c = a.counters || {};
    COUNTERS.forEach(function (pair) { row(card.counters, 'counter-' + id + '-' + pair[0], pair[1], c[pair[0]] === undefined ? '—' : c[pair[0]]); });
    row(card.counters, 'counter-' + id + '-restarts', 'restarts', a.restarts);
    var dropped = c.dropped || {};
    var reasons = Object.keys(dropped).sort();
    row(card.counters, 'counter-' + id + '-dropped', 'dropped',
      reasons.length ? reasons.map(function (r) { return r + ': ' + dropped[r]; }).join(', ') : '0');
    row(card.counters, 'journal-lag-' + id, 'journal lag', a.journalLag === undefined ? '—' : a.journalLag);
    var o = a.outbox || {};
    row(card.counters, 'outbox-depth-' + id, 'outbox depth', o.depth === undefined ? '—' : o.depth);
    row(card.counters, 'outbox-failed-' + id, 'outbox failed / unknown', (o.failed || 0) + ' / ' + (o.unknown || 0));
    if (o.oldestQueuedAt) row(card.counters, 'outbox-oldest-' + id, 'oldest queued', fmtDateTime(o.oldestQueuedAt));
    if (a.pausedChats && a.pausedChats.length) row(card.counters, 'paused-' + id, 'paused chats', a.pausedChats.join(', '));
    // The chat.db generation the cursor belongs to (a new one after chat.db was replaced or restored).
    var gen = a.generation;
    if (gen) {
      row(card.counters, 'generation-' + id, 'chat.db generation', gen.number + ' since ' + fmtDateTime(gen.since) +
        (gen.number > 1 ? ' (' + gen.reason + ')' : '') + ' · cursor ' + (a.cursor === null || a.cursor === undefined ? '—' : a.cursor));
    }
    // imsg 0.14+: the messages.after catch-up, while it runs (behind by, rate) or the last one's totals.
    var cu = a.catchUp;
    if (cu) {
      row(card.counters, 'catch-up-' + id, cu.active ? 'catching up' : 'last catch-up', cu.active
        ? 'behind by ' + (cu.behindBy === null ? '?' : cu.behindBy) + ' rows · ' + (cu.rowsPerSecond === null ? '—' : cu.rowsPerSecond) + ' rows/s · ' + cu.rows + ' done'
        : cu.rows + ' rows in ' + cu.pages + ' pages, ' + cu.elapsedMs + ' ms' + (cu.stoppedBy && cu.stoppedBy !== 'caught-up' ? ' (' + cu.stoppedBy + ')' : ''));
    }

    clear(card.error);
    if (a.lastError) {
      append(card.error, [
        el('p', { class: 'error-message', 'data-testid': 'error-message-' + id, text: a.lastError }),
        el('p', { class: 'muted', text: (a.lastErrorClass ? 'class ' + a.lastErrorClass + ' · ' : '') + fmtDateTime(a.lastErrorAt) }),
        a.remediation ? el('p', { class: 'remediation', 'data-testid': 'remediation-' + id, text: a.remediation }) : null,
      ]);
    } else {
      append(card.error, el('p', { class: 'muted', text: 'no error' }));
    }

    clear(card.transitions);
    transitions.slice().reverse().forEach(function (t, i) {
      append(card.transitions, el('li', { 'data-testid': 'transition-' + id + '-' + i }, [
        el('time', { datetime: t.at, text: fmtTime(t.at) }),
        el('span', { class: 'move', text: t.from + ' → ' + t.to }),
        el('span', { class: 'why', text: t.reason }),
      ]));
    });
    if (!transitions.length) append(card.transitions, el('li', { class: 'muted', text: 'none yet' }));
    renderPairing(card);
  }

  function pairingItems(result) {
    var list = Array.isArray(result) ? result : result && (result.requests || result.pending);
    if (!Array.isArray(list)) return [];
    // PairingService.list() entries: {accountId, state, code, handle, createdAt, expiresAt, expired}.
    return list.filter(function (r) { return r && typeof r.code === 'string' && (r.state === undefined || r.state === 'pending'); });
  }

  function renderPairing(card) {
    var id = card.id;
    var entry = model.pairing[id];
    clear(card.pairing);
    if (!entry) { append(card.pairing, el('p', { class: 'muted', text: 'loading…' })); return; }
    if (entry.error) { append(card.pairing, el('p', { class: 'muted', text: 'unavailable: ' + entry.error })); return; }
    if (!entry.items.length) { append(card.pairing, el('p', { class: 'muted', text: 'no pending requests' })); return; }
    var list = el('ul', { class: 'pairing-list' });
    entry.items.forEach(function (r) {
      var who = r.sender || r.handle || r.from || r.id || '';
      var when = r.createdAt || r.requestedAt || r.at;
      var button = el('button', { type: 'button', 'data-testid': 'approve-' + id + '-' + r.code, text: r.expired ? 'Expired' : 'Approve' });
      if (r.expired) button.disabled = true;
      button.addEventListener('click', function () {
        button.disabled = true;
        api('POST', '/api/pairing/approve', { code: r.code, account: r.account || r.accountId || id }).then(function () {
          notice('approved pairing code ' + r.code + ' for ' + id, 'ok');
          return loadPairing(id);
        }, function (err) {
          button.disabled = false;
          notice('approve failed: ' + err.message, 'bad');
        });
      });
      append(list, el('li', { 'data-testid': 'pairing-request-' + id + '-' + r.code }, [
        el('code', { text: r.code }), ' ', el('span', { text: who }), ' ',
        when ? el('span', { class: 'muted', text: fmtTime(when) }) : null, ' ', button,
      ]));
    });
    append(card.pairing, list);
  }

  function loadPairing(id) {
    return api('GET', '/api/pairing?account=' + encodeURIComponent(id)).then(function (result) {
      model.pairing[id] = { items: pairingItems(result) };
    }, function (err) {
      model.pairing[id] = { items: [], error: err.message };
    }).then(function () {
      var card = model.cards[id];
      if (card) renderPairing(card);
    });
  }

  function renderStatus() {
    var status = model.status;
    if (!status) return;
    document.getElementById('gateway-meta').textContent =
      (status.running ? 'running' : 'not running') + ' · pid ' + status.pid + ' · started ' + fmtDateTime(status.startedAt) +
      (status.configPath ? ' · ' + status.configPath : '') + ' · updated ' + fmtTime(status.updatedAt);
    var container = document.getElementById('accounts');
    var seen = {};
    status.accounts.forEach(function (account, i) {
      seen[account.id] = true;
      var card = model.cards[account.id];
      if (!card) {
        card = model.cards[account.id] = createCard(account, i);
        loadPairing(account.id);
      }
      card.account = account;
      container.appendChild(card.root); // keeps the status order
      renderCard(card);
    });
    Object.keys(model.cards).forEach(function (id) {
      if (!seen[id]) { container.removeChild(model.cards[id].root); delete model.cards[id]; }
    });
    if (!status.accounts.length) notice('no accounts configured', 'muted');
  }

  function onTransition(t) {
    if (!model.status) return;
    var account = model.status.accounts.filter(function (a) { return a.id === t.accountId; })[0];
    if (!account) return;
    account.state = t.to;
    account.since = t.at;
    account.reason = t.reason;
    account.transitions = (account.transitions || []).concat([{ at: t.at, from: t.from, to: t.to, reason: t.reason }]).slice(-20);
    var card = model.cards[account.id];
    if (card) { card.account = account; renderCard(card); }
  }

  // ---------- live events: SSE over fetch (EventSource cannot send the bearer header) ----------
  function handleBlock(block) {
    var name = 'message';
    var data = [];
    block.split('\n').forEach(function (line) {
      if (!line || line.charAt(0) === ':') return;
      var i = line.indexOf(':');
      var field = i < 0 ? line : line.slice(0, i);
      var value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (field === 'event') name = value;
      else if (field === 'data') data.push(value);
    });
    if (!data.length) return;
    var payload;
    try { payload = JSON.parse(data.join('\n')); } catch (e) { return; }
    if (name === 'status' && payload.status) { model.status = payload.status; renderStatus(); }
    else if (name === 'transition') onTransition(payload);
  }

  var retryDelay = 1000;
  function connectEvents() {
    fetch('/api/events', { headers: { authorization: 'Bearer ' + model.token, accept: 'text/event-stream' }, cache: 'no-store' })
      .then(function (res) {
        if (res.status === 401) {
          setConnection('unauthorized', 'bad');
          notice('the token was rejected: open the dashboard URL printed by "imessage-gateway start"', 'bad');
          return null;
        }
        if (!res.ok || !res.body) throw new Error('HTTP ' + res.status);
        setConnection('live', 'ok');
        retryDelay = 1000;
        var reader = res.body.getReader();
        var decoder = new TextDecoder();
        var buffer = '';
        function pump() {
          return reader.read().then(function (chunk) {
            if (chunk.done) throw new Error('event stream ended');
            buffer = (buffer + decoder.decode(chunk.value, { stream: true })).replace(/\r\n?/g, '\n');
            var cut;
            while ((cut = buffer.indexOf('\n\n')) >= 0) {
              var block = buffer.slice(0, cut);
              buffer = buffer.slice(cut + 2);
              handleBlock(block);
            }
            return pump();
          });
        }
        return pump();
      })
      .catch(function () {
        setConnection('reconnecting…', 'warn');
        setTimeout(connectEvents, retryDelay);
        retryDelay = Math.min(retryDelay * 2, 15000);
      });
  }

  function start() {
    // A new dashboard URL pasted into this tab: start over with its token.
    window.addEventListener('hashchange', function () { if (/token=/.test(location.hash)) location.reload(); });
    model.token = readToken();
    document.getElementById('reload').addEventListener('click', function () {
      api('POST', '/api/reload').then(function (r) {
        notice('config reloaded' + (r && r.restarted && r.restarted.length ? '; restarted ' + r.restarted.join(', ') : ''), 'ok');
      }, function (err) { notice('reload rejected: ' + err.message, 'bad'); });
    });
    if (!model.token) {
      setConnection('no token', 'bad');
      notice('no token: open the dashboard URL printed by "imessage-gateway start" (it ends in #token=…)', 'bad');
      return;
    }
    Promise.all([api('GET', '/api/machine'), api('GET', '/api/status'), api('GET', '/api/info').catch(function () { return null; })])
      .then(function (results) {
        model.machine = results[0];
        model.status = results[1];
        var info = results[2];
        if (info && info.inspector) {
          var link = document.getElementById('inspector-link');
          link.href = info.inspector;
          link.hidden = false;
        }
        renderStatus();
        connectEvents();
        setInterval(function () { Object.keys(model.cards).forEach(loadPairing); }, 10000);
      }, function (err) {
        setConnection(err.status === 401 ? 'unauthorized' : 'error', 'bad');
        notice(err.status === 401 ? 'the token was rejected: open the dashboard URL printed by "imessage-gateway start"' : 'cannot load the gateway status: ' + err.message, 'bad');
      });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
`;

/**
 * The account machine's diagram, drawn from the layout the gateway computed with elkjs
 * (GET /api/machine/layout): states nested in their parents, routed edges, labels where ELK put
 * them. Marks the operator-facing state (`data-current`), its active substate (`data-substate`,
 * e.g. child.streaming.idle from the status's statePath) and their ancestors (`data-active`).
 * The SVG carries its natural size; a box with the class `fit` scales it to its own width
 * (app.css), never below MIN_FIT_SCALE, under which it scrolls as at 100%.
 */
import { svg } from './dom.js';
import type { AccountStatus, LaidOutState, MachineLayout } from './types.js';

/** Fitted, the diagram is never drawn smaller than this (a phone scrolls it rather than shrink it to nothing). */
export const MIN_FIT_SCALE = 0.25;

export interface Diagram {
  root: SVGSVGElement;
  /** Marks the account's state; returns the box of the marked state (null: none). */
  mark(account: AccountStatus): LaidOutState | null;
}

function ancestors(byId: Map<string, LaidOutState>, id: string): string[] {
  const out: string[] = [];
  let cur = byId.get(id)?.parent;
  while (cur !== undefined) {
    out.push(cur);
    cur = byId.get(cur)?.parent;
  }
  return out;
}

/** The node of a status state name: "streaming" is "child.streaming"; the shortest id ending in it. */
export function resolveState(layout: MachineLayout, name: string | undefined): string | null {
  if (!name) return null;
  const ids = layout.states.map((s) => s.id);
  if (ids.includes(name)) return name;
  const matches = ids.filter((id) => id.endsWith(`.${name}`)).sort((a, b) => a.length - b.length);
  return matches[0] ?? null;
}

export function buildDiagram(accountId: string, layout: MachineLayout, markerId: string): Diagram {
  const byId = new Map(layout.states.map((s) => [s.id, s]));
  const root = svg('svg', {
    class: 'machine',
    width: layout.width,
    height: layout.height,
    viewBox: `0 0 ${layout.width} ${layout.height}`,
    role: 'img',
    'aria-label': `state machine of account ${accountId}`,
    'data-testid': `machine-${accountId}`,
  });
  // For the fit-to-width view (CSSOM, which the page's CSP allows, unlike a style attribute).
  root.style.setProperty('--fit-min-width', `${Math.ceil(layout.width * MIN_FIT_SCALE)}px`);
  root.style.setProperty('--fit-aspect', `${layout.width} / ${layout.height}`);
  root.appendChild(
    svg('defs', {}, svg('marker', { id: markerId, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead' }))),
  );
  const nodes = new Map<string, SVGGElement>();
  // Parents before children (the layout lists them so), so nested states are drawn on top.
  const nodeLayer = svg('g', { class: 'nodes' });
  for (const s of layout.states) {
    const g = svg('g', {
      class: `node${s.compound ? ' compound' : ''}${s.final ? ' final' : ''}${s.gateway ? ' gateway' : ''}`,
      'data-testid': `state-${accountId}-${s.id}`,
      'data-state': s.id,
    });
    g.appendChild(svg('rect', { x: s.x, y: s.y, width: s.width, height: s.height, rx: 8, ry: 8 }));
    if (s.final) g.appendChild(svg('rect', { x: s.x + 3, y: s.y + 3, width: s.width - 6, height: s.height - 6, rx: 6, ry: 6, class: 'inner' }));
    g.appendChild(svg('text', { x: s.x + s.width / 2, y: s.compound ? s.y + 20 : s.y + s.height / 2 + 5, 'text-anchor': 'middle', text: s.label }));
    g.appendChild(svg('title', { text: s.gateway ? 'failed: the gateway marks an account whose machine threw, until its restart' : s.id }));
    nodes.set(s.id, g);
    nodeLayer.appendChild(g);
  }
  const edgeLayer = svg('g', { class: 'edges' });
  const edges: Array<{ from: string; to: string; g: SVGGElement }> = [];
  for (const e of layout.edges) {
    if (e.points.length < 2) continue;
    const d = e.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
    const g = svg(
      'g',
      { class: 'edge', 'data-from': e.from, 'data-to': e.to },
      svg('path', { d, 'marker-end': `url(#${markerId})` }),
      svg('text', { x: e.label.x + e.label.width / 2, y: e.label.y + e.label.height - 3, 'text-anchor': 'middle', text: e.label.text }),
      svg('title', { text: `${e.from} → ${e.to}: ${e.labels.join(' | ')}` }),
    );
    edges.push({ from: e.from, to: e.to, g });
    edgeLayer.appendChild(g);
  }
  root.appendChild(nodeLayer);
  root.appendChild(edgeLayer);

  const selfOrInside = (ancestor: string, id: string | null): boolean => id !== null && (id === ancestor || ancestors(byId, id).includes(ancestor));

  return {
    root,
    mark(account) {
      const current = resolveState(layout, account.state);
      const path = account.statePath && byId.has(account.statePath) ? account.statePath : null;
      const sub = path !== null && current !== null && path !== current && selfOrInside(current, path) ? path : null;
      const active = new Set([...(current ? ancestors(byId, current) : []), ...(sub ? ancestors(byId, sub).filter((id) => id !== current) : [])]);
      for (const [id, g] of nodes) {
        g.classList.toggle('current', id === current);
        g.classList.toggle('substate', id === sub);
        g.classList.toggle('active', active.has(id));
        if (id === current) g.setAttribute('data-current', 'true');
        else g.removeAttribute('data-current');
        if (id === sub) g.setAttribute('data-substate', 'true');
        else g.removeAttribute('data-substate');
        if (active.has(id)) g.setAttribute('data-active', 'true');
        else g.removeAttribute('data-active');
      }
      const last = account.transitions[account.transitions.length - 1];
      const from = resolveState(layout, last?.from);
      const to = resolveState(layout, last?.to);
      for (const e of edges) e.g.classList.toggle('last', from !== null && to !== null && selfOrInside(e.from, from) && selfOrInside(e.to, to));
      root.classList.toggle('inactive', current === null);
      return current === null ? null : (byId.get(current) ?? null);
    },
  };
}

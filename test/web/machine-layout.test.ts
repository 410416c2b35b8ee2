/** The server-side ELK layout of the real account machine: nesting, and no label over another or over a state. */
import { describe, expect, it } from 'vitest';
import { createAccountMachine } from '../../src/machines/account-machine.js';
import { systemClock } from '../../src/util/clock.js';
import { machineGraph } from '../../src/web/machine-graph.js';
import { type Box, GATEWAY_FAILED_STATE, layoutMachine } from '../../src/web/machine-layout.js';

/** Strict overlap (touching edges do not count). */
function intersects(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

function inside(inner: Box, outer: Box): boolean {
  return inner.x >= outer.x && inner.y >= outer.y && inner.x + inner.width <= outer.x + outer.width && inner.y + inner.height <= outer.y + outer.height;
}

describe('layoutMachine on the real account machine', async () => {
  const graph = machineGraph(createAccountMachine({ clock: systemClock }));
  const layout = await layoutMachine(graph);
  const state = (id: string) => layout.states.find((s) => s.id === id)!;

  it('places every state, nested ones inside their parents, plus the gateway-level failed state', () => {
    for (const s of graph.states) expect(state(s.id), s.id).toBeDefined();
    expect(state(GATEWAY_FAILED_STATE)).toMatchObject({ gateway: true, compound: false });
    expect(state('child').compound).toBe(true);
    expect(state('child.streaming').compound).toBe(true);
    for (const s of layout.states) {
      expect(s.width, s.id).toBeGreaterThan(0);
      expect(s.height, s.id).toBeGreaterThan(0);
      if (s.parent) expect(inside(s, state(s.parent)), `${s.id} inside ${s.parent}`).toBe(true);
      expect(inside(s, { x: 0, y: 0, width: layout.width, height: layout.height }), s.id).toBe(true);
    }
    expect(inside(state('child.streaming.idle'), state('child'))).toBe(true);
  });

  it('has one routed edge per pair of states, with every transition in its labels', () => {
    const pairs = new Set(graph.edges.filter((e) => e.from !== '*').map((e) => `${e.from}>${e.to}`));
    expect(layout.edges).toHaveLength(pairs.size);
    for (const e of layout.edges) expect(e.points.length, `${e.from}>${e.to}`).toBeGreaterThanOrEqual(2);
    const labels = layout.edges.flatMap((e) => e.labels);
    expect(labels).toContain('CHILD_SPAWNED');
    expect(layout.anyState).toContainEqual({ label: 'STOP', to: 'stopping' });
  });

  it('no two edge labels intersect, and no label crosses a state box', () => {
    const labels = layout.edges.map((e) => ({ ...e.label, edge: `${e.from}>${e.to}` }));
    for (const l of labels) {
      expect(l.width, l.edge).toBeGreaterThan(0);
      expect(l.text.length, l.edge).toBeGreaterThan(0);
    }
    for (let i = 0; i < labels.length; i++) {
      for (let j = i + 1; j < labels.length; j++) {
        expect(intersects(labels[i]!, labels[j]!), `${labels[i]!.edge} "${labels[i]!.text}" vs ${labels[j]!.edge} "${labels[j]!.text}"`).toBe(false);
      }
    }
    // A label may sit inside a compound state (its edge runs there), never over a leaf state or a
    // compound state's title bar.
    for (const l of labels) {
      for (const s of layout.states) {
        if (s.compound) {
          const title = { x: s.x, y: s.y, width: s.width, height: 30 };
          expect(intersects(l, title), `label ${l.edge} "${l.text}" over the title of ${s.id}`).toBe(false);
          const crossesBorder = intersects(l, s) && !inside(l, s);
          expect(crossesBorder, `label ${l.edge} "${l.text}" across the border of ${s.id}`).toBe(false);
        } else {
          expect(intersects(l, s), `label ${l.edge} "${l.text}" over ${s.id}`).toBe(false);
        }
      }
    }
  });
});

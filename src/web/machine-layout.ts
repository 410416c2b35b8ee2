/**
 * Lays out a machine graph (machine-graph.ts) with elkjs on the server, once per machine
 * definition: nested states inside their parents, edges routed between them, and edge labels
 * placed by ELK's layered algorithm (labels are dummy nodes there, so they never overlap each
 * other or a state). The dashboard draws the result as it is; elkjs never reaches the browser.
 *
 * The account's gateway-level `failed` state (the root actor marks an account whose machine threw,
 * gateway-machine.ts; its status says `failed` until the restart) is not a state of the account
 * machine: it is added as a separate node so the diagram can mark it too.
 */
import elkBundled from 'elkjs/lib/elk.bundled.js';
import type { ELK as ElkInstance, ElkExtendedEdge, ElkLabel, ElkNode } from 'elkjs/lib/elk-api.js';
import type { MachineGraph } from '../supervisor/control-backend.js';

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface LaidOutState extends Box {
  id: string;
  label: string;
  parent?: string;
  final?: boolean;
  /** Has nested states drawn inside it. */
  compound: boolean;
  /** Not a state of the account machine: the gateway's mark of an account whose machine threw. */
  gateway?: boolean;
}

export interface LaidOutEdge {
  id: string;
  from: string;
  to: string;
  /** Every transition between these two states (event, `after …`, `done: …`, `[guard]`). */
  labels: string[];
  /** The polyline, absolute coordinates, first point at `from`, last at `to`. */
  points: Array<{ x: number; y: number }>;
  /** The label as drawn (the first transition, shortened, `+n` for more) and its box. */
  label: Box & { text: string };
}

/** The positioned graph served as `GET /api/machine/layout`, in absolute coordinates. */
export interface MachineLayout {
  id: string;
  initial: string;
  width: number;
  height: number;
  states: LaidOutState[];
  edges: LaidOutEdge[];
  /** Transitions defined on the machine root (from any state), listed under the diagram. */
  anyState: Array<{ label: string; to: string }>;
}

export const GATEWAY_FAILED_STATE = 'failed';

/** elkjs is CommonJS: Node's default import is its module.exports, the constructor (its typings say `.default`). */
const ELK = elkBundled as unknown as new () => ElkInstance;

const LABEL_FONT_PX = 11;
const NODE_FONT_PX = 13;
/** A conservative width per character of the dashboard's system-ui font at these sizes. */
const textWidth = (text: string, px: number): number => Math.ceil(text.length * px * 0.62) + 8;

/** The label drawn on an edge: a guarded transition by its guard, long ones cut, `+n` for more. */
export function edgeLabelText(labels: readonly string[]): string {
  const first = labels[0] ?? '';
  const guard = /\[([^\]]+)\]$/.exec(first);
  const shown = guard?.[1] ?? first;
  const cut = shown.length > 26 ? `${shown.slice(0, 25)}…` : shown;
  return labels.length > 1 ? `${cut} +${labels.length - 1}` : cut;
}

function isAncestor(states: Map<string, { parent?: string }>, ancestor: string, id: string): boolean {
  let cur = states.get(id)?.parent;
  while (cur !== undefined) {
    if (cur === ancestor) return true;
    cur = states.get(cur)?.parent;
  }
  return false;
}

export async function layoutMachine(graph: MachineGraph, extraOptions: Record<string, string> = {}): Promise<MachineLayout> {
  const states = [...graph.states.map((s) => ({ ...s })), { id: GATEWAY_FAILED_STATE, label: 'failed (gateway)' }].filter(
    (s, i, all) => all.findIndex((o) => o.id === s.id) === i,
  );
  const byId = new Map(states.map((s) => [s.id, s as { id: string; label: string; parent?: string; final?: boolean }]));
  const childrenOf = new Map<string, string[]>();
  for (const s of byId.values()) {
    const key = s.parent ?? '';
    childrenOf.set(key, [...(childrenOf.get(key) ?? []), s.id]);
  }

  // One edge per (from, to); an edge into one's own descendant starts at the parent's border.
  const merged = new Map<string, { from: string; to: string; labels: string[] }>();
  for (const e of graph.edges) {
    if (e.from === '*' || !byId.has(e.from) || !byId.has(e.to)) continue;
    const key = `${e.from}\u0000${e.to}`;
    const entry = merged.get(key) ?? { from: e.from, to: e.to, labels: [] };
    entry.labels.push(e.label);
    merged.set(key, entry);
  }

  const elkNode = (id: string): ElkNode => {
    const s = byId.get(id)!;
    const kids = childrenOf.get(id) ?? [];
    const label: ElkLabel = { text: s.label, width: textWidth(s.label, NODE_FONT_PX), height: 16 };
    if (kids.length === 0) {
      return { id, width: Math.max(96, (label.width ?? 0) + 20), height: 34, labels: [label] };
    }
    return {
      id,
      labels: [label],
      layoutOptions: {
        'elk.padding': '[top=34,left=14,bottom=14,right=14]',
        'elk.nodeLabels.placement': '[H_CENTER, V_TOP, INSIDE]',
        'elk.nodeSize.constraints': '[MINIMUM_SIZE, NODE_LABELS]',
      },
      children: kids.map(elkNode),
    };
  };

  const edges = [...merged.values()].map((e, i) => ({ ...e, id: `e${i}`, text: edgeLabelText(e.labels) }));
  const elkEdges: ElkExtendedEdge[] = edges.map((e) => ({
    id: e.id,
    sources: [e.from],
    targets: [e.to],
    labels: [{ text: e.text, width: textWidth(e.text, LABEL_FONT_PX), height: 15 }],
  }));

  const root: ElkNode = {
    id: '__root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.edgeRouting': 'ORTHOGONAL',
      'elk.edgeLabels.placement': 'CENTER',
      'elk.layered.edgeLabels.sideSelection': 'ALWAYS_UP',
      'elk.spacing.nodeNode': '28',
      'elk.spacing.edgeLabel': '4',
      'elk.spacing.edgeNode': '14',
      'elk.spacing.edgeEdge': '5',
      'elk.layered.spacing.nodeNodeBetweenLayers': '40',
      'elk.layered.spacing.edgeNodeBetweenLayers': '8',
      'elk.layered.spacing.edgeEdgeBetweenLayers': '5',
      // Edges into one state share their last stretch: far fewer parallel lines.
      'elk.layered.mergeEdges': 'true',
      'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
      'elk.padding': '[top=16,left=16,bottom=16,right=16]',
      ...extraOptions,
    },
    children: (childrenOf.get('') ?? []).map(elkNode),
    edges: elkEdges,
  };

  const elk = new ELK();
  const result = await elk.layout(root);

  // Absolute positions: ELK gives each node relative to its parent.
  const absolute = new Map<string, { x: number; y: number }>([['__root', { x: 0, y: 0 }]]);
  const laidOut: LaidOutState[] = [];
  const walk = (node: ElkNode, ox: number, oy: number): void => {
    for (const child of node.children ?? []) {
      const x = ox + (child.x ?? 0);
      const y = oy + (child.y ?? 0);
      absolute.set(child.id, { x, y });
      const s = byId.get(child.id)!;
      laidOut.push({
        id: s.id,
        label: s.label,
        ...(s.parent !== undefined ? { parent: s.parent } : {}),
        ...(s.final ? { final: true } : {}),
        ...(s.id === GATEWAY_FAILED_STATE ? { gateway: true } : {}),
        compound: (child.children ?? []).length > 0,
        x,
        y,
        width: child.width ?? 0,
        height: child.height ?? 0,
      });
      walk(child, x, y);
    }
  };
  walk(result, 0, 0);

  // Edge coordinates are relative to the edge's container (elkjs sets `container` after layout).
  const laidEdges: LaidOutEdge[] = [];
  const collectEdges = (node: ElkNode): void => {
    for (const edge of (node.edges ?? []) as Array<ElkExtendedEdge & { container?: string }>) {
      const source = edges.find((e) => e.id === edge.id);
      if (!source) continue;
      const origin = absolute.get(edge.container ?? node.id) ?? absolute.get(node.id) ?? { x: 0, y: 0 };
      const section = edge.sections?.[0];
      const points = section
        ? [section.startPoint, ...(section.bendPoints ?? []), section.endPoint].map((p) => ({ x: origin.x + p.x, y: origin.y + p.y }))
        : [];
      const l = edge.labels?.[0];
      laidEdges.push({
        id: source.id,
        from: source.from,
        to: source.to,
        labels: source.labels,
        points,
        label: {
          text: source.text,
          x: origin.x + (l?.x ?? 0),
          y: origin.y + (l?.y ?? 0),
          width: l?.width ?? 0,
          height: l?.height ?? 0,
        },
      });
    }
    for (const child of node.children ?? []) collectEdges(child);
  };
  collectEdges(result);
  laidEdges.sort((a, b) => Number(a.id.slice(1)) - Number(b.id.slice(1)));

  return {
    id: graph.id,
    initial: graph.initial,
    width: Math.ceil(result.width ?? 0),
    height: Math.ceil(result.height ?? 0),
    states: laidOut,
    edges: laidEdges,
    anyState: graph.edges.filter((e) => e.from === '*').map((e) => ({ label: e.label, to: e.to })),
  };
}

/** Whether `id` is `ancestor` or nested (at any depth) inside it. */
export function isSelfOrDescendant(states: readonly LaidOutState[], ancestor: string, id: string): boolean {
  const map = new Map(states.map((s) => [s.id, s]));
  return id === ancestor || isAncestor(map, ancestor, id);
}

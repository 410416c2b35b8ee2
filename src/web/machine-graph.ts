/**
 * Derives the drawable graph of an XState v5 machine from its definition (the resolved state
 * nodes, not the config), so the dashboard draws the machine the gateway really runs.
 *
 * State ids are the node ids without the machine id: "child", "child.streaming".
 * Transitions defined on the machine root ("any state ──STOP──▶ stopping") have `from: "*"`.
 * Targetless transitions (actions only, e.g. resetting a counter after a delay) are not edges.
 */
import type { MachineGraph } from '../supervisor/control-backend.js';

/** The part of xstate's StateNode this module reads (structural, so any XState v5 machine fits). */
interface GraphStateNode {
  id: string;
  key: string;
  type: string;
  states: Record<string, GraphStateNode>;
  transitions: Map<string, ReadonlyArray<GraphTransition>>;
  always?: ReadonlyArray<GraphTransition> | undefined;
  after: ReadonlyArray<GraphTransition & { delay: number | string }>;
  invoke: ReadonlyArray<{ id: string; src: unknown }>;
  initial?: { target: ReadonlyArray<{ id: string }> } | undefined;
}

interface GraphTransition {
  eventType: string;
  target?: ReadonlyArray<{ id: string }> | undefined;
  guard?: unknown;
}

export interface GraphableMachine {
  id: string;
  root: unknown;
}

/** The state id relative to the machine: "account.child.streaming" → "child.streaming". */
function relativeId(machineId: string, nodeId: string): string {
  return nodeId.startsWith(`${machineId}.`) ? nodeId.slice(machineId.length + 1) : nodeId;
}

function guardName(guard: unknown): string | undefined {
  if (guard === undefined || guard === null) return undefined;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') return guard.name || 'guard';
  if (typeof guard === 'object' && typeof (guard as { type?: unknown }).type === 'string') {
    return (guard as { type: string }).type;
  }
  return 'guard';
}

function srcName(src: unknown): string {
  if (typeof src === 'string') return src;
  if (typeof src === 'object' && src !== null && typeof (src as { id?: unknown }).id === 'string') {
    return (src as { id: string }).id;
  }
  return 'actor';
}

function withGuard(label: string, guard: unknown): string {
  const name = guardName(guard);
  return name ? `${label} [${name}]` : label;
}

export function machineGraph(machine: GraphableMachine): MachineGraph {
  const machineId = machine.id;
  const root = machine.root as GraphStateNode;
  const states: MachineGraph['states'] = [];
  const edges: MachineGraph['edges'] = [];
  const seen = new Set<string>();

  const addEdge = (from: string, targets: GraphTransition['target'], label: string): void => {
    for (const target of targets ?? []) {
      const to = relativeId(machineId, target.id);
      const key = `${from}\u0000${to}\u0000${label}`;
      if (seen.has(key)) continue;
      seen.add(key);
      edges.push({ from, to, label });
    }
  };

  const visit = (node: GraphStateNode, isRoot: boolean): void => {
    const from = isRoot ? '*' : relativeId(machineId, node.id);
    if (!isRoot) {
      const parentNodeId = node.id.slice(0, node.id.length - node.key.length - 1);
      const parent = parentNodeId === root.id ? undefined : relativeId(machineId, parentNodeId);
      states.push({
        id: from,
        label: node.key,
        ...(parent !== undefined ? { parent } : {}),
        ...(node.type === 'final' ? { final: true } : {}),
      });
    }

    const invokeSrc = new Map(node.invoke.map((inv) => [inv.id, srcName(inv.src)]));
    for (const [eventType, transitions] of node.transitions) {
      // Delayed transitions are taken from `node.after`, which keeps the delay's name.
      if (eventType.startsWith('xstate.after.')) continue;
      for (const t of transitions) {
        let label = eventType;
        if (eventType.startsWith('xstate.done.actor.')) {
          label = `done: ${invokeSrc.get(eventType.slice('xstate.done.actor.'.length)) ?? 'actor'}`;
        } else if (eventType.startsWith('xstate.error.actor.')) {
          label = `error: ${invokeSrc.get(eventType.slice('xstate.error.actor.'.length)) ?? 'actor'}`;
        }
        addEdge(from, t.target, withGuard(label, t.guard));
      }
    }
    for (const t of node.after) {
      const delay = typeof t.delay === 'number' ? `${t.delay}ms` : t.delay;
      addEdge(from, t.target, withGuard(`after ${delay}`, t.guard));
    }
    for (const t of node.always ?? []) addEdge(from, t.target, withGuard('always', t.guard));

    for (const child of Object.values(node.states)) visit(child, false);
  };

  visit(root, true);
  const initialTarget = root.initial?.target[0];
  const initial = initialTarget ? relativeId(machineId, initialTarget.id) : (states[0]?.id ?? '');
  return { id: machineId, states, edges, initial };
}

/**
 * The account machine's graph as the live view draws it: the same for every gateway of one build
 * (run-gateway.ts serves it; scripts/build-layout.mjs lays it out at build time).
 */
import { createAccountMachine } from '../machines/account-machine.js';
import type { MachineGraph } from '../supervisor/control-backend.js';
import { systemClock } from '../util/clock.js';
import { machineGraph } from './machine-graph.js';

export function accountMachineGraph(): MachineGraph {
  return machineGraph(createAccountMachine({ clock: systemClock }));
}

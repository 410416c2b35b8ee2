// Lays out the account machine's diagram at build time (elkjs, seconds of CPU) into
// dist/web/machine-layout.json, keyed by the SHA-256 of the graph (src/web/machine-layout-prebuilt.ts),
// so the first dashboard page after a gateway start shows it at once. Run by `npm run build`, after tsc.
import { writeFileSync } from 'node:fs';
import { accountMachineGraph } from '../dist/web/account-machine-graph.js';
import { layoutMachine } from '../dist/web/machine-layout.js';
import { layoutKey, PREBUILT_LAYOUT_FILE } from '../dist/web/machine-layout-prebuilt.js';

const graph = accountMachineGraph();
const layout = await layoutMachine(graph);
writeFileSync(PREBUILT_LAYOUT_FILE, JSON.stringify({ key: layoutKey(graph), layout }));

// Lays out the account machine's diagram at build time (elkjs, seconds of CPU) into
// dist/web/machine-layout.json, keyed by the SHA-256 of the graph (src/web/machine-layout-prebuilt.ts),
// so the first dashboard page after a gateway start shows it at once. Run by `npm run build`, after tsc.
// Skipped when the file already holds the layout of this graph made by this layout code (`builtWith`:
// the SHA-256 of dist/web/machine-layout.js), as on every rebuild that changed neither.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { accountMachineGraph } from '../dist/web/account-machine-graph.js';
import { layoutMachine } from '../dist/web/machine-layout.js';
import { layoutKey, PREBUILT_LAYOUT_FILE } from '../dist/web/machine-layout-prebuilt.js';

const graph = accountMachineGraph();
const key = layoutKey(graph);
const builtWith = createHash('sha256').update(readFileSync(new URL('../dist/web/machine-layout.js', import.meta.url))).digest('hex');
let current;
try {
  current = JSON.parse(readFileSync(PREBUILT_LAYOUT_FILE, 'utf8'));
} catch {
  current = undefined;
}
if (current?.key !== key || current?.builtWith !== builtWith || typeof current?.layout !== 'object' || current.layout === null) {
  const layout = await layoutMachine(graph);
  writeFileSync(PREBUILT_LAYOUT_FILE, JSON.stringify({ key, builtWith, layout }));
}

/**
 * The account machine's diagram, laid out at build time (`npm run build` runs
 * scripts/build-layout.mjs, which writes dist/web/machine-layout.json): the machine definition is
 * the same for every gateway of one build, so the first page opened after a start need not wait
 * seconds for elkjs. The file carries the SHA-256 of the graph it was laid out from; a graph that
 * differs (another build, a stand-in) or a missing or damaged file means laying it out at run time.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MachineGraph } from '../supervisor/control-backend.js';
import type { MachineLayout } from './machine-layout.js';

/** dist/web/machine-layout.json beside the compiled module (absent when run from src/). */
export const PREBUILT_LAYOUT_FILE = join(dirname(fileURLToPath(import.meta.url)), 'machine-layout.json');

export interface PrebuiltLayout {
  key: string;
  layout: MachineLayout;
}

export function layoutKey(graph: MachineGraph): string {
  return createHash('sha256').update(JSON.stringify(graph)).digest('hex');
}

/** The prebuilt layout of exactly this graph, or undefined. */
export function readPrebuiltLayout(graph: MachineGraph, file: string = PREBUILT_LAYOUT_FILE): MachineLayout | undefined {
  let stored: Partial<PrebuiltLayout>;
  try {
    stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<PrebuiltLayout>;
  } catch {
    return undefined;
  }
  if (stored.key !== layoutKey(graph) || typeof stored.layout !== 'object' || stored.layout === null) return undefined;
  return stored.layout;
}

#!/usr/bin/env -S node --max-semi-space-size=16
// The version check comes first and imports nothing else: on an unsupported Node the gateway
// says so in one line and exits 2 before any of it is loaded.
import { isSupportedNode, unsupportedNodeMessage, UNSUPPORTED_NODE_EXIT_CODE } from '../dist/util/node-support.js';

if (!isSupportedNode(process.version)) {
  console.error(unsupportedNodeMessage(process.version));
  process.exit(UNSUPPORTED_NODE_EXIT_CODE);
}

const { main } = await import('../dist/cli/main.js');
main(process.argv.slice(2)).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  },
);

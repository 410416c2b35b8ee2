#!/usr/bin/env node
// Same Node check as the gateway: node:sqlite needs Node 22.13+.
import { isSupportedNode, unsupportedNodeMessage, UNSUPPORTED_NODE_EXIT_CODE } from '../dist/util/node-support.js';

if (!isSupportedNode(process.version)) {
  console.error(unsupportedNodeMessage(process.version).replace('imessage-gateway', 'imsg-sim'));
  process.exit(UNSUPPORTED_NODE_EXIT_CODE);
}

const { main } = await import('../dist/sim/cli.js');
main(process.argv.slice(2)).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err) => {
    process.stdout.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);

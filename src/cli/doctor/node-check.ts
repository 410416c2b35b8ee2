/** The doctor's first line: the Node.js running the gateway, and whether it is a supported one. */
import { isSupportedNode, SUPPORTED_NODE } from '../../util/node-support.js';
import { sqliteVersion } from '../../util/runtime-versions.js';
import type { DoctorCheck } from './types.js';

export function checkNode(version: string): DoctorCheck {
  if (isSupportedNode(version)) {
    return { check: 'node', ok: true, detail: `Node.js ${version} (SQLite ${sqliteVersion()}); supported: ${SUPPORTED_NODE}` };
  }
  return {
    check: 'node',
    ok: false,
    finding: 'node-unsupported',
    detail: `Node.js ${version} is not supported (supported: ${SUPPORTED_NODE})`,
    fix: `Install Node.js ${SUPPORTED_NODE} and point the service at it (\`imessage-gateway service install\` records the node it runs with).`,
  };
}

/**
 * The Node.js lines this gateway supports: 22 from 22.13 (node:sqlite without a flag), 24 and 26
 * (the LTS lines of today). Kept free of imports so that `bin/` can load it on any Node, even an
 * unsupported one, and refuse with one clear line before anything else is loaded.
 */

export const SUPPORTED_NODE = '22.13+, 24 or 26';

/** The range in package.json `engines.node` (a test keeps the two in step). */
export const SUPPORTED_NODE_RANGE = '^22.13.0 || ^24.0.0 || ^26.0.0';

/** Exit code of a start on an unsupported Node (2: the environment is wrong, not the run). */
export const UNSUPPORTED_NODE_EXIT_CODE = 2;

export function isSupportedNode(version: string): boolean {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m) return false;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  if (major === 22) return minor >= 13;
  return major === 24 || major === 26;
}

/** The one line printed when the running Node is not supported. */
export function unsupportedNodeMessage(version: string): string {
  return (
    `imessage-gateway needs Node.js ${SUPPORTED_NODE}; this is Node.js ${version.replace(/^v?/, 'v')}. ` +
    `Install a supported Node (for example the current LTS) and run it again.`
  );
}

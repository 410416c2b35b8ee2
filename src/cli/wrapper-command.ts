/**
 * `imessage-gateway wrapper ssh --host HOST [--user USER] [--imsg PATH]`: prints an SSH wrapper
 * for cliPath, as in the spec's "Dedicated bot macOS user" section, hardened: BatchMode (never a
 * prompt), ConnectTimeout, keep-alives so a dead link is noticed, -T (no pty), and every argument
 * quoted for the remote login shell (ssh joins its arguments into one command line there).
 *
 * The script goes to stdout (so `> file` captures only it); how to install it goes to stderr.
 * Exit 0, or 2 for invalid input.
 */

export interface WrapperOptions {
  kind: string;
  host?: string;
  user?: string;
  imsg?: string;
}

type Out = (line: string) => void;

/**
 * Homebrew's prefix on Apple silicon. A non-interactive SSH session has a short PATH without
 * Homebrew, so the path must be absolute; Intel Macs use /usr/local/bin/imsg (pass --imsg).
 */
export const DEFAULT_REMOTE_IMSG = '/opt/homebrew/bin/imsg';

const HOST = /^[A-Za-z0-9._:%-]+$/;
const USER = /^[A-Za-z0-9._][A-Za-z0-9._-]*$/;
const IMSG_PATH = /^\/[A-Za-z0-9._+@/-]*$/;

const defaultErr: Out = (line) => process.stderr.write(`${line}\n`);

export function validateWrapperOptions(opts: WrapperOptions): string | undefined {
  if (opts.kind !== 'ssh') return `unknown wrapper kind ${JSON.stringify(opts.kind)}: only \`wrapper ssh\` exists`;
  const host = opts.host;
  if (host === undefined || host === '') return '--host HOST is required (the Mac to run imsg on; localhost for another user on this Mac)';
  if (host.startsWith('-')) return `--host must not start with "-" (${JSON.stringify(host)}); put SSH options in ~/.ssh/config`;
  if (host.length > 253 || !HOST.test(host)) {
    return `--host ${JSON.stringify(host)} is not a host name or address: use letters, digits, ".", "-", ":" only (no spaces, no "@": use --user)`;
  }
  if (opts.user !== undefined) {
    if (opts.user.startsWith('-')) return `--user must not start with "-" (${JSON.stringify(opts.user)})`;
    if (opts.user === '' || opts.user.length > 64 || !USER.test(opts.user)) {
      return `--user ${JSON.stringify(opts.user)} is not a user name: use letters, digits, ".", "_", "-" only`;
    }
  }
  const imsg = opts.imsg ?? DEFAULT_REMOTE_IMSG;
  if (!imsg.startsWith('/')) return `--imsg must be an absolute path on the remote side (${JSON.stringify(imsg)}); an SSH session has a short PATH`;
  if (!IMSG_PATH.test(imsg) || imsg.split('/').includes('..')) {
    return `--imsg ${JSON.stringify(imsg)} may contain only letters, digits and "/._+@-" (no spaces, quotes or shell metacharacters, no "..")`;
  }
  return undefined;
}

export function renderSshWrapper(opts: WrapperOptions): string {
  const destination = opts.user !== undefined ? `${opts.user}@${opts.host}` : opts.host!;
  const imsg = opts.imsg ?? DEFAULT_REMOTE_IMSG;
  const lines = [
    '#!/usr/bin/env bash',
    `# imsg over SSH on ${destination}: written by \`imessage-gateway wrapper ssh\`. Use it as cliPath.`,
    'set -euo pipefail',
    '# Run an interactive SSH once first to accept the host key (BatchMode cannot ask):',
    `#   ssh ${destination} true`,
    '# ssh joins its arguments into one command line for the remote login shell: quote each one.',
    'args=()',
    'for arg in "$@"; do args+=("$(printf \'%q\' "$arg")"); done',
    `exec /usr/bin/ssh -o BatchMode=yes -o ConnectTimeout=5 -o ServerAliveInterval=15 -o ServerAliveCountMax=3 -T ${destination} ${imsg} \${args[@]+"\${args[@]}"}`,
  ];
  return `${lines.join('\n')}\n`;
}

export function wrapperCommand(opts: WrapperOptions, out: Out, err: Out = defaultErr): number {
  const problem = validateWrapperOptions(opts);
  if (problem) {
    err(`wrapper: ${problem}`);
    err('usage: imessage-gateway wrapper ssh --host HOST [--user USER] [--imsg PATH] > ~/bin/imsg-wrapper');
    return 2;
  }
  for (const line of renderSshWrapper(opts).replace(/\n$/, '').split('\n')) out(line);
  const destination = opts.user !== undefined ? `${opts.user}@${opts.host}` : opts.host!;
  const name = opts.user !== undefined ? `imsg-${opts.user}` : 'imsg-remote';
  const dbHint = opts.user !== undefined ? `/Users/${opts.user}/Library/Messages/chat.db` : undefined;
  [
    'To install it:',
    `  imessage-gateway wrapper ssh ${reconstruct(opts)} > ~/bin/${name} && chmod +x ~/bin/${name}`,
    `  ssh ${destination} true        # once, interactively: accept the host key, check that key login works`,
    `  then in the config: imessage.accounts.<id>.cliPath: "~/bin/${name}"` +
      (dbHint ? `, dbPath: "${dbHint}"` : '') +
      `, remoteHost: "${destination}"`,
    `  and check it: imessage-gateway doctor --account <id>`,
    `First run: log into ${opts.user !== undefined ? `the ${opts.user} user's` : 'the remote'} GUI session (Screen Sharing), run \`imsg chats --limit 1\` and approve the Full Disk Access / Automation prompts there.`,
  ].forEach((line) => err(line));
  return 0;
}

function reconstruct(opts: WrapperOptions): string {
  return [`--host ${opts.host}`, ...(opts.user !== undefined ? [`--user ${opts.user}`] : []), ...(opts.imsg !== undefined ? [`--imsg ${opts.imsg}`] : [])].join(' ');
}

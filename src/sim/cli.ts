import { ArgError } from './args.js';
import { chatsCommand, historyCommand } from './cli-read.js';
import { initCommand, injectCommand, snapshotCommand, swapCommand } from './cli-inject.js';
import { rpcCommand } from './rpc-command.js';
import { DEFAULT_PROFILE, PROFILE_ENV, profileNamed, profileVersion } from './profile.js';

const HELP = `imsg-sim: a Linux simulator of \`imsg rpc\` (see docs/imsg-sim.md)

Commands:
  rpc      --db PATH [--profile 0.9|0.15] [-v] [-j] [--log-level X] [fault switches]
  init     --db PATH
  inject   --db PATH --from HANDLE --text TEXT [--chat-guid G | --group NAME --participants A,B]
           [--attachment FILE] [--date ISO] [--from-me] [--reaction KIND --target-guid G] [--reply-to G]
  snapshot --db PATH --to FILE        (a consistent copy, to restore later)
  swap     --db PATH --with FILE      (FILE replaces the database: a new inode, old -wal/-shm moved aside)
  chats    --db PATH [--limit N] [--json]
  history  --db PATH --chat-id N [--limit N] [--participants A,B] [--start ISO] [--end ISO] [--attachments] [--json]
`;

/** Entry point used by bin/imsg-sim.js. Errors are plain text on stdout with exit code 1. */
export async function main(argv: string[]): Promise<number | void> {
  if (argv.includes('--version') || argv.includes('-V')) {
    // IMSG_SIM_PROFILE picks the version (an unknown name: the default profile's; no usage error here).
    const fallback = profileVersion(profileNamed(process.env[PROFILE_ENV]) ?? DEFAULT_PROFILE);
    process.stdout.write(`${process.env['IMSG_VERSION'] || fallback}\n`);
    return 0;
  }
  const [command, ...rest] = argv;
  if (!command || command === 'help' || argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(HELP);
    return 0;
  }
  try {
    switch (command) {
      case 'rpc':
        return await rpcCommand(rest);
      case 'init':
        return initCommand(rest);
      case 'inject':
        return injectCommand(rest);
      case 'snapshot':
        return snapshotCommand(rest);
      case 'swap':
        return swapCommand(rest);
      case 'chats':
        return chatsCommand(rest);
      case 'history':
        return historyCommand(rest);
      default:
        process.stdout.write(`Unknown command: ${command}\n${HELP}`);
        return 1;
    }
  } catch (err) {
    process.stdout.write(`${err instanceof ArgError || err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

import { ArgError, parseArgs, str, type OptionSpec } from './args.js';
import {
  activePermissionForm,
  appendSpawnLog,
  FAULT_OPTION_SPECS,
  resolveFaults,
  type FaultConfig,
} from './faults.js';
import { DEFAULT_ME } from './inject.js';
import { Output } from './output.js';
import { DEFAULT_DB_PATH, expandTilde } from './paths.js';
import { permissionBanner, permissionDump } from './permission-banner.js';
import { PROFILE_ENV, PROFILE_SPEC, resolveProfile, type Profile } from './profile.js';
import { ReadStore } from './queries.js';
import { RpcServer } from './rpc-server.js';
import { runStartupErrorServer } from './startup-error.js';
import { isNonDatabaseFile, runNotADatabaseServer } from './not-a-db.js';
import { V1Server } from './v1-server.js';

export const RUNTIME_SPECS: OptionSpec[] = [
  { name: 'verbose', short: 'v', takesValue: false },
  { name: 'json', short: 'j', aliases: ['json-output', 'jsonOutput'], takesValue: false },
  { name: 'log-level', takesValue: true },
];

const RPC_SPECS: OptionSpec[] = [
  { name: 'db', takesValue: true },
  { name: 'me', takesValue: true },
  PROFILE_SPEC,
  ...RUNTIME_SPECS,
  ...FAULT_OPTION_SPECS,
];

function forceExitLater(code: number): void {
  // Everything is closed by now; this only guards against a stray handle keeping us alive.
  setTimeout(() => process.exit(code), 100).unref();
}

/** The profile asked for, read before full parsing so a usage error goes to the right stream. */
function earlyProfile(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const t = argv[i]!;
    if (t === '--profile') return argv[i + 1];
    if (t.startsWith('--profile=')) return t.slice('--profile='.length);
  }
  return process.env[PROFILE_ENV];
}

/** `imsg-sim rpc`: returns the process exit code. */
export async function rpcCommand(argv: string[]): Promise<number> {
  let faults: FaultConfig;
  let dbArg: string | undefined;
  let me: string;
  let profile: Profile;
  const early = earlyProfile(argv);
  // 0.15.1+: CLI usage errors go to stderr; 0.9 printed them on stdout.
  const usageStream = early === '0.15' || early === '0.15.10' || early === 'current' ? process.stderr : process.stdout;
  try {
    const args = parseArgs(argv, RPC_SPECS);
    if (args.positionals.length > 0) throw new ArgError(`Unknown argument: ${args.positionals[0]}`);
    profile = resolveProfile(args, process.env);
    faults = resolveFaults(args, process.env);
    dbArg = str(args, 'db');
    me = str(args, 'me') ?? process.env['IMSG_SIM_ME'] ?? DEFAULT_ME;
  } catch (err) {
    if (err instanceof ArgError) {
      usageStream.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
  if (faults.spawnLog) appendSpawnLog(faults.spawnLog, process.argv.slice(2));
  if (faults.ignoreSigterm) process.on('SIGTERM', () => undefined);
  if (faults.exitAfterNotifications === 0) return 1;
  process.stdout.on('error', () => process.exit(1));

  const dbPath = expandTilde(dbArg ?? DEFAULT_DB_PATH);
  const output = new Output({
    garbageEvery: faults.garbageEvery,
    exitAfterNotifications: faults.exitAfterNotifications,
  });
  output.startupGarbage();

  if (profile === '0.15') {
    // 0.14+: no startup banner and no startup-error server; the DB is opened on demand.
    const v1 = new V1Server({ dbPath, output, faults, input: process.stdin, me });
    const code = await v1.run();
    forceExitLater(code);
    return code;
  }

  const form = activePermissionForm(faults);
  if (form === 'text') {
    process.stdout.write(`${permissionBanner(dbPath)}\n`);
    return 1;
  }
  if (form === 'dump') {
    process.stdout.write(`${permissionDump(dbPath)}\n`);
    return 1;
  }
  if (faults.contactsStallMs > 0) {
    // imsg 0.6-0.13 under launchd: the Contacts permission prompt blocks start-up (stdin unread).
    await new Promise((r) => setTimeout(r, faults.contactsStallMs));
  }
  let store: ReadStore | null = null;
  if (form === null) {
    try {
      store = new ReadStore(dbPath);
    } catch {
      store = null;
    }
  }
  if (!store && form === null && isNonDatabaseFile(dbPath)) {
    const code = await runNotADatabaseServer(process.stdin, output);
    forceExitLater(code);
    return code;
  }
  if (!store) {
    const code = await runStartupErrorServer(dbPath, process.stdin, output);
    forceExitLater(code);
    return code;
  }
  const server = new RpcServer({ dbPath, store, output, faults, input: process.stdin, me });
  const code = await server.run();
  store.close();
  forceExitLater(code);
  return code;
}

/** The `imessage-gateway` command line. */
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/index.js';
import { TargetError } from '../routing/targets.js';
import { StoreError } from '../store/index.js';
import { StateStoreMissingError } from '../store/store-marker.js';
import { GatewayLockedError } from '../supervisor/gateway-lock.js';
import { exitQuietlyWhenStdoutCloses } from '../util/guarded-output.js';
import { errorText } from '../util/typed-error.js';
import { configCheckCommand } from './config-check-command.js';
import { ChatsUsageError, chatsCommand } from './chats-command.js';
import { deliveryCommand } from './delivery-command.js';
import { doctorCommand } from './doctor-command.js';
import { EXIT_GATEWAY_LOCKED, EXIT_STATE_STORE_MISSING } from './exit-codes.js';
import { pairingCommand } from './pairing-command.js';
import { quarantineCommand, QuarantineUsageError } from './quarantine-command.js';
import { whyCommand, WhyUsageError } from './why-command.js';
import { reloadCommand } from './reload-command.js';
import { serviceCommand } from './service-command.js';
import { wrapperCommand } from './wrapper-command.js';
import { sendCommand, SendUsageError } from './send-command.js';
import { parsePort, startCommand, StartUsageError } from './start-command.js';
import { statusCommand, StatusUsageError } from './status-command.js';
import { asksForHelp, commandUsage, findCommand, USAGE, unknownCommandText } from './usage.js';

const out = (line: string) => process.stdout.write(`${line}\n`);

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // The gateway (start, demo) guards its own stdout and stops in order when it closes.
  if (command !== 'start' && command !== 'demo') exitQuietlyWhenStdoutCloses();
  if (command !== undefined && command !== 'help' && findCommand(command) && asksForHelp(rest)) {
    out(commandUsage(command));
    return 0;
  }
  try {
    switch (command) {
      case 'start': {
        const { values } = parseArgs({
          args: rest,
          options: { config: { type: 'string' }, demo: { type: 'boolean' }, 'reset-state': { type: 'boolean' }, port: { type: 'string' } },
        });
        return await startCommand({
          ...(values.config ? { config: values.config } : {}),
          demo: values.demo === true,
          resetState: values['reset-state'] === true,
          ...(values.port !== undefined ? { port: parsePort(values.port) } : {}),
        });
      }
      case 'demo': {
        const { values } = parseArgs({ args: rest, options: { port: { type: 'string' } } });
        return await startCommand({ demo: true, ...(values.port !== undefined ? { port: parsePort(values.port) } : {}) });
      }
      case 'status': {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: { json: { type: 'boolean' }, message: { type: 'string' } },
        });
        if (positionals.length > 1) throw new UsageError(`status takes at most one account (got ${positionals.join(' ')})`);
        return await statusCommand(
          {
            json: values.json === true,
            ...(positionals[0] !== undefined ? { account: positionals[0] } : {}),
            ...(values.message !== undefined ? { message: values.message } : {}),
          },
          out,
        );
      }
      case 'send': {
        const { values } = parseArgs({
          args: rest,
          options: {
            account: { type: 'string' },
            to: { type: 'string' },
            text: { type: 'string' },
            config: { type: 'string' },
            'idempotency-key': { type: 'string' },
            json: { type: 'boolean' },
            file: { type: 'string' },
          },
        });
        return await sendCommand(
          {
            ...(values.account !== undefined ? { account: values.account } : {}),
            ...(values.to !== undefined ? { to: values.to } : {}),
            ...(values.text !== undefined ? { text: values.text } : {}),
            ...(values.config !== undefined ? { config: values.config } : {}),
            ...(values['idempotency-key'] !== undefined ? { idempotencyKey: values['idempotency-key'] } : {}),
            ...(values.file !== undefined ? { file: values.file } : {}),
            json: values.json === true,
          },
          out,
        );
      }
      case 'doctor': {
        const { values } = parseArgs({
          args: rest,
          options: { account: { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean' }, fix: { type: 'boolean' } },
        });
        return await doctorCommand(
          {
            ...(values.account !== undefined ? { account: values.account } : {}),
            ...(values.config !== undefined ? { config: values.config } : {}),
            json: values.json === true,
            fix: values.fix === true,
          },
          out,
        );
      }
      case 'service': {
        const [action, ...more] = rest;
        if (action !== 'install' && action !== 'uninstall' && action !== 'status') {
          throw new UsageError(`service needs install, uninstall or status (got ${JSON.stringify(action ?? '')})`);
        }
        const { values } = parseArgs({ args: more, options: { 'dry-run': { type: 'boolean' }, config: { type: 'string' } } });
        return serviceCommand(
          { action, dryRun: values['dry-run'] === true, ...(values.config !== undefined ? { config: values.config } : {}) },
          out,
        );
      }
      case 'wrapper': {
        const [kind, ...more] = rest;
        const { values } = parseArgs({
          args: more,
          options: { host: { type: 'string' }, user: { type: 'string' }, imsg: { type: 'string' } },
        });
        return wrapperCommand(
          {
            kind: kind ?? '',
            ...(values.host !== undefined ? { host: values.host } : {}),
            ...(values.user !== undefined ? { user: values.user } : {}),
            ...(values.imsg !== undefined ? { imsg: values.imsg } : {}),
          },
          out,
        );
      }
      case 'chats': {
        const { values } = parseArgs({
          args: rest,
          options: { account: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' }, config: { type: 'string' } },
        });
        return await chatsCommand(
          {
            ...(values.account !== undefined ? { account: values.account } : {}),
            ...(values.limit !== undefined ? { limit: values.limit } : {}),
            ...(values.config !== undefined ? { config: values.config } : {}),
            json: values.json === true,
          },
          out,
        );
      }
      case 'pairing':
        return await pairingCommand(rest, out);
      case 'quarantine':
        return await quarantineCommand(rest, out, (line) => void process.stderr.write(`${line}\n`));
      case 'why':
        return await whyCommand(rest, out, (line) => void process.stderr.write(`${line}\n`));
      case 'delivery':
        return await deliveryCommand(rest, out);
      case 'reload':
        parseArgs({ args: rest, options: {} });
        return await reloadCommand(out, (line) => void process.stderr.write(`${line}\n`));
      case 'config': {
        const [sub, ...more] = rest;
        if (sub !== 'check') throw new UsageError(`unknown config subcommand ${JSON.stringify(sub ?? '')}; try \`config check\``);
        const { values } = parseArgs({ args: more, options: { config: { type: 'string' } } });
        return configCheckCommand(values.config, out);
      }
      case '--version':
      case '-V':
      case 'version':
        out(await version());
        return 0;
      case 'help': {
        const [topic] = rest;
        if (topic === undefined) {
          out(USAGE);
          return 0;
        }
        if (!findCommand(topic)) throw new UsageError(unknownCommandText(topic), false);
        out(commandUsage(topic));
        return 0;
      }
      case undefined:
      case '--help':
      case '-h':
        out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(unknownCommandText(command), false);
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`invalid config:\n${errorText(err, 'lines')}\n`);
      return 1;
    }
    if (err instanceof GatewayLockedError) {
      process.stderr.write(`${errorText(err, 'lines')}\n`);
      return EXIT_GATEWAY_LOCKED;
    }
    if (err instanceof StateStoreMissingError) {
      process.stderr.write(`${errorText(err, 'lines')}\n`);
      return EXIT_STATE_STORE_MISSING;
    }
    if (err instanceof StoreError) {
      process.stderr.write(`${errorText(err, 'lines')}\n`);
      return 1;
    }
    if (err instanceof TargetError || err instanceof SendUsageError || err instanceof ChatsUsageError || err instanceof QuarantineUsageError || err instanceof WhyUsageError || err instanceof StatusUsageError || err instanceof StartUsageError) {
      process.stderr.write(`${errorText(err, 'lines')}\n`);
      return 2;
    }
    if (err instanceof UsageError && !err.showUsage) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      const usage = command !== undefined && findCommand(command) ? commandUsage(command) : USAGE;
      process.stderr.write(`${(err as Error).message}\n\n${usage}\n`);
      return 2;
    }
    process.stderr.write(`${errorText(err, 'lines')}\n`);
    return 1;
  }
}

class UsageError extends Error {
  constructor(
    message: string,
    /** Whether the command's usage follows the message (not for an unknown command: the hint is enough). */
    readonly showUsage = true,
  ) {
    super(message);
  }
}

async function version(): Promise<string> {
  const { readFileSync } = await import('node:fs');
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

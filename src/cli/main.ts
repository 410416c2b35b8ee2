/** The `imessage-gateway` command line. */
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/index.js';
import { TargetError } from '../routing/targets.js';
import { StoreError } from '../store/index.js';
import { StateStoreMissingError } from '../store/store-marker.js';
import { GatewayLockedError } from '../supervisor/gateway-lock.js';
import { errorText } from '../util/typed-error.js';
import { configCheckCommand } from './config-check-command.js';
import { ChatsUsageError, chatsCommand } from './chats-command.js';
import { deliveryCommand } from './delivery-command.js';
import { doctorCommand } from './doctor-command.js';
import { EXIT_GATEWAY_LOCKED, EXIT_STATE_STORE_MISSING } from './exit-codes.js';
import { pairingCommand } from './pairing-command.js';
import { quarantineCommand, QuarantineUsageError } from './quarantine-command.js';
import { reloadCommand } from './reload-command.js';
import { serviceCommand } from './service-command.js';
import { wrapperCommand } from './wrapper-command.js';
import { sendCommand, SendUsageError } from './send-command.js';
import { startCommand } from './start-command.js';
import { statusCommand } from './status-command.js';
import { USAGE } from './usage.js';

const out = (line: string) => process.stdout.write(`${line}\n`);

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'start': {
        const { values } = parseArgs({
          args: rest,
          options: { config: { type: 'string' }, demo: { type: 'boolean' }, 'reset-state': { type: 'boolean' } },
        });
        return await startCommand({
          ...(values.config ? { config: values.config } : {}),
          demo: values.demo === true,
          resetState: values['reset-state'] === true,
        });
      }
      case 'demo':
        parseArgs({ args: rest, options: {} });
        return await startCommand({ demo: true });
      case 'status': {
        const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean' } } });
        return await statusCommand(values.json === true, out);
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
          options: { account: { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean' } },
        });
        return await doctorCommand(
          {
            ...(values.account !== undefined ? { account: values.account } : {}),
            ...(values.config !== undefined ? { config: values.config } : {}),
            json: values.json === true,
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
        return quarantineCommand(rest, out);
      case 'delivery':
        return await deliveryCommand(rest, out);
      case 'reload':
        parseArgs({ args: rest, options: {} });
        return await reloadCommand(out);
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
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
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
    if (err instanceof TargetError || err instanceof SendUsageError || err instanceof ChatsUsageError || err instanceof QuarantineUsageError) {
      process.stderr.write(`${errorText(err, 'lines')}\n`);
      return 2;
    }
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
      return 2;
    }
    process.stderr.write(`${errorText(err, 'lines')}\n`);
    return 1;
  }
}

class UsageError extends Error {}

async function version(): Promise<string> {
  const { readFileSync } = await import('node:fs');
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

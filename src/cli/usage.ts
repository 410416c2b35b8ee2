export const USAGE = `imessage-gateway: supervise iMessage accounts driven by \`imsg rpc\`

Usage:
  imessage-gateway start [--config FILE] [--demo] [--reset-state]
                                                    run the gateway (--demo: the embedded demo when no --config;
                                                    --reset-state: accept a missing or empty state.db in a home
                                                    that held one, starting a fresh store; exit 78 without it,
                                                    69 when another gateway runs with this home)
  imessage-gateway demo                             run the embedded demo (simulated accounts)
  imessage-gateway status [--json]                  each account's state and health, last error, restarts, next retry
                                                    (exit 0: running and healthy, 4: running, an account degraded or
                                                    sends overdue, unknown or dead-lettered, 3: not running)
  imessage-gateway send --account ID --to TARGET [--text TEXT] [--file PATH] [--idempotency-key K] [--json]
                                                    queue a message in the outbox (sent now or at next start)
  imessage-gateway chats [--account ID] [--limit 20] [--json]
                                                    an account's chats and their chat_id (through its imsg)
  imessage-gateway pairing list [imessage] [--account ID] [--json]
  imessage-gateway pairing approve [imessage] CODE [--account ID] [--notify]
                                                    see and approve unknown senders (dmPolicy "pairing")
  imessage-gateway quarantine list [--account ID] [--limit 50] [--payload] [--json]
                                                    inbound messages set aside (invalid, unjournallable, implausible row id)
  imessage-gateway delivery list [--account ID] [--limit 50] [--json]
  imessage-gateway delivery retry ID [--force] [--json]
  imessage-gateway delivery purge ID... [--force] | --older-than DURATION [--account ID] [--json]
                                                    dead letters: failed or unknown sends, failed agent turns
                                                    (retry of an unknown send needs --force; exit 1 when refused)
  imessage-gateway config check [--config FILE]     validate a config without starting anything
  imessage-gateway reload                           re-read the running gateway's config (or send it SIGHUP);
                                                    only accounts whose settings changed restart
  imessage-gateway doctor [--account ID] [--config FILE] [--json]
                                                    check binaries, permissions, SSH, the home and the config
  imessage-gateway service install|uninstall|status [--dry-run] [--config FILE]
                                                    LaunchAgent (macOS) or systemd user unit (Linux)
  imessage-gateway wrapper ssh --host HOST [--user USER] [--imsg PATH]
                                                    print an SSH wrapper script to use as cliPath
  imessage-gateway help | --version

Targets: chat_id:123, chat_guid:…, chat_identifier:…, imessage:+1555…, sms:+1555…, +1555…, user@example.com
Home: $IMESSAGE_GATEWAY_HOME, default ~/.imessage-gateway (config.json5, state.db, status, lock).
Docs: README.md and docs/ in the project.`;

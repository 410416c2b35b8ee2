export const USAGE = `imessage-gateway: supervise iMessage accounts driven by \`imsg rpc\`

Usage:
  imessage-gateway start [--config FILE] [--demo]   run the gateway (--demo: the embedded demo when no --config)
  imessage-gateway demo                             run the embedded demo (simulated accounts)
  imessage-gateway status [--json]                  each account's state, last error, restarts, next retry
  imessage-gateway config check [--config FILE]     validate a config without starting anything
  imessage-gateway help | --version

Home: $IMESSAGE_GATEWAY_HOME, default ~/.imessage-gateway (config.json5, status, lock).
Docs: README.md and docs/ in the project.`;

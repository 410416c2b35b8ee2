/** The configuration module: JSON5 loading, zod validation, account and agent resolution. */
export type {
  AccountConfig,
  AgentConfig,
  AgentHandlerConfig,
  BindingConfig,
  DmPolicy,
  DmScope,
  GatewayConfig,
  GroupConfig,
  GroupPolicy,
  IMessageService,
  LogLevel,
  MessagesConfig,
  QueueConfig,
  QueueMode,
  SupervisionConfig,
} from './types.js';
export { ConfigError, formatPath, type ConfigIssue } from './errors.js';
export { CONFIG_FILE_NAME, HOME_ENV, defaultConfigPath, expandHome, resolveHome } from './paths.js';
export { loadConfigFile, parseConfig } from './load.js';
export { validateConfigObject, type ConfigOptions } from './validate.js';
export {
  ACCOUNT_DEFAULTS,
  COLLECT_WINDOW_RANGE,
  DEFAULT_AGENT_TIMEOUT_MS,
  DEFAULT_DM_SCOPE,
  DEFAULT_QUEUE,
  DM_SCOPES,
  DEFAULT_LOG_LEVEL,
  DEFAULT_SUPERVISION,
  QUEUE_MODES,
} from './defaults.js';
export { isSafeExecutableValue, unsafeExecutableReason } from './safe-executable.js';
export { compileMentionPatterns } from './mention-patterns.js';
export { parseDuration } from './duration.js';

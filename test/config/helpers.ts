import { expect } from 'vitest';
import { ConfigError, parseConfig, validateConfigObject, type ConfigIssue, type GatewayConfig } from '../../src/config/index.js';

export const HOME = '/Users/tester';
export const ECHO_AGENTS = { list: [{ id: 'main', handler: { type: 'echo' } }] };

/** Validate a programmatic config (agents default to one echo agent so tests focus on one thing). */
export function valid(raw: Record<string, unknown>): GatewayConfig {
  return validateConfigObject({ agents: ECHO_AGENTS, ...raw }, 'test.json5', { homeDir: HOME });
}

export function issuesOf(fn: () => unknown): ConfigIssue[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  throw new Error('expected a ConfigError, but the config was accepted');
}

export function invalid(raw: Record<string, unknown>): ConfigIssue[] {
  return issuesOf(() => valid(raw));
}

export function invalidText(text: string): ConfigIssue[] {
  return issuesOf(() => parseConfig(text, 'config.json5', { homeDir: HOME }));
}

export function issueAt(issues: ConfigIssue[], path: string): ConfigIssue {
  const found = issues.find((i) => i.path === path);
  if (!found) throw new Error(`no issue at ${path}; got:\n${issues.map((i) => `${i.path}: ${i.message}`).join('\n')}`);
  return found;
}

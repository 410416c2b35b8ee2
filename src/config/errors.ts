/** ConfigIssue / ConfigError and the single formatter for key paths and error lines. */
import type { TypedError } from '../util/typed-error.js';

export interface ConfigIssue {
  /** Dotted key path, e.g. "imessage.accounts.bot.dmPolicy"; "" for the whole file or a syntax error. */
  path: string;
  message: string;
  line?: number;
  column?: number;
}

export type PathSegment = string | number;

const PLAIN_KEY = /^[A-Za-z0-9_$-]+$/;

/** ["agents","list",0,"id"] → "agents.list[0].id"; odd keys are quoted: imessage.groups["a b"]. */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const seg of segments) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (PLAIN_KEY.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

export function formatIssue(source: string, issue: ConfigIssue): string {
  if (issue.line !== undefined) {
    return `${source}:${issue.line}:${issue.column ?? 1}: ${issue.message}`;
  }
  return issue.path === '' ? `${source}: ${issue.message}` : `${source}: ${issue.path}: ${issue.message}`;
}

/**
 * Thrown by every loader entry point when the configuration is unusable. It always carries every
 * issue found (never just the first), so one edit-and-retry round fixes the whole file.
 */
export class ConfigError extends Error implements TypedError {
  readonly kind = 'config';
  /** A config that does not load is never retried: start (or reload) refuses it until it is fixed. */
  readonly recovery = 'fatal';
  readonly source: string;
  readonly issues: ConfigIssue[];

  constructor(source: string, issues: ConfigIssue[]) {
    super(issues.map((issue) => formatIssue(source, issue)).join('\n'));
    this.name = 'ConfigError';
    this.source = source;
    this.issues = issues;
  }

  get remediation(): string {
    return (
      `edit ${this.source} to fix each problem listed, then start again; a running gateway keeps the ` +
      `config it has until \`imessage-gateway reload\` loads the fixed file.`
    );
  }
}

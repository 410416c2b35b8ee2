/** `gateway.*`: the gateway's own settings (log level, supervision timings). */
import { DEFAULT_DELIVERY, DEFAULT_HTTP, DEFAULT_INSPECTOR, DEFAULT_LOG_LEVEL, DEFAULT_SUPERVISION } from './defaults.js';
import type { ConfigIssue } from './errors.js';
import { parseDuration } from './duration.js';
import { recordAt } from './raw.js';
import type { RawGateway, RawSupervision } from './schema.js';
import type { GatewayConfig, SupervisionConfig } from './types.js';

export function resolveSupervision(raw: RawSupervision | undefined): SupervisionConfig {
  const s = raw ?? {};
  const d = DEFAULT_SUPERVISION;
  return {
    backoffInitialMs: s.backoffInitialMs ?? d.backoffInitialMs,
    backoffMaxMs: s.backoffMaxMs ?? d.backoffMaxMs,
    restartIntensity: {
      maxRestarts: s.restartIntensity?.maxRestarts ?? d.restartIntensity.maxRestarts,
      windowMs: s.restartIntensity?.windowMs ?? d.restartIntensity.windowMs,
    },
    coolDownMs: s.coolDownMs ?? d.coolDownMs,
    permissionReprobeMs: s.permissionReprobeMs ?? d.permissionReprobeMs,
    livenessIntervalMs: s.livenessIntervalMs ?? d.livenessIntervalMs,
    probeTimeoutMs: s.probeTimeoutMs ?? d.probeTimeoutMs,
    readTimeoutMs: s.readTimeoutMs ?? s.requestTimeoutMs ?? d.readTimeoutMs,
    mutationTimeoutMs: s.mutationTimeoutMs ?? s.sendTimeoutMs ?? d.mutationTimeoutMs,
    trackedSendWaitMs: s.trackedSendWaitMs ?? d.trackedSendWaitMs,
    stableAfterMs: s.stableAfterMs ?? d.stableAfterMs,
    stopTimeoutMs: s.stopTimeoutMs ?? d.stopTimeoutMs,
  };
}

export function resolveHttp(raw: RawGateway['http']): GatewayConfig['gateway']['http'] {
  const h = raw ?? {};
  const d = DEFAULT_HTTP;
  return {
    enabled: h.enabled ?? d.enabled,
    port: h.port ?? d.port,
    maxConnections: h.maxConnections ?? d.maxConnections,
    headersTimeoutMs: h.headersTimeoutMs ?? d.headersTimeoutMs,
    requestTimeoutMs: h.requestTimeoutMs ?? d.requestTimeoutMs,
    keepAliveTimeoutMs: h.keepAliveTimeoutMs ?? d.keepAliveTimeoutMs,
    idleTimeoutMs: h.idleTimeoutMs ?? d.idleTimeoutMs,
  };
}

export function resolveGateway(raw: RawGateway | undefined): GatewayConfig['gateway'] {
  return {
    logLevel: raw?.logLevel ?? DEFAULT_LOG_LEVEL,
    supervision: resolveSupervision(raw?.supervision),
    http: resolveHttp(raw?.http),
    inspector: {
      enabled: raw?.inspector?.enabled ?? DEFAULT_INSPECTOR.enabled,
      port: raw?.inspector?.port ?? DEFAULT_INSPECTOR.port,
    },
    dashboard: { showMessageText: raw?.dashboard?.showMessageText ?? false },
    delivery: {
      deadLetterRetentionMs: durationMs(raw?.delivery?.deadLetterRetention) ?? DEFAULT_DELIVERY.deadLetterRetentionMs,
      overdueAfterMs: durationMs(raw?.delivery?.overdueAfter) ?? DEFAULT_DELIVERY.overdueAfterMs,
    },
  };
}

/** Cross-key checks: the first backoff delay cannot exceed the cap; headers come before the whole request. */
export function checkGateway(raw: unknown): ConfigIssue[] {
  return [...checkSupervision(raw), ...checkHttp(raw)];
}

function checkHttp(raw: unknown): ConfigIssue[] {
  const http = recordAt(recordAt(raw, 'gateway'), 'http');
  if (!http) return [];
  const headers = http.headersTimeoutMs ?? DEFAULT_HTTP.headersTimeoutMs;
  const request = http.requestTimeoutMs ?? DEFAULT_HTTP.requestTimeoutMs;
  if (typeof headers === 'number' && typeof request === 'number' && headers > request) {
    const path = http.headersTimeoutMs !== undefined ? 'gateway.http.headersTimeoutMs' : 'gateway.http.requestTimeoutMs';
    return [
      {
        path,
        message: `headersTimeoutMs (${headers}) must not exceed requestTimeoutMs (${request}): the headers are part of the request`,
      },
    ];
  }
  return [];
}

/** The deadline keys and their older names: one of each pair, never both. */
const OLDER_NAMES: ReadonlyArray<[current: string, older: string]> = [
  ['readTimeoutMs', 'requestTimeoutMs'],
  ['mutationTimeoutMs', 'sendTimeoutMs'],
];

function checkSupervision(raw: unknown): ConfigIssue[] {
  const supervision = recordAt(recordAt(raw, 'gateway'), 'supervision');
  if (!supervision) return [];
  const issues: ConfigIssue[] = [];
  for (const [current, older] of OLDER_NAMES) {
    if (supervision[current] !== undefined && supervision[older] !== undefined) {
      issues.push({
        path: `gateway.supervision.${older}`,
        message: `${older} is the older name of ${current}, and both are set; keep only ${current}`,
      });
    }
  }
  return [...issues, ...checkBackoff(supervision)];
}

function checkBackoff(supervision: Record<string, unknown>): ConfigIssue[] {
  const initial = supervision.backoffInitialMs ?? DEFAULT_SUPERVISION.backoffInitialMs;
  const max = supervision.backoffMaxMs ?? DEFAULT_SUPERVISION.backoffMaxMs;
  if (typeof initial === 'number' && typeof max === 'number' && initial > max) {
    const path =
      supervision.backoffInitialMs !== undefined ? 'gateway.supervision.backoffInitialMs' : 'gateway.supervision.backoffMaxMs';
    return [
      {
        path,
        message: `backoffInitialMs (${initial}) must not exceed backoffMaxMs (${max}); raise backoffMaxMs or lower backoffInitialMs`,
      },
    ];
  }
  return [];
}

function durationMs(value: string | number | undefined): number | undefined {
  return value === undefined ? undefined : parseDuration(value);
}

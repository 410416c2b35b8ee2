/** `gateway.*`: the gateway's own settings (log level, supervision timings). */
import { DEFAULT_HTTP, DEFAULT_INSPECTOR, DEFAULT_LOG_LEVEL, DEFAULT_SUPERVISION } from './defaults.js';
import type { ConfigIssue } from './errors.js';
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
    requestTimeoutMs: s.requestTimeoutMs ?? d.requestTimeoutMs,
    sendTimeoutMs: s.sendTimeoutMs ?? d.sendTimeoutMs,
    stableAfterMs: s.stableAfterMs ?? d.stableAfterMs,
    stopTimeoutMs: s.stopTimeoutMs ?? d.stopTimeoutMs,
  };
}

export function resolveGateway(raw: RawGateway | undefined): GatewayConfig['gateway'] {
  return {
    logLevel: raw?.logLevel ?? DEFAULT_LOG_LEVEL,
    supervision: resolveSupervision(raw?.supervision),
    http: { enabled: raw?.http?.enabled ?? DEFAULT_HTTP.enabled, port: raw?.http?.port ?? DEFAULT_HTTP.port },
    inspector: {
      enabled: raw?.inspector?.enabled ?? DEFAULT_INSPECTOR.enabled,
      port: raw?.inspector?.port ?? DEFAULT_INSPECTOR.port,
    },
  };
}

/** Cross-key checks: the first backoff delay cannot exceed the cap. */
export function checkGateway(raw: unknown): ConfigIssue[] {
  const supervision = recordAt(recordAt(raw, 'gateway'), 'supervision');
  if (!supervision) return [];
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

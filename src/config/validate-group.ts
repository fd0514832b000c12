import { parseCidr, type CidrRange } from "../access/cidr.ts";
import type { HealthConfig, ResolveMode } from "./schema.ts";

const RESOLVE_MODES = ["all", "first"] as const satisfies readonly ResolveMode[];
import { Reader, describe, join } from "./reader.ts";
import { DEFAULTS } from "../defaults.ts";

const DAY_MS = 86_400_000;
const HEALTH_KEYS = ["passive", "active"] as const;
const PASSIVE_KEYS = ["failures", "cooldownMs"] as const;
const ACTIVE_KEYS = ["enabled", "intervalMs", "timeoutMs", "rise", "fall", "send", "expect"] as const;

/** The listener keys read here: access control, retries, connect limits, queueing and health. */
export const GROUP_KEYS = [
  "allow",
  "deny",
  "maxConnectionsPerClient",
  "connectAttempts",
  "maxConnectingPerBackend",
  "queueSize",
  "queueTimeoutMs",
  "health",
  "resolve",
  "resolveIntervalMs",
] as const;

export interface GroupSettings {
  allow: CidrRange[];
  deny: CidrRange[];
  maxConnectionsPerClient: number;
  connectAttempts: number;
  maxConnectingPerBackend: number;
  queueSize: number;
  queueTimeoutMs: number;
  health: HealthConfig;
  resolve: ResolveMode;
  resolveIntervalMs: number;
}

/** readGroupSettings validates the balancing-related keys of one listener table. */
export function readGroupSettings(r: Reader, obj: Record<string, unknown>, path: string): GroupSettings {
  const L = DEFAULTS.listener;
  return {
    allow: readCidrs(r, obj.allow, join(path, "allow")),
    deny: readCidrs(r, obj.deny, join(path, "deny")),
    maxConnectionsPerClient: r.int(obj, "maxConnectionsPerClient", path, L.maxConnectionsPerClient, 0, 1_000_000),
    connectAttempts: r.int(obj, "connectAttempts", path, L.connectAttempts, 1, 100),
    maxConnectingPerBackend: r.int(obj, "maxConnectingPerBackend", path, L.maxConnectingPerBackend, 1, 100_000),
    queueSize: r.int(obj, "queueSize", path, L.queueSize, 0, 1_000_000),
    queueTimeoutMs: r.int(obj, "queueTimeoutMs", path, L.queueTimeoutMs, 1, DAY_MS),
    health: readHealth(r, obj.health, join(path, "health")),
    resolve: r.oneOf(obj, "resolve", path, L.resolve, RESOLVE_MODES),
    resolveIntervalMs: r.int(obj, "resolveIntervalMs", path, L.resolveIntervalMs, 1000, DAY_MS),
  };
}

export function readCidrs(r: Reader, value: unknown, path: string): CidrRange[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    r.fail(path, `expected a list of CIDR ranges, got ${describe(value)}`);
    return [];
  }
  const out: CidrRange[] = [];
  value.forEach((v, i) => {
    const range = typeof v === "string" ? parseCidr(v) : null;
    if (range === null) r.fail(join(path, i), `expected a CIDR range like "10.0.0.0/8" or "2001:db8::/32", got ${describe(v)}`);
    else out.push(range);
  });
  return out;
}

function readHealth(r: Reader, value: unknown, path: string): HealthConfig {
  const P = DEFAULTS.health.passive;
  const A = DEFAULTS.health.active;
  const obj = value === undefined ? {} : (r.object(value, path, HEALTH_KEYS) ?? {});
  const passivePath = join(path, "passive");
  const activePath = join(path, "active");
  const p = obj.passive === undefined ? {} : (r.object(obj.passive, passivePath, PASSIVE_KEYS) ?? {});
  const a = obj.active === undefined ? {} : (r.object(obj.active, activePath, ACTIVE_KEYS) ?? {});
  const optionalString = (key: string): string | null => {
    const v = a[key];
    if (v === undefined || v === null) return (A as Record<string, unknown>)[key] as string | null;
    if (typeof v !== "string") {
      r.fail(join(activePath, key), `expected a string, got ${describe(v)}`);
      return null;
    }
    return v;
  };
  return {
    passive: {
      failures: r.int(p, "failures", passivePath, P.failures, 0, 1000),
      cooldownMs: r.int(p, "cooldownMs", passivePath, P.cooldownMs, 1, DAY_MS),
    },
    active: {
      enabled: r.bool(a, "enabled", activePath, A.enabled),
      intervalMs: r.int(a, "intervalMs", activePath, A.intervalMs, 10, DAY_MS),
      timeoutMs: r.int(a, "timeoutMs", activePath, A.timeoutMs, 1, DAY_MS),
      rise: r.int(a, "rise", activePath, A.rise, 1, 100),
      fall: r.int(a, "fall", activePath, A.fall, 1, 100),
      send: optionalString("send"),
      expect: optionalString("expect"),
    },
  };
}

import type { BalanceAlgorithm } from "../balance/balancer.ts";
import type { LogFormat, LogLevel } from "../log.ts";

/**
 * DEFAULTS holds every default warren uses, in one place. The config schema
 * (schema.ts) documents each key and names its default from here; nothing else
 * hard-codes a default.
 */
export const DEFAULTS = {
  /** The original design listened on 9509 and forwarded to 9501. */
  listenAddress: "127.0.0.1:9509",
  backendAddress: "127.0.0.1:9501",
  log: {
    level: "info" as LogLevel,
    format: "auto" as LogFormat,
    access: true,
    /** null: log to stderr. A path: append there instead (reopened on SIGUSR1, for logrotate). */
    file: null as string | null,
  },
  shutdown: {
    /** How long SIGTERM waits for live sessions before closing them. */
    drainTimeoutMs: 30_000,
  },
  listener: {
    balance: "round-robin" as BalanceAlgorithm,
    maxConnections: 10_000,
    connectTimeoutMs: 5_000,
    /** Like nginx stream's proxy_timeout: a session where nothing moved for 10 minutes ends. */
    idleTimeoutMs: 600_000,
    /** 0: no limit on a session's lifetime. */
    maxLifetimeMs: 0,
    /** Queued bytes per direction before the source is paused. */
    highWaterBytes: 256 * 1024,
    /** Bytes a client may send before its backend has connected. */
    earlyDataBytes: 256 * 1024,
    noDelay: true,
    /** 0: TCP keepalive off; otherwise the idle time before the first probe. */
    keepAliveMs: 0,
    /** 0: no per-client-address limit on concurrent sessions. */
    maxConnectionsPerClient: 0,
    /** Backends tried for one client before giving up (1 = no retry). */
    connectAttempts: 3,
    /** Clients that may wait for a backend slot when every backend is at maxConnections. */
    queueSize: 1000,
    /** How long a queued client waits for a slot before it is closed. */
    queueTimeoutMs: 5_000,
  },
  backend: {
    weight: 1,
    maxConnections: 0,
    drain: false,
  },
} as const;

import type { BalanceAlgorithm } from "../balance/balancer.ts";
import type { CidrRange } from "../access/cidr.ts";
import type { HealthConfig } from "../health/config.ts";
import type { LogFormat, LogLevel } from "../log.ts";
import type { PoolConfig } from "../pool/config.ts";

/** HostPort is a parsed "HOST:PORT" (IPv6 hosts are written "[::1]:80"). */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** BackendConfig is one upstream server of a listener's group. */
export interface BackendConfig {
  /** "HOST:PORT" of the server. Required. */
  readonly address: HostPort;
  /** Share of new sessions relative to the group's other backends. Default 1. */
  readonly weight: number;
  /** Concurrent sessions allowed to this backend; 0 = unlimited. Default 0. */
  readonly maxConnections: number;
  /** No new sessions; live sessions continue. Default false. */
  readonly drain: boolean;
}

/** ListenerConfig is one listening address and the group of backends it forwards to. */
export interface ListenerConfig {
  /** Identifies the listener in logs, stats and reloads. Default: the listen address. */
  readonly name: string;
  /** "HOST:PORT" to accept clients on; port 0 picks a free port. Default 127.0.0.1:9509. */
  readonly listen: HostPort;
  /** At least one backend. */
  readonly backends: readonly BackendConfig[];
  /** How a backend is picked for a new session. Default "round-robin". */
  readonly balance: BalanceAlgorithm;
  /** Concurrent sessions on this listener; extra clients are closed at once. Default 10000. */
  readonly maxConnections: number;
  /** Give up on a backend connect after this long. Default 5000. */
  readonly connectTimeoutMs: number;
  /** End a session when neither direction moved for this long; 0 = never. Default 600000. */
  readonly idleTimeoutMs: number;
  /** End a session this long after it started, whatever it is doing; 0 = never. Default 0. */
  readonly maxLifetimeMs: number;
  /** Bytes queued in one direction before its source is paused. Default 262144. */
  readonly highWaterBytes: number;
  /** Bytes accepted from a client before its backend connects; then the client is paused. Default 262144. */
  readonly earlyDataBytes: number;
  /** TCP_NODELAY on both sockets. Default true. */
  readonly noDelay: boolean;
  /** TCP keepalive initial delay on both sockets; 0 = off. Default 0. */
  readonly keepAliveMs: number;
  /** Clients whose address matches none of these are refused (empty: everyone may connect). Default []. */
  readonly allow: readonly CidrRange[];
  /** Clients whose address matches any of these are refused; checked before `allow`. Default []. */
  readonly deny: readonly CidrRange[];
  /** Concurrent sessions per client address; 0 = unlimited. Default 0. */
  readonly maxConnectionsPerClient: number;
  /** Backends tried before giving up on a client (retries only before any byte reached a backend). Default 3. */
  readonly connectAttempts: number;
  /** Clients that may wait when every backend is at its maxConnections; 0 = refuse at once. Default 1000. */
  readonly queueSize: number;
  /** How long a queued client waits for a free backend slot. Default 5000. */
  readonly queueTimeoutMs: number;
  /** Passive and active health checking of the backends. */
  readonly health: HealthConfig;
  /** "tunnel": one backend connection per client (1:1). "pool": clients share pooled connections (n:1). Default "tunnel". */
  readonly mode: "tunnel" | "pool";
  /** Pool settings; set exactly when mode is "pool". */
  readonly pool: PoolConfig | null;
}

/** WarrenConfig is a whole, validated configuration. */
export interface WarrenConfig {
  readonly log: {
    /** debug | info | warn | error | silent. Default "info". */
    readonly level: LogLevel;
    /** pretty | json | auto (pretty on a terminal, JSON lines otherwise). Default "auto". */
    readonly format: LogFormat;
    /** One access-log line per finished session. Default true. */
    readonly access: boolean;
    /**
     * Append log lines to this file instead of stderr; reopened on SIGUSR1 so logrotate can
     * rename it. A relative path is resolved against the config file's directory. Default null (stderr).
     */
    readonly file: string | null;
  };
  readonly shutdown: {
    /** On SIGTERM/SIGINT, wait this long for live sessions before closing them. Default 30000. */
    readonly drainTimeoutMs: number;
  };
  readonly listeners: readonly ListenerConfig[];
}

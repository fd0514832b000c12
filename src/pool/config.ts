import type { FramerConfig } from "../framing/index.ts";

/** PoolAuth is the identity warren authenticates its pooled connections with (Redis ACL user or requirepass). */
export interface PoolAuth {
  /** ACL user name; null sends `AUTH <password>` semantics (the default user). Default null. */
  readonly username: string | null;
  readonly password: string;
}

/** PoolConfig: the n:1 pooled mode of a listener (mode = "pool"). */
export interface PoolConfig {
  /** How requests and responses are framed. Required in pool mode. */
  readonly framer: FramerConfig;
  /** Pooled connections per backend at most. Default 8. */
  readonly maxPerBackend: number;
  /** Idle connections kept open per backend (reopened when they die). Default 1. */
  readonly minIdlePerBackend: number;
  /** Clients whose request may wait for a pooled connection, per backend; 0 = fail at once. Default 10000. */
  readonly queueSize: number;
  /** How long a request waits for a pooled connection before it is failed. Default 5000. */
  readonly queueTimeoutMs: number;
  /** Write many clients' requests back to back on one connection (in-order protocols only). Default false. */
  readonly multiplex: boolean;
  /**
   * Connections of one backend that may be pinned to a client at once (MULTI/WATCH, SELECT and other
   * connection state, SUBSCRIBE/MONITOR pass-through, a blocking command in flight). Default
   * maxPerBackend - 1, so at least one connection always serves shared traffic.
   */
  readonly maxPinnedPerBackend: number;
  /** Pinned connections held at once by the clients of one address; 0 = no limit. Default 0. */
  readonly maxPinnedPerClient: number;
  /** A client holding a pinned connection with nothing outstanding and idle this long is closed; 0 = never. Default 60000. */
  readonly pinnedIdleTimeoutMs: number;
  /**
   * A pooled connection whose oldest outstanding reply has not progressed for this long is closed (its
   * clients get an error), and a slow reader that keeps a connection paused this long is closed. Blocking
   * commands are exempt. 0 = never. Default 60000.
   */
  readonly replyTimeoutMs: number;
  /** Credentials warren sends on every pooled connection before use (RESP only). Default none. */
  readonly auth: PoolAuth | null;
  /** The password clients must AUTH with (answered by warren, RESP only); null: no client auth. Default null. */
  readonly clientPassword: string | null;
}

export const POOL_DEFAULTS = {
  maxPerBackend: 8,
  minIdlePerBackend: 1,
  queueSize: 10_000,
  queueTimeoutMs: 5_000,
  multiplex: false,
  /** null: maxPerBackend - 1 (at least 0), computed when the config is read. */
  maxPinnedPerBackend: null,
  maxPinnedPerClient: 0,
  pinnedIdleTimeoutMs: 60_000,
  replyTimeoutMs: 60_000,
  auth: null,
  clientPassword: null,
} as const;

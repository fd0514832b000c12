import type { FramerConfig } from "../framing/index.ts";

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
}

export const POOL_DEFAULTS = {
  maxPerBackend: 8,
  minIdlePerBackend: 1,
  queueSize: 10_000,
  queueTimeoutMs: 5_000,
  multiplex: false,
} as const;

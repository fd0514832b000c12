/*
 * The shapes of warren's stats, as `ProxyServer.stats()` returns them. A leaf module of types only, so
 * the listener core, the modes and the server all describe their part without importing each other.
 */

/**
 * A snapshot of one histogram (src/metrics/histogram.ts): `counts[i]` holds the observations ≤
 * `bounds[i]` and above the bound before it, the last slot those above every bound (in seconds).
 */
export interface HistogramStats {
  bounds: number[];
  counts: number[];
  sum: number;
  count: number;
}

/** A snapshot of one backend as the library API reports it. */
export interface BackendStats {
  address: string;
  /** The host name or SRV name the address was resolved from; null for an address in the config. */
  from: string | null;
  weight: number;
  drain: boolean;
  /** The runtime state set over the admin API: "ready", "drain" (DRAIN) or "maint" (MAINT, disabled). */
  adminState: "ready" | "drain" | "maint";
  healthy: boolean;
  active: number;
  /** Tunnel connects in flight now (bounded by maxConnectingPerBackend). */
  connecting: number;
  sessionsTotal: number;
  connectFailures: number;
  bytesToBackend: number;
  bytesFromBackend: number;
  /** Why the backend is down (null while healthy). */
  downReason: string | null;
  /** The last active probe: passed, failed, or null if none ran. */
  lastCheckOk: boolean | null;
  lastCheckReason: string | null;
  lastCheckMs: number | null;
  checksTotal: number;
  checksFailed: number;
  /** Failed connects by code (ECONNREFUSED, CONNECT_TIMEOUT, …); they add up to connectFailures. */
  connectErrors: Record<string, number>;
  /** Times the backend went from up to down, and the time it spent down (ongoing downtime included). */
  downTransitions: number;
  downtimeMs: number;
  /** Successful TCP connects, by how long they took. */
  connectDuration: HistogramStats;
}

/** A snapshot of one listener. */
export interface ListenerStats {
  name: string;
  address: string;
  accepting: boolean;
  /** The listener's maxConnections (this process's share of it, when warren runs several workers). */
  maxConnections: number;
  sessions: number;
  sessionsTotal: number;
  rejected: { maxConnections: number; noBackend: number; denied: number; perClient: number; queueFull: number };
  /** Clients waiting for a backend slot now. */
  queued: number;
  queueTimeouts: number;
  retries: number;
  bytesFromClients: number;
  bytesFromBackends: number;
  /** Bytes queued in the proxy right now, both directions, all sessions. */
  queuedBytes: number;
  /** The most bytes any one session ever queued in one direction. */
  peakSessionQueuedBytes: number;
  errors: Record<string, number>;
  ends: Record<string, number>;
  /** Ended sessions, by how long they lasted. */
  sessionDuration: HistogramStats;
  /** Ends by code and side, keyed "CODE side" (e.g. "ECONNRESET client"). */
  endsBySide: Record<string, number>;
  /** Connections closed in the preamble stage (before admission), by code. */
  preambleFailures: Record<string, number>;
  /** The preamble stage: connections in it now, read to the end, and let through at accept without one (untrusted = "direct"). */
  preambles: { live: number; done: number; bypassed: number };
  /** How resolving the listener's backend names went; null when every backend is an IP address. */
  discovery: {
    names: number;
    resolutions: number;
    failures: number;
    /** Names failing now (their last good addresses are kept). */
    failing: string[];
    lastError: string | null;
  } | null;
  backends: BackendStats[];
  /** SNI routes (listeners with `routes` only): each pattern, the sessions it took, its backends. `backends` above is the default route. */
  routes?: { sni: string; sessionsTotal: number; backends: BackendStats[] }[];
  /** Pooled mode only: clients, pins and each backend's pool (size, in use, idle, waiters, wait time). */
  pool?: PoolStats;
}

/** A snapshot of the whole proxy. */
export interface ProxyStats {
  sessions: number;
  sessionsTotal: number;
  bytesFromClients: number;
  bytesFromBackends: number;
  errors: Record<string, number>;
  /** The largest lateness of the process's sweep timer over the last second, in ms: how busy the event loop is. */
  eventLoopDelayMs: number;
  listeners: ListenerStats[];
}

/** BackendPoolStats is the live view of one backend's pool. */
export interface BackendPoolStats {
  address: string;
  /** Connections open or connecting, and of those the RESP3 ones. */
  size: number;
  resp3: number;
  connecting: number;
  /** Open connections bound to a client or with replies outstanding. */
  inUse: number;
  idle: number;
  /** Connections pinned to a client now. */
  pinned: number;
  /** Clients waiting for a connection now. */
  waiters: number;
  pinnedClients: number;
  waitsTotal: number;
  waitTimeMsTotal: number;
  waitTimeMsMax: number;
  queueTimeouts: number;
  queueFull: number;
  pinRefused: number;
  requests: number;
  connectFailures: number;
  connectionsOpened: number;
  connectionsLost: number;
  /** Waits for a connection, by how long they took. */
  waitDuration: HistogramStats;
}

/** PoolStats is the pooled-mode part of a listener's stats. */
export interface PoolStats {
  multiplex: boolean;
  clients: number;
  pinnedClients: number;
  queueTimeouts: number;
  /** Requests warren failed, by code: QUEUE_TIMEOUT, QUEUE_FULL, NO_BACKEND, BACKEND_LOST, REPLY_TIMEOUT, PIN_REFUSED, … */
  failures: Record<string, number>;
  backends: BackendPoolStats[];
}

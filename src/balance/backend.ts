import { CONNECT_BUCKETS, Histogram } from "../metrics/histogram.ts";

/** A backend's runtime admin state: in rotation, draining (DRAIN), or disabled for maintenance (MAINT). */
export type AdminState = "ready" | "drain" | "maint";

/** Where a backend listens, as parsed from "HOST:PORT" in the config. */
export interface BackendAddress {
  readonly host: string;
  readonly port: number;
  /** A unix socket's path (then host is "" and port 0). */
  readonly unix?: string;
}

/**
 * Backend is the live record of one upstream server: its address, the knobs the
 * balancer reads (weight, limits, drain, health) and counters updated in place.
 * One record lives as long as the backend stays in the config, so a reload that
 * keeps a backend keeps its counters and health.
 */
export class Backend {
  /** "host:port", the identity used by reload and consistent hashing. */
  readonly key: string;
  /** The host name or SRV name this server was resolved from (src/discovery); null when configured as an address. */
  from: string | null = null;
  /** Relative share of new sessions; 0 removes the backend from rotation. */
  weight: number;
  /** Concurrent sessions allowed; 0 means unlimited. */
  maxConnections: number;
  /** Draining (the config's `drain`): no new sessions, live ones continue. */
  drain: boolean;
  /**
   * The runtime state set over the admin API (src/admin): "drain" and "maint" take no new sessions,
   * live ones continue. Kept apart from `drain`, which a reload rewrites from the config, so it
   * survives reloads for as long as the backend stays in the config (the record is kept).
   */
  adminState: AdminState = "ready";
  /** Health as decided by src/health (passive and active); a backend starts healthy. */
  healthy = true;
  /** Sessions currently using this backend (connecting or relaying). */
  active = 0;
  /** Connects in flight allowed at once (the listener's maxConnectingPerBackend); 0 means unlimited. */
  maxConnecting = 0;
  /** Tunnel connects in flight now: started, not yet opened, failed or given up. */
  connecting = 0;
  /** Counters, incremented in place; rendered only when someone asks. */
  sessionsTotal = 0;
  connectFailures = 0;
  consecutiveFailures = 0;
  bytesToBackend = 0;
  bytesFromBackend = 0;
  /** Failed connects by code (CONNECT_TIMEOUT, ECONNREFUSED, …): the same events as connectFailures. */
  readonly connectErrors = new Map<string, number>();
  /** Successful TCP connects by duration in seconds, observed once per connect. */
  readonly connectDuration = new Histogram(CONNECT_BUCKETS);
  /** Transitions from up to down, and the ms spent down in completed outages (the ongoing one is added in stats). */
  downTransitions = 0;
  downtimeMsTotal = 0;

  /*
   * Health state (src/health). `healthy` is derived: it is false while either
   * source holds the backend down, and only health code writes these fields.
   */
  /** Marked down by connect failures of real sessions (passive health). */
  passiveDown = false;
  /** performance.now() ms after which a passively-downed backend is tried again. */
  passiveDownUntil = 0;
  /** Marked down by the active checker after `fall` consecutive failed probes. */
  activeDown = false;
  /** A HealthChecker probes this backend: it, not the passive cooldown, decides revival. */
  activeChecks = false;
  /** Why the backend is down now (the last failure seen); null while healthy. */
  downReason: string | null = null;
  /** performance.now() ms when the backend last went down; 0 if never. */
  downSince = 0;
  /** Consecutive successful / failed probes of the active checker. */
  checkSuccesses = 0;
  checkFailures = 0;
  /** Probes run and probes failed, in total. */
  checksTotal = 0;
  checksFailed = 0;
  /** performance.now() ms when the last probe finished; 0 if never probed. */
  lastCheckAt = 0;
  /** Outcome of the last probe; null if never probed. */
  lastCheckOk: boolean | null = null;
  /** Round-trip of the last successful probe in ms (0 after a failed one). */
  lastCheckMs = 0;
  /** Why the last probe failed ("ok" after a success); null if never probed. */
  lastCheckReason: string | null = null;

  constructor(
    readonly address: BackendAddress,
    weight = 1,
    maxConnections = 0,
    drain = false,
  ) {
    // Same spelling as the config (IPv6 in brackets), so logs and stats match what the user wrote.
    this.key =
      address.unix !== undefined
        ? `unix:${address.unix}`
        : address.host.includes(":")
          ? `[${address.host}]:${address.port}`
          : `${address.host}:${address.port}`;
    this.weight = weight;
    this.maxConnections = maxConnections;
    this.drain = drain;
  }

  /** countConnectError counts one failed connect under its code; called with every connectFailures++. */
  countConnectError(code: string): void {
    this.connectErrors.set(code, (this.connectErrors.get(code) ?? 0) + 1);
  }

  /**
   * refreshHealthy recomputes `healthy` from the passive and active verdicts and
   * says whether it changed, so the caller logs each transition exactly once.
   */
  refreshHealthy(): boolean {
    const healthy = !this.passiveDown && !this.activeDown;
    if (healthy === this.healthy) return false;
    this.healthy = healthy;
    return true;
  }

  /** Whether a new session may be sent here now. */
  isAvailable(): boolean {
    return this.takesSessions() && !this.isFull();
  }

  /** Healthy, not draining and weighted: in rotation, full or not. */
  takesSessions(): boolean {
    return this.healthy && !this.drain && this.adminState === "ready" && this.weight > 0;
  }

  /** At a limit that frees up as sessions end or connects settle: worth queueing for. */
  isFull(): boolean {
    return (
      (this.maxConnections > 0 && this.active >= this.maxConnections) || (this.maxConnecting > 0 && this.connecting >= this.maxConnecting)
    );
  }
}

/** Where a backend listens, as parsed from "HOST:PORT" in the config. */
export interface BackendAddress {
  readonly host: string;
  readonly port: number;
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
  /** Relative share of new sessions; 0 removes the backend from rotation. */
  weight: number;
  /** Concurrent sessions allowed; 0 means unlimited. */
  maxConnections: number;
  /** Draining: no new sessions, live ones continue. */
  drain: boolean;
  /** Health as decided by the checker; a backend starts healthy. */
  healthy = true;
  /** Sessions currently using this backend (connecting or relaying). */
  active = 0;
  /** Counters, incremented in place; rendered only when someone asks. */
  sessionsTotal = 0;
  connectFailures = 0;
  consecutiveFailures = 0;
  bytesToBackend = 0;
  bytesFromBackend = 0;

  constructor(
    readonly address: BackendAddress,
    weight = 1,
    maxConnections = 0,
    drain = false,
  ) {
    this.key = `${address.host}:${address.port}`;
    this.weight = weight;
    this.maxConnections = maxConnections;
    this.drain = drain;
  }

  /** Whether a new session may be sent here now. */
  isAvailable(): boolean {
    return (
      this.healthy &&
      !this.drain &&
      this.weight > 0 &&
      (this.maxConnections === 0 || this.active < this.maxConnections)
    );
  }
}

import type { PoolStats } from "../pool/runtime.ts";
/**
 * Counters are plain numeric fields incremented in place on the rare paths
 * (session start and end, rejections); per-chunk byte counts live on the
 * session and are added here when it ends. Text is made only when asked.
 */
export class Counters {
  sessionsTotal = 0;
  rejectedMaxConnections = 0;
  rejectedNoBackend = 0;
  rejectedDenied = 0;
  rejectedPerClient = 0;
  rejectedQueueFull = 0;
  queueTimeouts = 0;
  /** Connects retried on another backend. */
  retries = 0;
  bytesFromClients = 0;
  bytesFromBackends = 0;
  /** Session ends by code: "ok" for a clean close, else the error code. */
  readonly ends = new Map<string, number>();
  /** Failures only, by code (the same counts as `ends` without "ok"). */
  readonly errors = new Map<string, number>();

  countEnd(code: string, failed: boolean): void {
    this.ends.set(code, (this.ends.get(code) ?? 0) + 1);
    if (failed) this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }
}

/** A snapshot of one backend as the library API reports it. */
export interface BackendStats {
  address: string;
  weight: number;
  drain: boolean;
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
}

/** A snapshot of one listener. */
export interface ListenerStats {
  name: string;
  address: string;
  accepting: boolean;
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
  backends: BackendStats[];
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
  listeners: ListenerStats[];
}

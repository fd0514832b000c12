import { END_CODES, type EndCode, type Side } from "../errors.ts";
import { Histogram, SESSION_BUCKETS } from "../metrics/histogram.ts";

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
  /** Session ends by code and side, keyed "CODE side" (for metrics). */
  readonly endsBySide = new Map<string, number>();
  /** Ended sessions by duration in seconds, observed once per session in Listener.ended. */
  readonly sessionDuration = new Histogram(SESSION_BUCKETS);
  /** Connections whose preamble was read to the end (then admitted or refused like any client). */
  preamblesDone = 0;
  /** Connections the preamble let through at accept without reading one (an untrusted source, untrusted = "direct"). */
  preamblesBypassed = 0;
  /** Connections closed in the preamble stage (before admission), by code. */
  readonly preambleFailures = new Map<EndCode, number>();

  countPreambleFailure(code: EndCode): void {
    this.preambleFailures.set(code, (this.preambleFailures.get(code) ?? 0) + 1);
    // Also a session end by code and side (metrics' session_ends): a client refused in a stage ended there.
    const key = `${code} ${END_CODES[code].side ?? "client"}`;
    this.endsBySide.set(key, (this.endsBySide.get(key) ?? 0) + 1);
  }

  countEnd(code: EndCode, side: Side): void {
    this.ends.set(code, (this.ends.get(code) ?? 0) + 1);
    if (code !== "ok") this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
    const key = `${code} ${side}`;
    this.endsBySide.set(key, (this.endsBySide.get(key) ?? 0) + 1);
  }
}

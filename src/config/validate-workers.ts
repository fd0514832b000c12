import { availableParallelism } from "node:os";
import type { ListenerConfig } from "./schema.ts";
import { describe, type Reader } from "./reader.ts";

/** The most worker processes warren runs (far above any core count it is meant for). */
export const MAX_WORKERS = 256;

/**
 * readWorkers reads the top-level `workers`: "auto" (the CPUs this process may use) or 1..256.
 * "auto" is resolved here, so the rest of warren sees a number.
 */
export function readWorkers(r: Reader, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (value === "auto") return Math.min(MAX_WORKERS, Math.max(1, availableParallelism()));
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > MAX_WORKERS) {
    r.fail("workers", `expected "auto" or an integer 1..${MAX_WORKERS}, got ${describe(value)}`);
    return fallback;
  }
  return value;
}

/**
 * A limit that is a total for the whole process group, split across workers (src/workers/share.ts):
 * where it is found in a listener config, and whether 0 means "no limit" (then it is not split).
 */
export interface SplitLimit {
  readonly path: string;
  /** The limit's values in a listener, each with its key path under the listener. */
  get(l: ListenerConfig): [path: string, value: number][];
}

/** Every total warren splits across its workers; each worker gets floor(total / N), the first (total mod N) one more. */
export const SPLIT_LIMITS: readonly SplitLimit[] = [
  { path: "maxConnections", get: (l) => [["maxConnections", l.maxConnections]] },
  { path: "maxConnectionsPerClient", get: (l) => [["maxConnectionsPerClient", l.maxConnectionsPerClient]] },
  { path: "maxConnectingPerBackend", get: (l) => [["maxConnectingPerBackend", l.maxConnectingPerBackend]] },
  { path: "queueSize", get: (l) => [["queueSize", l.queueSize]] },
  { path: "backends[].maxConnections", get: (l) => l.backends.map((b, i) => [`backends[${i}].maxConnections`, b.maxConnections]) },
  { path: "pool.maxPerBackend", get: (l) => (l.pool === null ? [] : [["pool.maxPerBackend", l.pool.maxPerBackend]]) },
  { path: "pool.queueSize", get: (l) => (l.pool === null ? [] : [["pool.queueSize", l.pool.queueSize]]) },
  { path: "pool.maxPinnedPerClient", get: (l) => (l.pool === null ? [] : [["pool.maxPinnedPerClient", l.pool.maxPinnedPerClient]]) },
];

/**
 * checkWorkers reports what cannot run with `workers` > 1: a listener on port 0 (each worker would bind
 * a port of its own), and a limit too small to give every worker at least one (a worker's 0 would mean
 * "no limit", or serve nothing).
 */
export function checkWorkers(r: Reader, workers: number, listeners: readonly ListenerConfig[]): void {
  if (workers <= 1) return;
  listeners.forEach((l, i) => {
    if (l.listen.unix !== undefined) {
      r.fail(
        `listeners[${i}].listen`,
        `a unix socket with workers = ${workers}: SO_REUSEPORT shares TCP ports only, and each worker would replace the others' socket file; set workers = 1 for this config, or listen on TCP`,
      );
    } else if (l.listen.port === 0) {
      r.fail(
        `listeners[${i}].listen`,
        `port 0 with workers = ${workers}: each worker would listen on a port of its own; give a port, or set workers = 1`,
      );
    }
    for (const limit of SPLIT_LIMITS) {
      for (const [path, total] of limit.get(l)) {
        if (total > 0 && total < workers) {
          r.fail(
            `listeners[${i}].${path}`,
            `${total} cannot be split across ${workers} workers (a limit is a total for all of them, and each needs at least 1); raise it to ${workers} or more, or lower workers`,
          );
        }
      }
    }
  });
}

import type { HistogramStats } from "../stats.ts";

/*
 * Bucket bounds, in seconds, shared by every histogram of a kind (one array per kind, not per
 * histogram). Prometheus buckets count values ≤ their bound; the +Inf bucket is implicit.
 */
/** Backend connects: loopback is ~0.1 ms, a remote data centre tens of ms, a SYN retry ≥ 1 s. */
export const CONNECT_BUCKETS: readonly number[] = Object.freeze([
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);
/** Sessions: from a refused client (well under 1 ms) to a connection held for hours. */
export const SESSION_BUCKETS: readonly number[] = Object.freeze([0.001, 0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800, 3600, 14400, 86400]);
/** Pool waits: usually none or sub-millisecond; bounded above by queueTimeoutMs (5 s by default). */
export const POOL_WAIT_BUCKETS: readonly number[] = Object.freeze([
  0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);

/**
 * Histogram counts observations into fixed buckets: `counts[i]` holds the values ≤ `bounds[i]` and
 * above the bound before it (not cumulative), the last slot the values above every bound. observe
 * allocates nothing: a scan of ~15 bounds and three additions, once per session, connect or pool wait,
 * never per chunk. Cumulative `_bucket` series are made only when rendered.
 */
export class Histogram {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  /** The bounds as a typed array for observe: walking the frozen shared array took 76 ns for a value above 11 bounds, this 6 ns (bench/micro/metrics.bench.ts). */
  private readonly scan: Float64Array;

  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
    this.scan = Float64Array.from(bounds);
  }

  observe(value: number): void {
    const bounds = this.scan;
    const n = bounds.length;
    let i = 0;
    while (i < n && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }

  /** merge adds another histogram (or a snapshot of one, e.g. from a worker) of the same bounds, bucket by bucket. */
  merge(other: Histogram | HistogramStats): void {
    if (!sameBounds(this.bounds, other.bounds))
      throw new Error(`histogram merge: bounds differ (${this.bounds.join(",")} vs ${other.bounds.join(",")})`);
    const counts = other.counts;
    for (let i = 0; i < this.counts.length; i++) this.counts[i]! += counts[i]!;
    this.sum += other.sum;
    this.count += other.count;
  }

  /** snapshot copies the histogram into plain data for stats() (structured-clone safe, for workers' IPC). */
  snapshot(): HistogramStats {
    return { bounds: this.bounds as number[], counts: Array.from(this.counts), sum: this.sum, count: this.count };
  }

  static from(stats: HistogramStats): Histogram {
    const h = new Histogram(stats.bounds);
    h.merge(stats);
    return h;
  }
}

/** mergeHistogramStats adds `b` into `a` bucket by bucket (both snapshots of histograms of the same bounds); returns `a`. */
export function mergeHistogramStats(a: HistogramStats, b: HistogramStats): HistogramStats {
  if (!sameBounds(a.bounds, b.bounds)) throw new Error(`histogram merge: bounds differ (${a.bounds.join(",")} vs ${b.bounds.join(",")})`);
  for (let i = 0; i < a.counts.length; i++) a.counts[i]! += b.counts[i]!;
  a.sum += b.sum;
  a.count += b.count;
  return a;
}

function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

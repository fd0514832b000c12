/**
 * Histogram records latencies in microseconds with ~0.1% precision and fixed
 * memory (log-linear buckets, like HdrHistogram): exact below 2048 µs, then
 * 1024 buckets per power of two. Recording is a few integer operations.
 */
const SUB = 1024;
const LINEAR = 2 * SUB;
const BUCKETS = LINEAR + 22 * SUB; // up to ~2^32 µs

export class Histogram {
  readonly counts = new Uint32Array(BUCKETS);
  total = 0;

  recordUs(us: number): void {
    const v = us < 0 ? 0 : Math.round(us);
    this.counts[bucketOf(v)]!++;
    this.total++;
  }

  /** percentile returns the value (µs) at or below which `p` percent of samples fall. */
  percentile(p: number): number {
    if (this.total === 0) return NaN;
    const rank = Math.ceil((p / 100) * this.total);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return valueOf(i);
    }
    return valueOf(BUCKETS - 1);
  }
}

function bucketOf(v: number): number {
  if (v < LINEAR) return v;
  const shift = 31 - Math.clz32(v) - 10; // v >> shift lands in [1024, 2047]
  const i = LINEAR + (shift - 1) * SUB + ((v >>> shift) - SUB);
  return i < BUCKETS ? i : BUCKETS - 1;
}

function valueOf(i: number): number {
  if (i < LINEAR) return i;
  const shift = Math.floor((i - LINEAR) / SUB) + 1;
  return (SUB + ((i - LINEAR) % SUB)) * 2 ** shift;
}

/** Series is one target's rounds of one metric, in round order; null: that round failed. */
export type Series = readonly (number | null)[];

/** finite: the rounds that measured something (not failed, not NaN or ±Infinity). */
function finite(values: Series): number[] {
  return values.filter((v): v is number => v !== null && Number.isFinite(v));
}

/** median of the finite values, NaN when there are none. */
export function median(values: Series): number {
  const xs = finite(values).sort((a, b) => a - b);
  if (xs.length === 0) return NaN;
  const mid = xs.length >> 1;
  return xs.length % 2 === 1 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2;
}

/**
 * pairedRatios is num_i ÷ den_i for every round i where both were measured
 * (finite, and den_i > 0). Rounds are interleaved, so round i of two targets
 * ran minutes apart at most: pairing them cancels the machine's slow drift,
 * which a ratio of two medians does not (it can pair one target's fast round
 * with the other's slow one when the machine shifts between states).
 */
export function pairedRatios(num: Series, den: Series): number[] {
  const out: number[] = [];
  for (let i = 0; i < Math.min(num.length, den.length); i++) {
    const a = num[i];
    const b = den[i];
    if (a === null || a === undefined || b === null || b === undefined) continue;
    if (Number.isFinite(a) && Number.isFinite(b) && b > 0) out.push(a / b);
  }
  return out;
}

/** spread is the rounds' range relative to their median, NaN with fewer than 2: what "noise" means in the reports. */
export function spread(values: Series): number {
  const xs = finite(values);
  if (xs.length < 2) return NaN;
  return (Math.max(...xs) - Math.min(...xs)) / median(xs);
}

/** A confidence interval for a median: from lo to hi, covering it with probability `level`. */
export interface MedianInterval {
  readonly lo: number;
  readonly hi: number;
  /** The interval's actual coverage (≥ the level asked for). */
  readonly level: number;
}

/**
 * medianInterval is a distribution-free confidence interval for the median of `values`: the k-th
 * smallest and k-th largest, with k the largest rank for which P(k ≤ B ≤ n − k) ≥ level, B being
 * Binomial(n, ½) — the number of values below the true median. It assumes nothing about the noise's
 * shape, only that rounds are independent. null when even the extremes do not reach `level`
 * (n < 6 at 95%): too few rounds to bound the median.
 */
export function medianInterval(values: Series, level = 0.95): MedianInterval | null {
  const xs = finite(values).sort((a, b) => a - b);
  const n = xs.length;
  let best: MedianInterval | null = null;
  // tail = P(B < k) = Σ_{i<k} C(n, i) / 2^n, grown one term per k with C(n, i + 1) = C(n, i) · (n − i) / (i + 1).
  let term = 2 ** -n;
  let tail = 0;
  for (let k = 1; 2 * k <= n + 1; k++) {
    tail += term;
    term = (term * (n - k + 1)) / k;
    // [x_(k), x_(n−k+1)] covers the median unless fewer than k values lie below it or above it.
    const coverage = 1 - 2 * tail;
    if (coverage < level) break;
    best = { lo: xs[k - 1]!, hi: xs[n - k]!, level: coverage };
  }
  return best;
}

/** Series is one target's rounds of one metric, in round order; null: that round failed. */
export type Series = readonly (number | null)[];

/** median of the finite values, NaN when there are none. */
export function median(values: Series): number {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
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
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (xs.length < 2) return NaN;
  return (Math.max(...xs) - Math.min(...xs)) / median(xs);
}

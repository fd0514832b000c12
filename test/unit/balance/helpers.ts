import { Backend } from "../../../src/balance/backend.ts";
import type { Balancer } from "../../../src/balance/balancer.ts";

/** group builds backends 10.0.0.1:6379, 10.0.0.2:6379, … with the given weights. */
export function group(weights: readonly number[]): Backend[] {
  return weights.map((w, i) => new Backend({ host: `10.0.0.${i + 1}`, port: 6379 }, w));
}

/** clientKey is the i-th distinct client address, as the proxy passes it to `pick`. */
export function clientKey(i: number): string {
  return `172.${16 + ((i >>> 16) & 15)}.${(i >>> 8) & 255}.${i & 255}`;
}

/** seeded returns a deterministic Math.random stand-in (mulberry32). */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * simulate makes `picks` picks with distinct client keys the way the proxy
 * would: a pick opens a session (`active++`), and sessions end oldest first once
 * more than `held` are open (default 100), so load-aware balancers see realistic counts.
 * `held: Infinity` never ends a session. Returns picks per backend; a null pick
 * counts under `null`.
 */
export function simulate(balancer: Balancer, picks: number, held = 100, firstKey = 0): Map<Backend | null, number> {
  const counts = new Map<Backend | null, number>();
  const open: Backend[] = [];
  let oldest = 0;
  for (let i = 0; i < picks; i++) {
    const b = balancer.pick(clientKey(firstKey + i));
    counts.set(b, (counts.get(b) ?? 0) + 1);
    if (b === null) continue;
    b.active++;
    open.push(b);
    if (open.length - oldest > held) open[oldest++]!.active--;
  }
  return counts;
}

/** endAll ends every session `simulate` left open. */
export function endAll(backends: readonly Backend[]): void {
  for (const b of backends) b.active = 0;
}

import type { Backend } from "./backend.ts";
import type { Balancer } from "./balancer.ts";
import { isEligible } from "./eligible.ts";
import { fmix32, hashKey } from "./hash-key.ts";
import { DEFAULTS } from "../defaults.ts";

/** HashOptions tunes the ring; the defaults suit groups whose weights sum to 64 or less. */
export interface HashOptions {
  /** Ring points per unit of weight; more points, more even shares. Default 1024 (about ±3% per backend). */
  readonly pointsPerWeight?: number;
  /** Cap on ring points, which bounds memory and build time for large weights. Default 65536. */
  readonly maxPoints?: number;
}

/**
 * ConsistentHash sends a client address to the same backend every time, using
 * a hash ring with virtual nodes: each backend owns `weight × pointsPerWeight`
 * points on a 32-bit circle, and a key belongs to the first point at or after
 * its hash.
 *
 * Why a ring and not a Maglev table: a ring moves the minimum. Removing a
 * backend moves exactly the keys it owned (each to the next point clockwise),
 * and adding one moves only the keys it now owns, about weight/total of them;
 * Maglev rebuilds its table by turns and reshuffles a few percent of the keys
 * between backends that did not change. The ring's costs are handled here:
 * - Lookup is O(1), not a binary search: a bucket index of the top bits of the
 *   hash points at the first ring point in that bucket, and with at least as
 *   many buckets as points the scan from there is about one step.
 * - Uneven shares shrink with points per backend (deviation ≈ 1/√points):
 *   1024 points per unit of weight keep each share within a few percent.
 * - A backend's points depend only on its own "host:port" and the point
 *   number, so equal backend lists build equal rings in any order, and a
 *   weight change adds or removes that backend's last points only.
 * - When the weight sum would need more than `maxPoints` points, every
 *   backend's count is scaled down; then adding a backend also trims others'
 *   last points, so such groups see somewhat more than the minimum movement.
 *
 * Fallback: when the owner of a key is unavailable or excluded, the pick walks
 * clockwise to the next point whose backend is eligible. That is the same
 * backend a ring rebuilt without the failed one would choose, so the same
 * client keeps landing on the same fallback, a later reload that drops the
 * backend moves nobody a second time, and the failed backend's keys spread over
 * the others in proportion to their weight.
 */
export class ConsistentHash implements Balancer {
  readonly name = "hash" as const;
  /** Ring point positions, ascending. */
  private readonly pointHash: Uint32Array;
  /** pointOwner[i] is the index in `backends` of the backend owning point i. */
  private readonly pointOwner: Uint32Array;
  /** bucketStart[b] is the first point at or after bucket b's start (hash >>> shift === b). */
  private readonly bucketStart: Uint32Array;
  private readonly shift: number;

  constructor(
    private readonly backends: readonly Backend[],
    options: HashOptions = {},
  ) {
    const ring = buildRing(
      backends,
      options.pointsPerWeight ?? DEFAULTS.hash.pointsPerWeight,
      options.maxPoints ?? DEFAULTS.hash.maxPoints,
    );
    this.pointHash = ring.hash;
    this.pointOwner = ring.owner;
    const bits = Math.min(16, Math.max(1, Math.ceil(Math.log2(Math.max(2, ring.hash.length)))));
    this.shift = 32 - bits;
    this.bucketStart = buildBuckets(ring.hash, bits);
  }

  pick(clientKey: string, exclude?: readonly Backend[]): Backend | null {
    const points = this.pointHash;
    const n = points.length;
    if (n === 0) return null;
    const h = hashKey(clientKey);
    let i = this.bucketStart[h >>> this.shift]!;
    while (i < n && points[i]! < h) i++;
    if (i === n) i = 0; // past the last point: wrap to the first
    const owner = this.backends[this.pointOwner[i]!]!;
    if (isEligible(owner, exclude)) return owner;
    return this.walk(i, exclude);
  }

  /** walk returns the owner of the first eligible point clockwise after point `from`, or null. */
  private walk(from: number, exclude: readonly Backend[] | undefined): Backend | null {
    const backends = this.backends;
    // Check first that someone is eligible, so a fully down group costs O(backends), not O(points).
    let any = false;
    for (let j = 0; j < backends.length && !any; j++) any = isEligible(backends[j]!, exclude);
    if (!any) return null;
    const owners = this.pointOwner;
    const n = owners.length;
    for (let step = 1, i = from + 1; step < n; step++, i++) {
      if (i === n) i = 0;
      const b = backends[owners[i]!]!;
      if (isEligible(b, exclude)) return b;
    }
    return null; // the eligible backends had weight 0 when the ring was built, so own no points
  }
}

/**
 * buildRing places each backend's points and sorts them. Ties between two
 * backends' points (rare) are broken by backend key, so the ring does not
 * depend on the order of the backend list.
 */
function buildRing(backends: readonly Backend[], pointsPerWeight: number, maxPoints: number): { hash: Uint32Array; owner: Uint32Array } {
  let weightSum = 0;
  for (const b of backends) weightSum += Math.max(0, b.weight);
  const scale = weightSum * pointsPerWeight > maxPoints ? maxPoints / weightSum : pointsPerWeight;
  const counts = backends.map((b) => (b.weight > 0 ? Math.max(1, Math.round(b.weight * scale)) : 0));
  let total = 0;
  for (const c of counts) total += c;

  // rank orders backends by key; it is the tie-break packed under each point's hash.
  const byKey = backends.map((_, i) => i);
  byKey.sort((a, b) => compareKeys(backends[a]!.key, backends[b]!.key) || a - b);
  const rank = new Array<number>(backends.length);
  byKey.forEach((index, r) => (rank[index] = r));

  const n = backends.length;
  const packed = new Float64Array(total); // hash * n + rank, exact below 2^53
  let p = 0;
  for (let i = 0; i < n; i++) {
    const base = hashKey(backends[i]!.key);
    for (let j = 0; j < counts[i]!; j++) {
      // Distinct j give distinct points: the golden-ratio multiply and fmix32 are both bijections.
      packed[p++] = fmix32(base ^ Math.imul(j + 1, 0x9e3779b9)) * n + rank[i]!;
    }
  }
  packed.sort();

  const hash = new Uint32Array(total);
  const owner = new Uint32Array(total);
  for (let k = 0; k < total; k++) {
    const v = packed[k]!;
    const r = v % n;
    hash[k] = (v - r) / n;
    owner[k] = byKey[r]!;
  }
  return { hash, owner };
}

/** buildBuckets returns, for each of 2^bits buckets, the first point at or after the bucket's start. */
function buildBuckets(hash: Uint32Array, bits: number): Uint32Array {
  const buckets = 2 ** bits;
  const width = 2 ** (32 - bits);
  const start = new Uint32Array(buckets);
  let p = 0;
  for (let b = 0; b < buckets; b++) {
    const lowest = b * width;
    while (p < hash.length && hash[p]! < lowest) p++;
    start[b] = p;
  }
  return start;
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Rng is a small seeded PRNG (mulberry32) so a failing isolation run can be
 * replayed: the test prints its seed, and WARREN_ISOLATION_SEED sets it. The
 * sequence of choices still depends on timing (what arrives when), so a replay
 * is close, not exact.
 */
export class Rng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0 || 1;
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** Random bytes, any value 0..255 (CR, LF, NUL and quotes included). */
  bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }

  /** A word of [a-z0-9] that needs no quoting in an inline command. */
  word(min = 1, max = 12): string {
    const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    let s = "";
    for (let i = this.between(min, max); i > 0; i--) s += alphabet[this.int(alphabet.length)];
    return s;
  }

  /** A child generator, so each client has its own stream of choices. */
  fork(): Rng {
    return new Rng(this.int(2 ** 32));
  }
}

/** The run's seed: WARREN_ISOLATION_SEED if set, else a fresh one (printed by the test). */
export function runSeed(): number {
  const fromEnv = Number(process.env.WARREN_ISOLATION_SEED);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : 1 + Math.floor(Math.random() * 2 ** 31);
}

import type { Backend } from "./backend.ts";
import type { Balancer } from "./balancer.ts";
import { isEligible } from "./eligible.ts";

/** RandomSource returns a number in [0, 1), like Math.random; tests inject a seeded one. */
export type RandomSource = () => number;

/**
 * RandomTwo is "power of two random choices": draw two distinct eligible
 * backends at random, each with probability proportional to its weight, and
 * keep the one with the lower `active / weight`. It needs no shared cursor and
 * reacts to load like least-connections, yet avoids least-connections' herd
 * behaviour when load counts are stale: the worst backends are rarely drawn
 * twice, and an idle one is not hammered by every pick at once.
 *
 * Each draw is a linear walk over the group (groups are small), so a pick
 * allocates nothing and sees availability as it is now.
 */
export class RandomTwo implements Balancer {
  readonly name = "random-two" as const;

  constructor(
    private readonly backends: readonly Backend[],
    private readonly random: RandomSource = Math.random,
  ) {}

  pick(_clientKey: string, exclude?: readonly Backend[]): Backend | null {
    const backends = this.backends;
    let totalWeight = 0;
    let eligible = 0;
    for (let i = 0; i < backends.length; i++) {
      const b = backends[i]!;
      if (!isEligible(b, exclude)) continue;
      totalWeight += b.weight;
      eligible++;
    }
    if (eligible === 0) return null;
    const first = this.draw(totalWeight, null, exclude);
    if (eligible === 1) return first;
    const second = this.draw(totalWeight - first.weight, first, exclude);
    // Strictly lower load wins; on a tie the first draw (already weight-biased) stays.
    return second.active * first.weight < first.active * second.weight ? second : first;
  }

  /** draw returns an eligible backend other than `skip`, chosen with probability weight / totalWeight. */
  private draw(totalWeight: number, skip: Backend | null, exclude: readonly Backend[] | undefined): Backend {
    const backends = this.backends;
    let remaining = this.random() * totalWeight;
    let last: Backend | null = null;
    for (let i = 0; i < backends.length; i++) {
      const b = backends[i]!;
      if (b === skip || !isEligible(b, exclude)) continue;
      last = b;
      remaining -= b.weight;
      if (remaining < 0) return b;
    }
    // Only reached through floating-point rounding at the top of the range; the caller guarantees one exists.
    return last!;
  }
}

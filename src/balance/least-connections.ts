import type { Backend } from "./backend.ts";
import type { Balancer } from "./balancer.ts";
import { isEligible } from "./eligible.ts";

/**
 * LeastConnections is weighted least-connections: it picks the eligible backend
 * with the smallest `active / weight`, so a weight-3 backend is given three
 * times the concurrent sessions of a weight-1 one. Ratios are compared by
 * cross-multiplication (`a.active * b.weight < b.active * a.weight`): exact
 * integer arithmetic, no division per backend.
 *
 * Ties are common (an idle group is all zeros), and are broken as nginx's
 * least_conn does, by smooth weighted round-robin among the tied backends only.
 * Equal backends therefore take turns instead of the first in the list getting
 * every tied session, and unequal ones split ties by weight; a plain rotation
 * would split them evenly, which in a mostly idle group (every pick a tie)
 * would ignore the weights altogether.
 */
export class LeastConnections implements Balancer {
  readonly name = "least-connections" as const;
  /** Smooth round-robin scores, advanced only for the backends tied in a pick. */
  private readonly current: Float64Array;

  constructor(private readonly backends: readonly Backend[]) {
    this.current = new Float64Array(backends.length);
  }

  pick(_clientKey: string, exclude?: readonly Backend[]): Backend | null {
    const backends = this.backends;
    let best: Backend | null = null;
    let bestIndex = -1;
    let tied = 0;
    for (let i = 0; i < backends.length; i++) {
      const b = backends[i]!;
      if (!isEligible(b, exclude)) continue;
      if (best === null || b.active * best.weight < best.active * b.weight) {
        best = b;
        bestIndex = i;
        tied = 1;
      } else if (b.active * best.weight === best.active * b.weight) {
        tied++;
      }
    }
    if (tied <= 1) return best;
    return this.breakTie(best!, bestIndex, exclude);
  }

  /** breakTie runs one smooth weighted round-robin step over the backends whose load equals `best`'s. */
  private breakTie(best: Backend, from: number, exclude: readonly Backend[] | undefined): Backend {
    const backends = this.backends;
    const current = this.current;
    let total = 0;
    let chosen = from;
    for (let i = from; i < backends.length; i++) {
      const b = backends[i]!;
      if (b.active * best.weight !== best.active * b.weight || !isEligible(b, exclude)) continue;
      current[i]! += b.weight;
      total += b.weight;
      if (current[i]! > current[chosen]!) chosen = i;
    }
    current[chosen]! -= total;
    return backends[chosen]!;
  }
}

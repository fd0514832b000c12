import type { Backend } from "./backend.ts";
import type { Balancer } from "./balancer.ts";

/**
 * RoundRobin is smooth weighted round-robin (as in nginx): each pick adds every
 * backend's weight to its running score, picks the highest, and subtracts the
 * total. Weights 5:1:1 give a,a,b,a,c,a,a rather than a burst of five a's.
 */
export class RoundRobin implements Balancer {
  readonly name = "round-robin" as const;
  private readonly current: number[];

  constructor(private readonly backends: readonly Backend[]) {
    this.current = backends.map(() => 0);
  }

  pick(_clientKey: string, exclude?: readonly Backend[]): Backend | null {
    const backends = this.backends;
    let total = 0;
    let best = -1;
    for (let i = 0; i < backends.length; i++) {
      const b = backends[i]!;
      if (!b.isAvailable() || (exclude !== undefined && exclude.includes(b))) continue;
      const score = this.current[i]! + b.weight;
      this.current[i] = score;
      total += b.weight;
      if (best < 0 || score > this.current[best]!) best = i;
    }
    if (best < 0) return null;
    this.current[best]! -= total;
    return backends[best]!;
  }
}

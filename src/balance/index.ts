import type { Backend } from "./backend.ts";
import type { BalanceAlgorithm, Balancer } from "./balancer.ts";
import { RoundRobin } from "./round-robin.ts";

/** createBalancer builds the balancer named in the config over a group's backends. */
export function createBalancer(algorithm: BalanceAlgorithm, backends: readonly Backend[]): Balancer {
  switch (algorithm) {
    case "round-robin":
      return new RoundRobin(backends);
    default:
      // Other algorithms land with the balancing issue; config validation rejects them until then.
      return new RoundRobin(backends);
  }
}

export { Backend } from "./backend.ts";
export type { Balancer, BalanceAlgorithm } from "./balancer.ts";

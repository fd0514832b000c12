import type { Backend } from "./backend.ts";
import type { BalanceAlgorithm, Balancer } from "./balancer.ts";
import { ConsistentHash } from "./hash.ts";
import { LeastConnections } from "./least-connections.ts";
import { RandomTwo } from "./random-two.ts";
import { RoundRobin } from "./round-robin.ts";

/** createBalancer builds the balancer named in the config over a group's backends. */
export function createBalancer(algorithm: BalanceAlgorithm, backends: readonly Backend[]): Balancer {
  switch (algorithm) {
    case "round-robin":
      return new RoundRobin(backends);
    case "least-connections":
      return new LeastConnections(backends);
    case "random-two":
      return new RandomTwo(backends);
    case "hash":
      return new ConsistentHash(backends);
  }
}

export { Backend } from "./backend.ts";
export type { Balancer, BalanceAlgorithm } from "./balancer.ts";
export { ConsistentHash, type HashOptions } from "./hash.ts";
export { LeastConnections } from "./least-connections.ts";
export { RandomTwo, type RandomSource } from "./random-two.ts";
export { RoundRobin } from "./round-robin.ts";

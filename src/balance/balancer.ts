import type { Backend } from "./backend.ts";

/**
 * Balancer picks the backend for a new session. Implementations see the group's
 * backends once, at construction (a reload builds a new balancer over the kept
 * Backend records), and must skip backends whose `isAvailable()` is false.
 * `pick` returns null when no backend is available.
 *
 * `clientKey` is the client's address (e.g. "10.0.0.7"); only hashing
 * algorithms use it. `exclude` lists backends already tried by this session
 * (retries), which must not be picked again while others are available.
 */
export interface Balancer {
  readonly name: BalanceAlgorithm;
  pick(clientKey: string, exclude?: readonly Backend[]): Backend | null;
}

export type BalanceAlgorithm = "round-robin" | "least-connections" | "random-two" | "hash";

export const BALANCE_ALGORITHMS: readonly BalanceAlgorithm[] = ["round-robin", "least-connections", "random-two", "hash"];

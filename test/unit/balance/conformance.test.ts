/**
 * One specification for every Balancer: each algorithm must share load fairly,
 * honour weights, skip backends that may not take a session, honour `exclude`,
 * say null when nothing is left and take a backend back when it returns.
 * Algorithm-specific behaviour lives in the per-algorithm test files.
 */
import { describe, expect, test } from "bun:test";
import type { Backend } from "../../../src/balance/backend.ts";
import type { BalanceAlgorithm, Balancer } from "../../../src/balance/balancer.ts";
import { BALANCE_ALGORITHMS } from "../../../src/balance/balancer.ts";
import { ConsistentHash } from "../../../src/balance/hash.ts";
import { createBalancer } from "../../../src/balance/index.ts";
import { LeastConnections } from "../../../src/balance/least-connections.ts";
import { RandomTwo } from "../../../src/balance/random-two.ts";
import { RoundRobin } from "../../../src/balance/round-robin.ts";
import { clientKey, endAll, group, seeded, simulate } from "./helpers.ts";

interface Subject {
  readonly algorithm: BalanceAlgorithm;
  readonly make: (backends: readonly Backend[]) => Balancer;
  /**
   * Largest allowed deviation from a backend's fair share, relative to that share.
   * Round-robin is exact up to rounding. Least-connections balances open sessions,
   * not picks, so its pick shares wobble with how sessions end (measured: under
   * 0.2% with 100 open, 3% with 21 open). Random-two and hash carry sampling noise
   * (10,000 draws or keys: one standard deviation is about ±2% of a 1/5 share) and
   * hash also the ring's uneven arcs (about ±3% at 1024 points per weight).
   */
  readonly tolerance: number;
}

const SUBJECTS: readonly Subject[] = [
  { algorithm: "round-robin", make: (b) => new RoundRobin(b), tolerance: 0.01 },
  { algorithm: "least-connections", make: (b) => new LeastConnections(b), tolerance: 0.02 },
  { algorithm: "random-two", make: (b) => new RandomTwo(b, seeded(7)), tolerance: 0.05 },
  { algorithm: "hash", make: (b) => new ConsistentHash(b), tolerance: 0.1 },
];

const PICKS = 10_000;

test("the suite covers every algorithm createBalancer knows", () => {
  expect(SUBJECTS.map((s) => s.algorithm)).toEqual([...BALANCE_ALGORITHMS]);
});

describe.each(SUBJECTS)("$algorithm", ({ algorithm, make, tolerance }) => {
  test("createBalancer builds it", () => {
    expect(createBalancer(algorithm, group([1])).name).toBe(algorithm);
  });

  test(`equal weights: each of 5 backends gets 1/5 of ${PICKS} picks within the tolerance`, () => {
    const backends = group([1, 1, 1, 1, 1]);
    const counts = simulate(make(backends), PICKS);
    for (const b of backends) {
      expect(Math.abs((counts.get(b) ?? 0) / (PICKS / 5) - 1)).toBeLessThanOrEqual(tolerance);
    }
  });

  test("weights 3:1 give shares 3/4 and 1/4 within the tolerance", () => {
    const backends = group([3, 1]);
    const counts = simulate(make(backends), PICKS);
    expect(Math.abs((counts.get(backends[0]!) ?? 0) / (PICKS * 0.75) - 1)).toBeLessThanOrEqual(tolerance);
    expect(Math.abs((counts.get(backends[1]!) ?? 0) / (PICKS * 0.25) - 1)).toBeLessThanOrEqual(tolerance);
  });

  test("never picks an unhealthy, draining, weight-0 or full backend", () => {
    const all = group([1, 1, 1, 1, 0, 1]); // the fifth, weight 0, is the weightless one
    const [good1, good2, unhealthy, draining, , full] = all as [Backend, Backend, Backend, Backend, Backend, Backend];
    unhealthy.healthy = false;
    draining.drain = true;
    full.maxConnections = 2;
    full.active = 2;
    const counts = simulate(make(all), 2_000);
    expect([...counts.keys()].sort(byKey)).toEqual([good1, good2]);
  });

  test("a backend fills up to maxConnections and no further; then pick says null", () => {
    const backends = group([1, 1]);
    for (const b of backends) b.maxConnections = 3;
    const counts = simulate(make(backends), 10, Infinity);
    expect(backends.map((b) => b.active)).toEqual([3, 3]);
    expect(counts.get(null)).toBe(4);
  });

  test("skips a backend with maxConnecting connects in flight, and takes it back once one settles", () => {
    const backends = group([1, 1, 1]);
    const connectingFull = backends[1]!;
    for (const b of backends) b.maxConnecting = 4;
    connectingFull.connecting = 4;
    const balancer = make(backends);
    const seen = new Set<Backend | null>();
    for (let i = 0; i < 1_000; i++) seen.add(balancer.pick(clientKey(i)));
    expect([...seen].sort(byKey)).toEqual([backends[0]!, backends[2]!]);
    connectingFull.connecting = 3;
    let picked = false;
    for (let i = 0; i < 1_000 && !picked; i++) picked = balancer.pick(clientKey(i)) === connectingFull;
    expect(picked).toBe(true);
  });

  test("never picks an excluded backend while others are available", () => {
    const backends = group([1, 1, 1, 1]);
    const balancer = make(backends);
    const exclude = [backends[0]!, backends[2]!];
    const seen = new Set<Backend | null>();
    for (let i = 0; i < 1_000; i++) seen.add(balancer.pick(clientKey(i), exclude));
    expect([...seen].sort(byKey)).toEqual([backends[1]!, backends[3]!]);
  });

  test("returns null when nothing is available", () => {
    expect(make([]).pick(clientKey(0))).toBeNull();
    const backends = group([1, 1, 1]);
    const balancer = make(backends);
    expect(balancer.pick(clientKey(1), backends)).toBeNull();
    for (const b of backends) b.healthy = false;
    for (let i = 0; i < 100; i++) expect(balancer.pick(clientKey(i))).toBeNull();
  });

  test("takes a backend back when it becomes available again", () => {
    const backends = group([1, 1, 1, 1]);
    const balancer = make(backends);
    const down = backends[0]!;
    down.healthy = false;
    expect(simulate(balancer, 1_000).get(down)).toBeUndefined();
    endAll(backends);
    down.healthy = true;
    // Fair share is 250 of 1,000; least-connections sends it more while it catches up.
    expect(simulate(balancer, 1_000, 100, 1_000).get(down) ?? 0).toBeGreaterThanOrEqual(200);
  });
});

function byKey(a: Backend | null, b: Backend | null): number {
  return (a?.key ?? "").localeCompare(b?.key ?? "");
}

/**
 * Picks per second of each balancing algorithm over 3 and 16 backends.
 * Run: node_modules/.bin/bun bench/micro/balance.bench.ts
 *
 * Backends hold a fixed spread of open sessions, so least-connections and
 * random-two compare real loads, with some ties as in a live group. Hash picks
 * cycle through 4,096 distinct client addresses, so lookups land all over the
 * ring rather than on one cached entry; the 16-backend ring has 16,384 points.
 */
import { bench, do_not_optimize, group, run, summary } from "mitata";
import { Backend } from "../../src/balance/backend.ts";
import type { BalanceAlgorithm } from "../../src/balance/balancer.ts";
import { BALANCE_ALGORITHMS } from "../../src/balance/balancer.ts";
import { createBalancer } from "../../src/balance/index.ts";

const CLIENT_KEYS = Array.from({ length: 4096 }, (_, i) => `172.16.${i >>> 8}.${i & 255}`);

function backends(n: number): Backend[] {
  return Array.from({ length: n }, (_, i) => {
    const b = new Backend({ host: `10.0.0.${i + 1}`, port: 6379 }, 1 + (i % 3));
    b.active = (i * 7) % 5;
    return b;
  });
}

for (const n of [3, 16]) {
  group(`pick over ${n} backends`, () => {
    summary(() => {
      for (const algorithm of BALANCE_ALGORITHMS) benchPick(algorithm, n);
    });
  });
}

function benchPick(algorithm: BalanceAlgorithm, n: number): void {
  const balancer = createBalancer(algorithm, backends(n));
  let i = 0;
  bench(`${algorithm} (${n})`, () => {
    do_not_optimize(balancer.pick(CLIENT_KEYS[i++ & 4095]!));
  });
}

await run();

import { expect, test } from "bun:test";
import { RandomTwo } from "../../../src/balance/random-two.ts";
import { group, seeded, simulate } from "./helpers.ts";

/** script returns a random source that replays `values`, for exact draws. */
function script(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

test("keeps the less loaded of its two draws, whichever was drawn first", () => {
  const backends = group([1, 1, 1]);
  [backends[0]!.active, backends[1]!.active, backends[2]!.active] = [5, 1, 0];
  // Draw a (0.1 of 3) then, from b and c, b (0.1 of 2): b is less loaded.
  expect(new RandomTwo(backends, script(0.1, 0.1)).pick("")).toBe(backends[1]!);
  // Draw b (0.5 of 3) then, from a and c, a (0.1 of 2): b still wins.
  expect(new RandomTwo(backends, script(0.5, 0.1)).pick("")).toBe(backends[1]!);
});

test("the two draws are distinct backends", () => {
  const backends = group([1, 1]);
  backends[0]!.active = 9;
  // A source stuck at 0 would draw a twice if draws could repeat; the second draw must be b.
  expect(new RandomTwo(backends, script(0)).pick("")).toBe(backends[1]!);
});

test("draws in proportion to weight", () => {
  const backends = group([1, 3]);
  // 0.2 of total weight 4 is 0.8, inside a's [0, 1); 0.5 is 2, inside b's [1, 4).
  expect(new RandomTwo(backends, script(0.2, 0.99)).pick("")).toBe(backends[0]!);
  expect(new RandomTwo(backends, script(0.5, 0.99)).pick("")).toBe(backends[1]!);
});

test("with a seeded source, a heavily loaded backend is never chosen: the other draw always beats it", () => {
  const backends = group([1, 1, 1, 1]);
  backends[0]!.active = 1_000_000;
  const counts = simulate(new RandomTwo(backends, seeded(1)), 5_000);
  expect(counts.get(backends[0]!)).toBeUndefined();
});

test("the same seed gives the same sequence of picks", () => {
  const run = () => {
    const backends = group([2, 1, 1]);
    const p2c = new RandomTwo(backends, seeded(99));
    return Array.from({ length: 50 }, () => backends.indexOf(p2c.pick("")!));
  };
  expect(run()).toEqual(run());
});

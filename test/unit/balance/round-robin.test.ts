import { expect, test } from "bun:test";
import { RoundRobin } from "../../../src/balance/round-robin.ts";
import { group } from "./helpers.ts";

const names = (picks: readonly (object | null)[], backends: readonly object[]) =>
  picks.map((b) => (b === null ? "-" : "abcdefgh"[backends.indexOf(b)]!)).join(",");

test("weights 5:1:1 interleave as nginx's smooth round-robin: a,a,b,a,c,a,a, then again", () => {
  const backends = group([5, 1, 1]);
  const rr = new RoundRobin(backends);
  const picks = Array.from({ length: 14 }, () => rr.pick(""));
  expect(names(picks, backends)).toBe("a,a,b,a,c,a,a,a,a,b,a,c,a,a");
});

test("equal weights rotate in list order", () => {
  const backends = group([1, 1, 1]);
  const rr = new RoundRobin(backends);
  expect(
    names(
      Array.from({ length: 6 }, () => rr.pick("")),
      backends,
    ),
  ).toBe("a,b,c,a,b,c");
});

test("a skipped backend does not bank turns: on return it gets its share, not a burst", () => {
  const backends = group([1, 1]);
  const rr = new RoundRobin(backends);
  backends[1]!.healthy = false;
  for (let i = 0; i < 10; i++) rr.pick("");
  backends[1]!.healthy = true;
  expect(
    names(
      Array.from({ length: 4 }, () => rr.pick("")),
      backends,
    ),
  ).toMatch(/^(a,b,a,b|b,a,b,a)$/);
});

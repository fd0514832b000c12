import { expect, test } from "bun:test";
import type { Backend } from "../../../src/balance/backend.ts";
import { LeastConnections } from "../../../src/balance/least-connections.ts";
import { group } from "./helpers.ts";

const names = (picks: readonly (Backend | null)[], backends: readonly Backend[]) =>
  picks.map((b) => (b === null ? "-" : "abcdefgh"[backends.indexOf(b)]!)).join(",");

test("picks the backend with the fewest active sessions", () => {
  const backends = group([1, 1, 1]);
  [backends[0]!.active, backends[1]!.active, backends[2]!.active] = [5, 2, 3];
  expect(new LeastConnections(backends).pick("")).toBe(backends[1]!);
});

test("compares active / weight: 5 sessions on weight 3 (1.67) beat 2 on weight 1 (2)", () => {
  const backends = group([3, 1]);
  [backends[0]!.active, backends[1]!.active] = [5, 2];
  expect(new LeastConnections(backends).pick("")).toBe(backends[0]!);
});

test("equal backends take turns on ties instead of the first taking them all", () => {
  const backends = group([1, 1, 1]);
  const lc = new LeastConnections(backends);
  expect(
    names(
      Array.from({ length: 6 }, () => lc.pick("")),
      backends,
    ),
  ).toBe("a,b,c,a,b,c");
});

test("only the tied backends share the turns", () => {
  const backends = group([1, 1, 1]);
  backends[0]!.active = 1;
  const lc = new LeastConnections(backends);
  expect(
    names(
      Array.from({ length: 4 }, () => lc.pick("")),
      backends,
    ),
  ).toBe("b,c,b,c");
});

test("ties between unequal weights split by weight, so an idle group still honours 3:1", () => {
  const backends = group([3, 1]);
  const lc = new LeastConnections(backends);
  expect(
    names(
      Array.from({ length: 8 }, () => lc.pick("")),
      backends,
    ),
  ).toBe("a,a,b,a,a,a,b,a");
});

test("fills the emptiest backend first as sessions open", () => {
  const backends = group([1, 1]);
  backends[0]!.active = 3;
  const lc = new LeastConnections(backends);
  for (let i = 0; i < 3; i++) lc.pick("")!.active++;
  expect(backends.map((b) => b.active)).toEqual([3, 3]);
});

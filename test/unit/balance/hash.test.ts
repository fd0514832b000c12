import { describe, expect, test } from "bun:test";
import { Backend } from "../../../src/balance/backend.ts";
import { ConsistentHash } from "../../../src/balance/hash.ts";
import { fmix32, hashKey } from "../../../src/balance/hash-key.ts";
import { clientKey, group } from "./helpers.ts";

const KEYS = 10_000;

/** assign maps each of the first `KEYS` client keys to the key ("host:port") of its backend. */
function assign(balancer: ConsistentHash, exclude?: readonly Backend[]): string[] {
  return Array.from({ length: KEYS }, (_, i) => balancer.pick(clientKey(i), exclude)?.key ?? "-");
}

describe("stability", () => {
  test("the same key lands on the same backend on every call", () => {
    const ring = new ConsistentHash(group([1, 1, 1, 1, 1]));
    expect(assign(ring)).toEqual(assign(ring));
  });

  test("a ring rebuilt over equal backends, in any order, assigns every key the same", () => {
    const before = assign(new ConsistentHash(group([1, 2, 1, 1, 3])));
    const rebuilt = group([1, 2, 1, 1, 3]).reverse();
    expect(assign(new ConsistentHash(rebuilt))).toEqual(before);
  });
});

describe("minimal movement", () => {
  test("removing one of 5 backends moves only the keys that were on it", () => {
    const five = group([1, 1, 1, 1, 1]);
    const before = assign(new ConsistentHash(five));
    const removed = five[2]!.key;
    const after = assign(new ConsistentHash(five.filter((b) => b.key !== removed)));
    let moved = 0;
    for (let i = 0; i < KEYS; i++) {
      if (before[i] === removed) moved++;
      else expect(after[i]).toBe(before[i]!);
    }
    expect(moved / KEYS).toBeCloseTo(1 / 5, 1);
  });

  test("adding a 6th backend moves 1/6 ± 0.05 of keys, all of them to the new backend", () => {
    const five = group([1, 1, 1, 1, 1]);
    const sixth = new Backend({ host: "10.0.0.6", port: 6379 });
    const before = assign(new ConsistentHash(five));
    const after = assign(new ConsistentHash([...five, sixth]));
    let moved = 0;
    for (let i = 0; i < KEYS; i++) {
      if (after[i] === before[i]) continue;
      moved++;
      expect(after[i]).toBe(sixth.key);
    }
    expect(Math.abs(moved / KEYS - 1 / 6)).toBeLessThanOrEqual(0.05);
  });

  test("raising one backend's weight moves keys only onto that backend", () => {
    const before = assign(new ConsistentHash(group([1, 1, 1])));
    const heavier = group([1, 2, 1]);
    const after = assign(new ConsistentHash(heavier));
    for (let i = 0; i < KEYS; i++) if (after[i] !== before[i]) expect(after[i]).toBe(heavier[1]!.key);
  });
});

describe("fallback", () => {
  test("an unavailable backend's keys go where a ring without it would send them; others stay", () => {
    const five = group([1, 1, 1, 1, 1]);
    const ring = new ConsistentHash(five);
    const before = assign(ring);
    five[2]!.healthy = false;
    const during = assign(ring);
    expect(during).toEqual(assign(new ConsistentHash(five.filter((b) => b !== five[2]))));
    for (let i = 0; i < KEYS; i++) if (before[i] !== five[2]!.key) expect(during[i]).toBe(before[i]!);
  });

  test("the fallback is the same on every call, and the key returns home on recovery", () => {
    const five = group([1, 1, 1, 1, 1]);
    const ring = new ConsistentHash(five);
    const before = assign(ring);
    five[0]!.drain = true;
    expect(assign(ring)).toEqual(assign(ring));
    five[0]!.drain = false;
    expect(assign(ring)).toEqual(before);
  });

  test("a full backend's keys fall back like a down backend's", () => {
    const five = group([1, 1, 1, 1, 1]);
    const ring = new ConsistentHash(five);
    five[4]!.healthy = false;
    const down = assign(ring);
    five[4]!.healthy = true;
    five[4]!.maxConnections = 1;
    five[4]!.active = 1;
    expect(assign(ring)).toEqual(down);
  });

  test("excluded backends are skipped the same way, deterministically", () => {
    const five = group([1, 1, 1, 1, 1]);
    const ring = new ConsistentHash(five);
    const exclude = [five[1]!, five[3]!];
    const excluded = assign(ring, exclude);
    expect(excluded).toEqual(assign(ring, exclude));
    expect(excluded).toEqual(assign(new ConsistentHash([five[0]!, five[2]!, five[4]!])));
  });

  test("a down backend's keys spread over the rest, not onto one neighbour", () => {
    const five = group([1, 1, 1, 1, 1]);
    const ring = new ConsistentHash(five);
    const before = assign(ring);
    five[0]!.healthy = false;
    const after = assign(ring);
    const landed = new Map<string, number>();
    for (let i = 0; i < KEYS; i++) {
      if (before[i] === five[0]!.key) landed.set(after[i]!, (landed.get(after[i]!) ?? 0) + 1);
    }
    const moved = [...landed.values()].reduce((a, b) => a + b, 0);
    expect(landed.size).toBe(4);
    for (const n of landed.values()) expect(Math.abs(n / moved - 1 / 4)).toBeLessThanOrEqual(0.08);
  });
});

describe("ring size", () => {
  test("capping points at maxPoints keeps weights 3:1", () => {
    const backends = group([3, 1]);
    const ring = new ConsistentHash(backends, { pointsPerWeight: 1024, maxPoints: 2048 });
    const heavy = assign(ring).filter((k) => k === backends[0]!.key).length;
    expect(Math.abs(heavy / KEYS - 0.75)).toBeLessThanOrEqual(0.05);
  });

  test("a one-point ring sends every key to its only backend", () => {
    const [only] = group([1]);
    const ring = new ConsistentHash([only!], { pointsPerWeight: 1 });
    expect(new Set(assign(ring))).toEqual(new Set([only!.key]));
  });

  test("a ring of only weight-0 backends picks nothing", () => {
    expect(new ConsistentHash(group([0, 0])).pick(clientKey(0))).toBeNull();
  });
});

describe("hashKey", () => {
  test("is FNV-1a 32 (published test vectors) then murmur3's fmix32", () => {
    expect(hashKey("")).toBe(fmix32(0x811c9dc5));
    expect(hashKey("a")).toBe(fmix32(0xe40c292c));
    expect(hashKey("foobar")).toBe(fmix32(0xbf9cf968));
    expect(fmix32(0)).toBe(0);
  });

  test("spreads neighbouring addresses evenly over 16 ranges (±15% of 625 each)", () => {
    const counts = new Array<number>(16).fill(0);
    for (let i = 0; i < KEYS; i++) counts[hashKey(clientKey(i)) >>> 28]!++;
    for (const n of counts) expect(Math.abs(n / 625 - 1)).toBeLessThanOrEqual(0.15);
  });
});

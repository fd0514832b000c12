import { describe, expect, test } from "bun:test";
import type { ListenerConfig } from "../../../src/config/schema.ts";
import { holdsAddress, matchListeners } from "../../../src/server/reload.ts";

const at = (host: string, port: number) => ({ listen: { host, port } }) as ListenerConfig;
const running = (host: string, configPort: number, boundPort: number | null) => ({
  config: at(host, configPort),
  server: boundPort === null ? null : { port: boundPort },
});

test.each([
  ["the same fixed address", running("127.0.0.1", 7000, 7000), at("127.0.0.1", 7000), true],
  ["another port", running("127.0.0.1", 7000, 7000), at("127.0.0.1", 7001), false],
  ["another host", running("127.0.0.1", 7000, 7000), at("0.0.0.0", 7000), false],
  ["port 0 again: keeps the port it got", running("127.0.0.1", 0, 41234), at("127.0.0.1", 0), true],
  ["port 0's real port", running("127.0.0.1", 0, 41234), at("127.0.0.1", 41234), true],
  ["another port than port 0's real one", running("127.0.0.1", 0, 41234), at("127.0.0.1", 41235), false],
  ["port 0 for a listener on a fixed port: picks anew", running("127.0.0.1", 7000, 7000), at("127.0.0.1", 0), false],
  ["a listener not bound yet", running("127.0.0.1", 0, null), at("127.0.0.1", 41234), false],
])("%s → %p", (_what, r, next, expected) => {
  expect(holdsAddress(r, next)).toBe(expected);
});

describe("matchListeners: which running listener each listener of a reloaded config keeps", () => {
  const named = (name: string, host: string, port: number) => ({ name, listen: { host, port } }) as ListenerConfig;
  const live = (name: string, port: number, bound = port) => ({ config: named(name, "127.0.0.1", port), server: { port: bound } });
  const names = (kept: Map<ListenerConfig, { config: ListenerConfig }>, next: ListenerConfig[]) =>
    next.map((lc) => kept.get(lc)?.config.name ?? null);

  test("the same name on the same address keeps it", () => {
    const running = new Map([["a", live("a", 7000)]]);
    const next = [named("a", "127.0.0.1", 7000)];
    expect(names(matchListeners(running, next), next)).toEqual(["a"]);
  });

  test("a new name on a fixed address whose old name is gone keeps the socket (a rename)", () => {
    const running = new Map([["a", live("a", 7000)]]);
    const next = [named("b", "127.0.0.1", 7000)];
    expect(names(matchListeners(running, next), next)).toEqual(["a"]);
  });

  test("an old name still in the config is not taken by another: a moved listener is bound anew", () => {
    const running = new Map([["a", live("a", 7000)]]);
    const next = [named("a", "127.0.0.1", 7001), named("b", "127.0.0.1", 7000)];
    expect(names(matchListeners(running, next), next)).toEqual([null, null]);
  });

  test("a new name on port 0 asks for any port: a new listener, even beside a port-0 listener that is gone", () => {
    const running = new Map([["a", live("a", 0, 41234)]]);
    const next = [named("b", "127.0.0.1", 0)];
    expect(names(matchListeners(running, next), next)).toEqual([null]);
  });

  test("two names swapped between two addresses: each keeps its own socket under its own name", () => {
    const running = new Map([
      ["a", live("a", 7000)],
      ["b", live("b", 7001)],
    ]);
    const next = [named("b", "127.0.0.1", 7000), named("a", "127.0.0.1", 7001)];
    expect(names(matchListeners(running, next), next)).toEqual([null, null]);
  });
});

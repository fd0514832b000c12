import { describe as group, expect, test } from "bun:test";
import { describe, join } from "../../../src/config/reader.ts";
import { didYouMean } from "../../../src/util/did-you-mean.ts";

const LISTENER_KEYS = ["name", "listen", "backends", "balance", "maxConnections", "connectTimeoutMs", "idleTimeoutMs"];

group("didYouMean", () => {
  test.each([
    ["conectTimeoutMs", "connectTimeoutMs", "a missing letter"],
    ["connectTimeoutMS", "connectTimeoutMs", "another case"],
    ["NAME", "name", "all capitals"],
    ["lsiten", "listen", "swapped letters"],
    ["backend", "backends", "singular for plural"],
    ["balanse", "balance", "one wrong letter"],
    ["idleTimeout", "idleTimeoutMs", "a missing unit suffix"],
  ])("%p → %p (%s)", (word, expected) => {
    expect(didYouMean(word, LISTENER_KEYS)).toBe(expected);
  });

  test.each([
    ["colour", "nothing close"],
    ["timeout", "too far from every *TimeoutMs"],
    ["x", "a single letter is not a typo of a three-letter word"],
  ])("%p → null (%s)", (word) => {
    expect(didYouMean(word, [...LISTENER_KEYS, "log"])).toBeNull();
  });

  test("picks the closest of several candidates", () => {
    expect(didYouMean("wait", ["weight", "wain", "waitlist"])).toBe("wain");
  });

  test("short words get a hint within two edits", () => {
    expect(didYouMean("lg", ["log", "shutdown"])).toBe("log");
    expect(didYouMean("inof", ["debug", "info", "warn"])).toBe("info");
  });
});

group("describe (the found value in a message)", () => {
  test.each([
    [undefined, "nothing"],
    [null, "null"],
    ["80a", '"80a"'],
    ["", '""'],
    [80, "80"],
    [1.5, "1.5"],
    [false, "false"],
    [[], "an empty list"],
    [["a"], "a list"],
    [{}, "a table"],
  ])("%p → %s", (value, text) => {
    expect(describe(value)).toBe(text);
  });
});

test("join builds key paths", () => {
  expect(join("", "listeners")).toBe("listeners");
  expect(join("listeners", 0)).toBe("listeners[0]");
  expect(join(join(join("listeners", 0), "backends"), 2)).toBe("listeners[0].backends[2]");
});

/**
 * validateConfig's contract: every problem comes back at once, each naming its
 * key path, what was expected and what was found (plus a "did you mean" hint
 * for near-misses); a valid config comes back whole with every default filled in.
 */
import { describe, expect, test } from "bun:test";
import type { WarrenConfig } from "../../../src/config/schema.ts";
import { validateConfig } from "../../../src/config/validate.ts";
import { ConfigErrors } from "../../../src/errors.ts";

/** One valid listener; each case overrides what it is about. */
const LISTENER = { listen: "127.0.0.1:0", backends: ["127.0.0.1:9501"] };
const withListener = (fields: Record<string, unknown>) => ({ listeners: [{ ...LISTENER, ...fields }] });

function errorsOf(input: unknown): string[] {
  const result = validateConfig(input);
  if (!(result instanceof ConfigErrors)) throw new Error("expected the config to be rejected");
  return result.errors.map((e) => e.message);
}

function valid(input: unknown): WarrenConfig {
  const result = validateConfig(input);
  if (result instanceof ConfigErrors) throw new Error(`expected a valid config:\n${result.message}`);
  return result;
}

const ONE_OF_BALANCE = `expected one of "round-robin", "least-connections", "random-two", "hash"`;
const ONE_OF_LEVEL = `expected one of "debug", "info", "warn", "error", "silent"`;

// [what, input, the full message of every error, in order]
const BAD: [string, unknown, string[]][] = [
  // Addresses
  [
    "a backend that is not HOST:PORT",
    withListener({ backends: ["127.0.0.1:1", "127.0.0.1:2", "localhost:80a"] }),
    [`listeners[0].backends[2]: expected HOST:PORT, got "localhost:80a"`],
  ],
  ["a bare IPv6 backend (must be bracketed)", withListener({ backends: ["::1:80"] }), [`listeners[0].backends[0]: expected HOST:PORT, got "::1:80"`]],
  ["a backend on port 0", withListener({ backends: ["127.0.0.1:0"] }), [`listeners[0].backends[0]: expected HOST:PORT, got "127.0.0.1:0"`]],
  ["a backend port above 65535", withListener({ backends: ["127.0.0.1:65536"] }), [`listeners[0].backends[0]: expected HOST:PORT, got "127.0.0.1:65536"`]],
  ["a backend that is a number", withListener({ backends: [6379] }), [`listeners[0].backends[0]: expected HOST:PORT or a table with an address, got 6379`]],
  ["a backend table without an address", withListener({ backends: [{ weight: 2 }] }), [`listeners[0].backends[0].address: expected HOST:PORT, got nothing`]],
  ["a backend table with a bad address", withListener({ backends: [{ address: "db" }] }), [`listeners[0].backends[0].address: expected HOST:PORT, got "db"`]],
  ["a listen address without a port", withListener({ listen: "127.0.0.1" }), [`listeners[0].listen: expected HOST:PORT, got "127.0.0.1"`]],
  // Unknown keys
  [
    "a misspelt listener key",
    withListener({ conectTimeoutMs: 100 }),
    [`listeners[0].conectTimeoutMs: unknown key, did you mean "connectTimeoutMs"?`],
  ],
  ["a misspelt backend key", withListener({ backends: [{ address: "127.0.0.1:1", wieght: 2 }] }), [`listeners[0].backends[0].wieght: unknown key, did you mean "weight"?`]],
  ["a key in the wrong case", { ...withListener({}), Log: {} }, [`Log: unknown key, did you mean "log"?`]],
  ["a misspelt shutdown key", { ...withListener({}), shutdown: { drainTimeout: 5 } }, [`shutdown.drainTimeout: unknown key, did you mean "drainTimeoutMs"?`]],
  ["an unknown key with nothing close", { ...withListener({}), log: { colour: true } }, [`log.colour: unknown key`]],
  // Wrong types
  ["a number as a string", withListener({ maxConnections: "10" }), [`listeners[0].maxConnections: expected an integer 1..1000000, got "10"`]],
  ["a fraction", withListener({ backends: [{ address: "127.0.0.1:1", weight: 1.5 }] }), [`listeners[0].backends[0].weight: expected an integer 0..1000, got 1.5`]],
  ["a boolean as a string", withListener({ noDelay: "yes" }), [`listeners[0].noDelay: expected true or false, got "yes"`]],
  ["a name that is a number", withListener({ name: 5 }), [`listeners[0].name: expected a non-empty string, got 5`]],
  ["an empty name", withListener({ name: "" }), [`listeners[0].name: expected a non-empty string, got ""`]],
  ["log as a string", { ...withListener({}), log: "debug" }, [`log: expected a table/object, got "debug"`]],
  ["a listener that is a string", { listeners: ["127.0.0.1:80"] }, [`listeners[0]: expected a table/object, got "127.0.0.1:80"`]],
  ["listeners as a table", { listeners: { web: LISTENER } }, [`listeners: expected a list of at least one listener, got a table`]],
  ["the whole config as a list", [LISTENER], [`expected a table/object, got a list`, `listeners: expected a list of at least one listener, got nothing`]],
  // Out of range
  ["a zero connect timeout", withListener({ connectTimeoutMs: 0 }), [`listeners[0].connectTimeoutMs: expected an integer 1..86400000, got 0`]],
  ["a high-water mark below 1 KiB", withListener({ highWaterBytes: 100 }), [`listeners[0].highWaterBytes: expected an integer 1024..1073741824, got 100`]],
  ["an early-data limit above 1 GiB", withListener({ earlyDataBytes: 2 ** 31 }), [`listeners[0].earlyDataBytes: expected an integer 1024..1073741824, got 2147483648`]],
  ["a negative drain timeout", { ...withListener({}), shutdown: { drainTimeoutMs: -1 } }, [`shutdown.drainTimeoutMs: expected an integer 0..86400000, got -1`]],
  ["zero max connections", withListener({ maxConnections: 0 }), [`listeners[0].maxConnections: expected an integer 1..1000000, got 0`]],
  ["a lifetime over a year", withListener({ maxLifetimeMs: 365 * 86_400_000 + 1 }), [`listeners[0].maxLifetimeMs: expected an integer 0..31536000000, got 31536000001`]],
  ["a backend weight over 1000", withListener({ backends: [{ address: "127.0.0.1:1", weight: 1001 }] }), [`listeners[0].backends[0].weight: expected an integer 0..1000, got 1001`]],
  ["zero connects in flight per backend", withListener({ maxConnectingPerBackend: 0 }), [`listeners[0].maxConnectingPerBackend: expected an integer 1..100000, got 0`]],
  ["connects in flight per backend over 100000", withListener({ maxConnectingPerBackend: 100_001 }), [`listeners[0].maxConnectingPerBackend: expected an integer 1..100000, got 100001`]],
  ["connects in flight per backend as a string", withListener({ maxConnectingPerBackend: "64" }), [`listeners[0].maxConnectingPerBackend: expected an integer 1..100000, got "64"`]],
  ["connects in flight per backend as a fraction", withListener({ maxConnectingPerBackend: 2.5 }), [`listeners[0].maxConnectingPerBackend: expected an integer 1..100000, got 2.5`]],
  [
    "a misspelt maxConnectingPerBackend",
    withListener({ maxConnectionPerBackend: 5 }),
    [`listeners[0].maxConnectionPerBackend: unknown key, did you mean "maxConnectingPerBackend"?`],
  ],
  // Choices
  ["a misspelt balance algorithm", withListener({ balance: "round-robbin" }), [`listeners[0].balance: ${ONE_OF_BALANCE}, got "round-robbin" (did you mean "round-robin"?)`]],
  ["a balance that is not a string", withListener({ balance: 3 }), [`listeners[0].balance: ${ONE_OF_BALANCE}, got 3`]],
  ["an unknown log level", { ...withListener({}), log: { level: "verbose" } }, [`log.level: ${ONE_OF_LEVEL}, got "verbose"`]],
  ["a misspelt log level", { ...withListener({}), log: { level: "inof" } }, [`log.level: ${ONE_OF_LEVEL}, got "inof" (did you mean "info"?)`]],
  ["an unknown log format", { ...withListener({}), log: { format: "text" } }, [`log.format: expected one of "pretty", "json", "auto", got "text"`]],
  // Missing and empty
  ["no listeners", {}, [`listeners: expected a list of at least one listener, got nothing`]],
  ["an empty listener list", { listeners: [] }, [`listeners: expected a list of at least one listener, got an empty list`]],
  ["an empty backend list", withListener({ backends: [] }), [`listeners[0].backends: expected a list of at least one backend, got an empty list`]],
  ["no backends", { listeners: [{ listen: "127.0.0.1:0" }] }, [`listeners[0].backends: expected a list of at least one backend, got nothing`]],
  // Uniqueness
  [
    "two listeners with one name",
    { listeners: [{ ...LISTENER, name: "a" }, { ...LISTENER, name: "b" }, { ...LISTENER, name: "a" }] },
    [`listeners[2].name: "a" is already used by listeners[0]`],
  ],
  [
    "two listeners on one fixed address (reported once, not again as a duplicate default name)",
    { listeners: [{ ...LISTENER, listen: "127.0.0.1:7000" }, { ...LISTENER, listen: "127.0.0.1:7000" }] },
    [`listeners[1].listen: 127.0.0.1:7000 is already used by listeners[0]`],
  ],
  [
    "two named listeners on one fixed address",
    { listeners: [{ ...LISTENER, name: "a", listen: "[::1]:7000" }, { ...LISTENER, name: "b", listen: "[::1]:7000" }] },
    [`listeners[1].listen: [::1]:7000 is already used by listeners[0]`],
  ],
  [
    "two unnamed port-0 listeners (their default names collide)",
    { listeners: [LISTENER, LISTENER] },
    [`listeners[1].name: "127.0.0.1:0" (the default: the listen address) is already used by listeners[0]; give each listener a name`],
  ],
  [
    "two listeners with bad addresses (no spurious duplicate-name error)",
    { listeners: [{ ...LISTENER, listen: "x" }, { ...LISTENER, listen: "y" }] },
    [`listeners[0].listen: expected HOST:PORT, got "x"`, `listeners[1].listen: expected HOST:PORT, got "y"`],
  ],
];

describe("validateConfig rejects", () => {
  test.each(BAD)("%s", (_what, input, messages) => {
    expect(errorsOf(input)).toEqual(messages);
  });
});

test("every problem is reported together, in key order, each prefixed with the source", () => {
  const input = {
    log: { level: "loud", colour: true },
    shutdown: { drainTimeoutMs: "30s" },
    listeners: [
      { name: "web", listen: "0.0.0.0:80", backends: ["10.0.0.1:8080", "10.0.0.2"], balance: "fastest" },
      { name: "web", listen: "0.0.0.0:80", backends: [] },
    ],
  };
  const result = validateConfig(input, "/etc/warren.toml");
  expect(result).toBeInstanceOf(ConfigErrors);
  const errors = result as ConfigErrors;
  expect(errors.code).toBe("CONFIG_INVALID");
  expect(errors.errors.map((e) => e.path)).toEqual([
    "log.colour",
    "log.level",
    "shutdown.drainTimeoutMs",
    "listeners[0].backends[1]",
    "listeners[0].balance",
    "listeners[1].backends",
    "listeners[1].listen",
    "listeners[1].name",
  ]);
  expect(errors.message).toBe(
    [
      `/etc/warren.toml: log.colour: unknown key`,
      `/etc/warren.toml: log.level: ${ONE_OF_LEVEL}, got "loud"`,
      `/etc/warren.toml: shutdown.drainTimeoutMs: expected an integer 0..86400000, got "30s"`,
      `/etc/warren.toml: listeners[0].backends[1]: expected HOST:PORT, got "10.0.0.2"`,
      `/etc/warren.toml: listeners[0].balance: ${ONE_OF_BALANCE}, got "fastest"`,
      `/etc/warren.toml: listeners[1].backends: expected a list of at least one backend, got an empty list`,
      `/etc/warren.toml: listeners[1].listen: 0.0.0.0:80 is already used by listeners[0]`,
      `/etc/warren.toml: listeners[1].name: "web" is already used by listeners[0]`,
    ].join("\n"),
  );
});

test("a minimal config gets every default", () => {
  expect(valid({ listeners: [{ backends: ["127.0.0.1:9501"] }] })).toEqual({
    log: { level: "info", format: "auto", access: true },
    shutdown: { drainTimeoutMs: 30_000 },
    listeners: [
      {
        name: "127.0.0.1:9509",
        listen: { host: "127.0.0.1", port: 9509 },
        backends: [{ address: { host: "127.0.0.1", port: 9501 }, weight: 1, maxConnections: 0, drain: false }],
        balance: "round-robin",
        maxConnections: 10_000,
        connectTimeoutMs: 5_000,
        idleTimeoutMs: 600_000,
        maxLifetimeMs: 0,
        highWaterBytes: 262_144,
        earlyDataBytes: 262_144,
        noDelay: true,
        keepAliveMs: 0,
        allow: [],
        deny: [],
        maxConnectionsPerClient: 0,
        connectAttempts: 3,
        maxConnectingPerBackend: 256,
        queueSize: 1000,
        queueTimeoutMs: 5_000,
        health: {
          passive: { failures: 3, cooldownMs: 10_000 },
          active: { enabled: false, intervalMs: 2_000, timeoutMs: 1_000, rise: 2, fall: 3, send: null, expect: null },
        },
        mode: "tunnel",
        pool: null,
        proxyProtocol: null,
        sendProxy: null,
      },
    ],
  });
});

describe("validateConfig accepts", () => {
  test("an IPv6 listen address and backend in brackets; the default name keeps the brackets", () => {
    const l = valid({ listeners: [{ listen: "[::1]:0", backends: ["[::1]:80", { address: "[fe80::1%eth0]:6379" }] }] }).listeners[0]!;
    expect(l.listen).toEqual({ host: "::1", port: 0 });
    expect(l.name).toBe("[::1]:0");
    expect(l.backends.map((b) => b.address)).toEqual([
      { host: "::1", port: 80 },
      { host: "fe80::1%eth0", port: 6379 },
    ]);
  });

  test("port 0 for a listen address (the OS picks a free port)", () => {
    expect(valid(withListener({ listen: "0.0.0.0:0" })).listeners[0]!.listen).toEqual({ host: "0.0.0.0", port: 0 });
  });

  test("hostnames, and the bounds of every range", () => {
    const l = valid(
      withListener({
        backends: [{ address: "db.internal:65535", weight: 0, maxConnections: 1_000_000, drain: true }],
        maxConnections: 1,
        connectTimeoutMs: 86_400_000,
        idleTimeoutMs: 0,
        highWaterBytes: 1024,
        earlyDataBytes: 1 << 30,
        keepAliveMs: 0,
      }),
    ).listeners[0]!;
    expect(l.backends[0]).toEqual({ address: { host: "db.internal", port: 65535 }, weight: 0, maxConnections: 1_000_000, drain: true });
    expect([l.maxConnections, l.connectTimeoutMs, l.highWaterBytes, l.earlyDataBytes]).toEqual([1, 86_400_000, 1024, 1 << 30]);
  });

  test("maxConnectingPerBackend at both ends of its range", () => {
    expect(valid(withListener({ maxConnectingPerBackend: 1 })).listeners[0]!.maxConnectingPerBackend).toBe(1);
    expect(valid(withListener({ maxConnectingPerBackend: 100_000 })).listeners[0]!.maxConnectingPerBackend).toBe(100_000);
  });

  test("several unnamed listeners on distinct fixed addresses, named after them", () => {
    const config = valid({ listeners: [{ ...LISTENER, listen: "127.0.0.1:7001" }, { ...LISTENER, listen: "127.0.0.1:7002" }] });
    expect(config.listeners.map((l) => l.name)).toEqual(["127.0.0.1:7001", "127.0.0.1:7002"]);
  });
});

test('without a source name, messages are prefixed "config"', () => {
  expect((validateConfig({}) as ConfigErrors).message).toBe("config: listeners: expected a list of at least one listener, got nothing");
});

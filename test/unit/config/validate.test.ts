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
  // Discovery: SRV entries, [dns], resolve
  [
    "an srv entry that also gives address and weight",
    withListener({ backends: [{ srv: "_redis._tcp.example.internal", address: "10.0.0.1:6379", weight: 2 }] }),
    [
      "listeners[0].backends[0].address: not with srv: the SRV records give each server's host and port",
      "listeners[0].backends[0].weight: not with srv: the SRV records give each server's weight",
    ],
  ],
  [
    "an srv that is not a name",
    withListener({ backends: [{ srv: 42 }, { srv: "_a b._tcp" }] }),
    [
      `listeners[0].backends[0].srv: expected an SRV name like "_redis._tcp.example.internal", got 42`,
      `listeners[0].backends[1].srv: "a b.tcp" is not a valid host name: labels are letters, digits and hyphens (not first or last)`,
    ],
  ],
  [
    "a DNS server given by name, and one that is no address",
    { listeners: [{ backends: ["127.0.0.1:1"] }], dns: { servers: ["ns1.example.com", "300.0.0.1:53", 53], timeoutMs: 10 } },
    [
      `dns.servers[0]: a DNS server is an IP address, got the name "ns1.example.com"`,
      `dns.servers[1]: expected HOST:PORT, got "300.0.0.1:53": "300.0.0.1" is not an IPv4 address: each of its 4 numbers must be 0..255`,
      `dns.servers[2]: expected "HOST" or "HOST:PORT", got 53`,
      "dns.timeoutMs: expected an integer 100..60000, got 10",
    ],
  ],
  [
    "a resolve mode that does not exist, and a resolve interval below a second",
    withListener({ resolve: "frist", resolveIntervalMs: 10 }),
    [
      `listeners[0].resolve: expected one of "all", "first", got "frist" (did you mean "first"?)`,
      "listeners[0].resolveIntervalMs: expected an integer 1000..86400000, got 10",
    ],
  ],
  // Addresses
  [
    "a backend that is not HOST:PORT",
    withListener({ backends: ["127.0.0.1:1", "127.0.0.1:2", "localhost:80a"] }),
    [`listeners[0].backends[2]: expected HOST:PORT, got "localhost:80a": port must be a number 1..65535`],
  ],
  [
    "a bare IPv6 backend (must be bracketed)",
    withListener({ backends: ["::1:6379"] }),
    [`listeners[0].backends[0]: expected HOST:PORT, got "::1:6379": IPv6 addresses go in brackets: [::1]:6379`],
  ],
  [
    "a backend on port 0",
    withListener({ backends: ["127.0.0.1:0"] }),
    [`listeners[0].backends[0]: expected HOST:PORT, got "127.0.0.1:0": port must be 1..65535 (port 0 is only for listen addresses)`],
  ],
  [
    "a backend port above 65535",
    withListener({ backends: ["127.0.0.1:65536"] }),
    [`listeners[0].backends[0]: expected HOST:PORT, got "127.0.0.1:65536": port must be 1..65535`],
  ],
  [
    "a listen port above 65535",
    withListener({ listen: "127.0.0.1:99999" }),
    [`listeners[0].listen: expected HOST:PORT, got "127.0.0.1:99999": port must be 0..65535 (0 picks a free port)`],
  ],
  [
    "a listen address that is no IPv4 address",
    withListener({ listen: "300.1.1.1:7000" }),
    [
      `listeners[0].listen: expected HOST:PORT, got "300.1.1.1:7000": "300.1.1.1" is not an IPv4 address: each of its 4 numbers must be 0..255`,
    ],
  ],
  [
    "a backend host that is no IPv4 address",
    withListener({ backends: ["256.0.0.1:80"] }),
    [
      `listeners[0].backends[0]: expected HOST:PORT, got "256.0.0.1:80": "256.0.0.1" is not an IPv4 address: each of its 4 numbers must be 0..255`,
    ],
  ],
  [
    "a 100,000-character host name (the message stays short)",
    withListener({ backends: [`${"b".repeat(100_000)}:80`] }),
    [
      `listeners[0].backends[0]: expected HOST:PORT, got "${"b".repeat(60)}…" (100003 characters): a host name is at most 253 characters, this one is 100000`,
    ],
  ],
  [
    "a host name with a character no name has",
    withListener({ backends: ["db/1:80"] }),
    [
      `listeners[0].backends[0]: expected HOST:PORT, got "db/1:80": "db/1" is not a valid host name: labels are letters, digits and hyphens (not first or last)`,
    ],
  ],
  [
    "a backend that is a number",
    withListener({ backends: [6379] }),
    [`listeners[0].backends[0]: expected HOST:PORT or a table with an address, got 6379`],
  ],
  [
    "a backend table without an address",
    withListener({ backends: [{ weight: 2 }] }),
    [`listeners[0].backends[0].address: expected HOST:PORT (or an srv name instead), got nothing`],
  ],
  [
    "a backend table with a bad address",
    withListener({ backends: [{ address: "db" }] }),
    [`listeners[0].backends[0].address: expected HOST:PORT, got "db": no ":PORT"`],
  ],
  [
    "a listen address without a port",
    withListener({ listen: "127.0.0.1" }),
    [`listeners[0].listen: expected HOST:PORT, got "127.0.0.1": no ":PORT"`],
  ],
  // Unknown keys
  [
    "a misspelt listener key",
    withListener({ conectTimeoutMs: 100 }),
    [`listeners[0].conectTimeoutMs: unknown key, did you mean "connectTimeoutMs"?`],
  ],
  [
    "a misspelt backend key",
    withListener({ backends: [{ address: "127.0.0.1:1", wieght: 2 }] }),
    [`listeners[0].backends[0].wieght: unknown key, did you mean "weight"?`],
  ],
  ["a key in the wrong case", { ...withListener({}), Log: {} }, [`Log: unknown key, did you mean "log"?`]],
  [
    "a misspelt shutdown key",
    { ...withListener({}), shutdown: { drainTimeout: 5 } },
    [`shutdown.drainTimeout: unknown key, did you mean "drainTimeoutMs"?`],
  ],
  ["an unknown key with nothing close", { ...withListener({}), log: { colour: true } }, [`log.colour: unknown key`]],
  // Wrong types
  [
    "a number as a string",
    withListener({ maxConnections: "10" }),
    [`listeners[0].maxConnections: expected an integer 1..1000000, got "10"`],
  ],
  [
    "a fraction",
    withListener({ backends: [{ address: "127.0.0.1:1", weight: 1.5 }] }),
    [`listeners[0].backends[0].weight: expected an integer 0..1000, got 1.5`],
  ],
  ["a boolean as a string", withListener({ noDelay: "yes" }), [`listeners[0].noDelay: expected true or false, got "yes"`]],
  ["a name that is a number", withListener({ name: 5 }), [`listeners[0].name: expected a non-empty string, got 5`]],
  ["an empty name", withListener({ name: "" }), [`listeners[0].name: expected a non-empty string, got ""`]],
  ["log as a string", { ...withListener({}), log: "debug" }, [`log: expected a table/object, got "debug"`]],
  ["a listener that is a string", { listeners: ["127.0.0.1:80"] }, [`listeners[0]: expected a table/object, got "127.0.0.1:80"`]],
  ["listeners as a table", { listeners: { web: LISTENER } }, [`listeners: expected a list of at least one listener, got a table`]],
  [
    "the whole config as a list",
    [LISTENER],
    [`expected a table/object, got a list`, `listeners: expected a list of at least one listener, got nothing`],
  ],
  // Out of range
  [
    "a zero connect timeout",
    withListener({ connectTimeoutMs: 0 }),
    [`listeners[0].connectTimeoutMs: expected an integer 1..86400000, got 0`],
  ],
  [
    "a high-water mark below 1 KiB",
    withListener({ highWaterBytes: 100 }),
    [`listeners[0].highWaterBytes: expected an integer 1024..1073741824, got 100`],
  ],
  [
    "an early-data limit above 1 GiB",
    withListener({ earlyDataBytes: 2 ** 31 }),
    [`listeners[0].earlyDataBytes: expected an integer 1024..1073741824, got 2147483648`],
  ],
  [
    "a negative drain timeout",
    { ...withListener({}), shutdown: { drainTimeoutMs: -1 } },
    [`shutdown.drainTimeoutMs: expected an integer 0..86400000, got -1`],
  ],
  ["zero max connections", withListener({ maxConnections: 0 }), [`listeners[0].maxConnections: expected an integer 1..1000000, got 0`]],
  [
    "a lifetime over a year",
    withListener({ maxLifetimeMs: 365 * 86_400_000 + 1 }),
    [`listeners[0].maxLifetimeMs: expected an integer 0..31536000000, got 31536000001`],
  ],
  [
    "a backend weight over 1000",
    withListener({ backends: [{ address: "127.0.0.1:1", weight: 1001 }] }),
    [`listeners[0].backends[0].weight: expected an integer 0..1000, got 1001`],
  ],
  [
    "zero connects in flight per backend",
    withListener({ maxConnectingPerBackend: 0 }),
    [`listeners[0].maxConnectingPerBackend: expected an integer 1..100000, got 0`],
  ],
  [
    "connects in flight per backend over 100000",
    withListener({ maxConnectingPerBackend: 100_001 }),
    [`listeners[0].maxConnectingPerBackend: expected an integer 1..100000, got 100001`],
  ],
  [
    "connects in flight per backend as a string",
    withListener({ maxConnectingPerBackend: "64" }),
    [`listeners[0].maxConnectingPerBackend: expected an integer 1..100000, got "64"`],
  ],
  [
    "connects in flight per backend as a fraction",
    withListener({ maxConnectingPerBackend: 2.5 }),
    [`listeners[0].maxConnectingPerBackend: expected an integer 1..100000, got 2.5`],
  ],
  [
    "a misspelt maxConnectingPerBackend",
    withListener({ maxConnectionPerBackend: 5 }),
    [`listeners[0].maxConnectionPerBackend: unknown key, did you mean "maxConnectingPerBackend"?`],
  ],
  // Choices
  [
    "a misspelt balance algorithm",
    withListener({ balance: "round-robbin" }),
    [`listeners[0].balance: ${ONE_OF_BALANCE}, got "round-robbin" (did you mean "round-robin"?)`],
  ],
  ["a balance that is not a string", withListener({ balance: 3 }), [`listeners[0].balance: ${ONE_OF_BALANCE}, got 3`]],
  ["an unknown log level", { ...withListener({}), log: { level: "verbose" } }, [`log.level: ${ONE_OF_LEVEL}, got "verbose"`]],
  [
    "a misspelt log level",
    { ...withListener({}), log: { level: "inof" } },
    [`log.level: ${ONE_OF_LEVEL}, got "inof" (did you mean "info"?)`],
  ],
  [
    "an unknown log format",
    { ...withListener({}), log: { format: "text" } },
    [`log.format: expected one of "pretty", "json", "auto", got "text"`],
  ],
  // Missing and empty
  ["no listeners", {}, [`listeners: expected a list of at least one listener, got nothing`]],
  ["an empty listener list", { listeners: [] }, [`listeners: expected a list of at least one listener, got an empty list`]],
  [
    "an empty backend list",
    withListener({ backends: [] }),
    [`listeners[0].backends: expected a list of at least one backend, got an empty list`],
  ],
  [
    "no backends",
    { listeners: [{ listen: "127.0.0.1:0" }] },
    [`listeners[0].backends: expected a list of at least one backend, got nothing`],
  ],
  // Uniqueness
  [
    "two listeners with one name",
    {
      listeners: [
        { ...LISTENER, name: "a" },
        { ...LISTENER, name: "b" },
        { ...LISTENER, name: "a" },
      ],
    },
    [`listeners[2].name: "a" is already used by listeners[0]`],
  ],
  [
    "two listeners on one fixed address (reported once, not again as a duplicate default name)",
    {
      listeners: [
        { ...LISTENER, listen: "127.0.0.1:7000" },
        { ...LISTENER, listen: "127.0.0.1:7000" },
      ],
    },
    [`listeners[1].listen: 127.0.0.1:7000 is already used by listeners[0]`],
  ],
  [
    "two named listeners on one fixed address",
    {
      listeners: [
        { ...LISTENER, name: "a", listen: "[::1]:7000" },
        { ...LISTENER, name: "b", listen: "[::1]:7000" },
      ],
    },
    [`listeners[1].listen: [::1]:7000 is already used by listeners[0]`],
  ],
  [
    "two unnamed port-0 listeners (their default names collide)",
    { listeners: [LISTENER, LISTENER] },
    [`listeners[1].name: "127.0.0.1:0" (the default: the listen address) is already used by listeners[0]; give each listener a name`],
  ],
  [
    "0.0.0.0:P beside 127.0.0.1:P: a clash inside the file, not another process",
    {
      listeners: [
        { ...LISTENER, listen: "0.0.0.0:7000" },
        { ...LISTENER, listen: "127.0.0.1:7000" },
      ],
    },
    [
      `listeners[1].listen: 127.0.0.1:7000 clashes with listeners[0]'s 0.0.0.0:7000: 0.0.0.0:7000 listens on every IPv4 address of port 7000, so both cannot bind; use one, or different ports`,
    ],
  ],
  [
    "a specific address first, the wildcard after it",
    {
      listeners: [
        { ...LISTENER, listen: "127.0.0.1:7000" },
        { ...LISTENER, listen: "0.0.0.0:7000" },
      ],
    },
    [
      `listeners[1].listen: 0.0.0.0:7000 clashes with listeners[0]'s 127.0.0.1:7000: 0.0.0.0:7000 listens on every IPv4 address of port 7000, so both cannot bind; use one, or different ports`,
    ],
  ],
  [
    "[::]:P beside an IPv4 address on P (dual-stack)",
    {
      listeners: [
        { ...LISTENER, listen: "[::]:7000" },
        { ...LISTENER, listen: "10.0.0.1:7000" },
        { ...LISTENER, listen: "[::1]:7000" },
      ],
    },
    [
      `listeners[1].listen: 10.0.0.1:7000 clashes with listeners[0]'s [::]:7000: [::]:7000 listens on every IPv6 and IPv4 address of port 7000, so both cannot bind; use one, or different ports`,
      `listeners[2].listen: [::1]:7000 clashes with listeners[0]'s [::]:7000: [::]:7000 listens on every IPv6 and IPv4 address of port 7000, so both cannot bind; use one, or different ports`,
    ],
  ],
  [
    "two listeners with bad addresses (no spurious duplicate-name error)",
    {
      listeners: [
        { ...LISTENER, listen: "x" },
        { ...LISTENER, listen: "y" },
      ],
    },
    [`listeners[0].listen: expected HOST:PORT, got "x": no ":PORT"`, `listeners[1].listen: expected HOST:PORT, got "y": no ":PORT"`],
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
      `/etc/warren.toml: listeners[0].backends[1]: expected HOST:PORT, got "10.0.0.2": no ":PORT"`,
      `/etc/warren.toml: listeners[0].balance: ${ONE_OF_BALANCE}, got "fastest"`,
      `/etc/warren.toml: listeners[1].backends: expected a list of at least one backend, got an empty list`,
      `/etc/warren.toml: listeners[1].listen: 0.0.0.0:80 is already used by listeners[0]`,
      `/etc/warren.toml: listeners[1].name: "web" is already used by listeners[0]`,
    ].join("\n"),
  );
});

test("a minimal config gets every default", () => {
  expect(valid({ listeners: [{ backends: ["127.0.0.1:9501"] }] })).toEqual({
    workers: 1,
    log: { level: "info", format: "auto", access: true, file: null },
    shutdown: { drainTimeoutMs: 30_000 },
    admin: { enabled: true, listen: { host: "127.0.0.1", port: 9510 }, listenConfigured: false, token: null },
    listeners: [
      {
        name: "127.0.0.1:9509",
        listen: { host: "127.0.0.1", port: 9509 },
        backends: [{ address: { host: "127.0.0.1", port: 9501 }, srv: null, weight: 1, maxConnections: 0, drain: false }],
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
        resolve: "all",
        resolveIntervalMs: 30_000,
        mode: "tunnel",
        pool: null,
        proxyProtocol: null,
        sendProxy: null,
        routes: [],
        clientHello: { maxBytes: 16_384, timeoutMs: 5_000 },
        socketMode: null,
        tls: null,
        backendTls: null,
      },
    ],
    dns: { servers: [], timeoutMs: 2_000 },
  });
});

describe("validateConfig accepts", () => {
  test("DNS servers with and without a port (53 by default), IPv4 and IPv6", () => {
    const dns = valid({
      listeners: [{ backends: ["127.0.0.1:1"] }],
      dns: { servers: ["127.0.0.1", "127.0.0.1:5353", "::1", "[::1]:5353"] },
    }).dns;
    expect(dns.servers).toEqual([
      { host: "127.0.0.1", port: 53 },
      { host: "127.0.0.1", port: 5353 },
      { host: "::1", port: 53 },
      { host: "::1", port: 5353 },
    ]);
  });

  test("an srv entry with its own limits; a host name entry", () => {
    const l = valid(
      withListener({ backends: [{ srv: "_redis._tcp.example.internal", maxConnections: 5, drain: true }, "db.internal:5432"] }),
    ).listeners[0]!;
    expect(l.backends).toEqual([
      {
        address: { host: "_redis._tcp.example.internal", port: 0 },
        srv: "_redis._tcp.example.internal",
        weight: 1,
        maxConnections: 5,
        drain: true,
      },
      { address: { host: "db.internal", port: 5432 }, srv: null, weight: 1, maxConnections: 0, drain: false },
    ]);
  });

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
    expect(l.backends[0]).toEqual({
      address: { host: "db.internal", port: 65535 },
      srv: null,
      weight: 0,
      maxConnections: 1_000_000,
      drain: true,
    });
    expect([l.maxConnections, l.connectTimeoutMs, l.highWaterBytes, l.earlyDataBytes]).toEqual([1, 86_400_000, 1024, 1 << 30]);
  });

  test("maxConnectingPerBackend at both ends of its range", () => {
    expect(valid(withListener({ maxConnectingPerBackend: 1 })).listeners[0]!.maxConnectingPerBackend).toBe(1);
    expect(valid(withListener({ maxConnectingPerBackend: 100_000 })).listeners[0]!.maxConnectingPerBackend).toBe(100_000);
  });

  test("addresses that do not clash: 127.0.0.1 and [::1] on one port, a wildcard on another port, wildcards on port 0", () => {
    const config = valid({
      listeners: [
        { ...LISTENER, listen: "127.0.0.1:7000" },
        { ...LISTENER, listen: "[::1]:7000" },
        { ...LISTENER, listen: "0.0.0.0:7001" },
        { ...LISTENER, name: "any-a", listen: "0.0.0.0:0" },
        { ...LISTENER, name: "any-b", listen: "[::]:0" },
        { ...LISTENER, name: "local", listen: "127.0.0.1:0" },
      ],
    });
    expect(config.listeners).toHaveLength(6);
  });

  test("host names: RFC 1123 labels, a trailing dot, and underscores (Docker and Compose service names)", () => {
    const l = valid(withListener({ backends: ["db-1.internal:5432", "db.example.com.:5432", "redis_cache:6379"] })).listeners[0]!;
    expect(l.backends.map((b) => b.address.host)).toEqual(["db-1.internal", "db.example.com.", "redis_cache"]);
  });

  test("several unnamed listeners on distinct fixed addresses, named after them", () => {
    const config = valid({
      listeners: [
        { ...LISTENER, listen: "127.0.0.1:7001" },
        { ...LISTENER, listen: "127.0.0.1:7002" },
      ],
    });
    expect(config.listeners.map((l) => l.name)).toEqual(["127.0.0.1:7001", "127.0.0.1:7002"]);
  });
});

test('without a source name, messages are prefixed "config"', () => {
  expect((validateConfig({}) as ConfigErrors).message).toBe("config: listeners: expected a list of at least one listener, got nothing");
});

/**
 * Integers. Bun.TOML.parse hands the validator a plain JS number: `1000`, `1000.0`, `1e3` and
 * `1_000` all arrive as 1000 (pinned below), and JSON has one number type, so `1000.0` in JSON
 * is the number 1000 by definition. The validator cannot see how the number was written, and
 * accepts a float that is exactly an integer in range; fractions, non-finite values, numbers
 * beyond 2^53 and numbers written as strings are refused.
 */
describe("integers", () => {
  test("Bun.TOML.parse gives the same number for 1000, 1000.0, 1e3 and 1_000 (why an integral float is accepted)", () => {
    expect(Bun.TOML.parse("a = 1000\nb = 1000.0\nc = 1e3\nd = 1_000\n")).toEqual({ a: 1000, b: 1000, c: 1000, d: 1000 });
    expect(JSON.parse(`{"a": 1000.0}`)).toEqual({ a: 1000 });
    expect(
      valid(withListener({ connectTimeoutMs: (Bun.TOML.parse("x = 1000.0") as { x: unknown }).x })).listeners[0]!.connectTimeoutMs,
    ).toBe(1000);
  });

  test.each([
    ["a fraction", 1000.5, "1000.5"],
    ["infinity", Number.POSITIVE_INFINITY, "Infinity"],
    ["NaN", Number.NaN, "NaN"],
    ["a string of digits", "1000", `"1000"`],
  ])("refuses %s", (_what, value, shown) => {
    expect(errorsOf(withListener({ connectTimeoutMs: value }))).toEqual([
      `listeners[0].connectTimeoutMs: expected an integer 1..86400000, got ${shown}`,
    ]);
  });

  test("a TOML integer beyond 2^53 is a syntax error from the parser, before validation", () => {
    expect(() => Bun.TOML.parse("a = 9007199254740993")).toThrow("losslessly");
  });
});

describe("a mistyped mode does not hide the listener's other errors", () => {
  test('mode = "pooled": the mode error, then the pool table checked as for "pool"', () => {
    const input = withListener({
      mode: "pooled",
      pool: { framer: { kind: "resp", maxFrameBytes: "big" }, maxPerBackend: 0, multiplex: "yes", queueSize: -1 },
    });
    expect(errorsOf(input)).toEqual([
      `listeners[0].mode: expected one of "tunnel", "pool", got "pooled" (did you mean "pool"?)`,
      `listeners[0].pool.framer.maxFrameBytes: expected an integer >= 3 or Infinity, got "big"`,
      `listeners[0].pool.maxPerBackend: expected an integer 1..10000, got 0`,
      `listeners[0].pool.queueSize: expected an integer 0..1000000, got -1`,
      `listeners[0].pool.multiplex: expected true or false, got "yes"`,
    ]);
  });

  test("a mode with no near-miss is checked as pool when a pool table is there, as tunnel when not", () => {
    expect(errorsOf(withListener({ mode: "fancy", pool: { framer: { kind: "resp" }, maxPerBackend: 0 } }))).toEqual([
      `listeners[0].mode: expected one of "tunnel", "pool", got "fancy"`,
      `listeners[0].pool.maxPerBackend: expected an integer 1..10000, got 0`,
    ]);
    expect(errorsOf(withListener({ mode: "fancy", maxConnections: 0 }))).toEqual([
      `listeners[0].maxConnections: expected an integer 1..1000000, got 0`,
      `listeners[0].mode: expected one of "tunnel", "pool", got "fancy"`,
    ]);
  });

  test('"tunel" is taken as tunnel: a pool table beside it is not reported as misplaced', () => {
    expect(errorsOf(withListener({ mode: "tunel", pool: { framer: { kind: "resp" } } }))).toEqual([
      `listeners[0].mode: expected one of "tunnel", "pool", got "tunel" (did you mean "tunnel"?)`,
    ]);
  });
});

/**
 * SNI routing keys of a listener, `routes` and `clientHello`: defaults, names lower-cased, and every
 * problem named by its key path with what was expected and why.
 */
import { expect, test } from "bun:test";
import { validateConfig } from "../../../src/config/validate.ts";
import { ConfigErrors } from "../../../src/errors.ts";
import { DEFAULTS } from "../../../src/defaults.ts";

const LISTENER = { listen: "127.0.0.1:0", backends: ["127.0.0.1:9501"] };

function check(fields: Record<string, unknown>) {
  return validateConfig({ listeners: [{ ...LISTENER, ...fields }] });
}

function errorsOf(fields: Record<string, unknown>): string[] {
  const r = check(fields);
  if (!(r instanceof ConfigErrors)) throw new Error("expected the config to be rejected");
  return r.errors.map((e) => e.message);
}

test("no routes unless asked; clientHello takes its defaults", () => {
  const off = check({});
  if (off instanceof ConfigErrors) throw off;
  expect(off.listeners[0]).toMatchObject({ routes: [], clientHello: { ...DEFAULTS.clientHello } });
});

test("routes are read with their backends; names lower-cased, a trailing dot dropped", () => {
  const on = check({
    routes: [
      { sni: "A.Example.COM.", backends: ["127.0.0.1:8443", { address: "127.0.0.1:8444", weight: 2 }] },
      { sni: "*.example.com", backends: ["127.0.0.1:9443"] },
    ],
    clientHello: { maxBytes: 4096, timeoutMs: 1000 },
  });
  if (on instanceof ConfigErrors) throw on;
  const l = on.listeners[0]!;
  expect(l.routes.map((r) => [r.sni, r.backends.map((b) => `${b.address.host}:${b.address.port}/${b.weight}`)])).toEqual([
    ["a.example.com", ["127.0.0.1:8443/1", "127.0.0.1:8444/2"]],
    ["*.example.com", ["127.0.0.1:9443/1"]],
  ]);
  expect(l.clientHello).toEqual({ maxBytes: 4096, timeoutMs: 1000 });
});

test("with routes the listener's own backends (the default route) may be left out", () => {
  const r = validateConfig({ listeners: [{ listen: "127.0.0.1:0", routes: [{ sni: "a.example.com", backends: ["127.0.0.1:1"] }] }] });
  if (r instanceof ConfigErrors) throw r;
  expect(r.listeners[0]!.backends).toEqual([]);
  expect(validateConfig({ listeners: [{ listen: "127.0.0.1:0", backends: [] }] })).toBeInstanceOf(ConfigErrors);
});

test("bad patterns are named with what a pattern may be", () => {
  const cases: [unknown, string][] = [
    [42, 'listeners[0].routes[0].sni: expected a server name like "a.example.com" or a wildcard like "*.example.com", got 42'],
    ["a.*.com", '"*" may only stand alone as the first label'],
    ["*a.com", '"*" may only stand alone as the first label'],
    ["10.0.0.1", "SNI carries host names only"],
    ["a..com", "empty label"],
  ];
  for (const [sni, message] of cases) {
    const [got] = errorsOf({ routes: [{ sni, backends: ["127.0.0.1:1"] }] });
    expect(got).toContain(message);
    expect(got).toStartWith("listeners[0].routes[0].sni: ");
  }
});

test("a name given twice, in any case, is named with the route it repeats", () => {
  expect(
    errorsOf({
      routes: [
        { sni: "a.com", backends: ["127.0.0.1:1"] },
        { sni: "A.COM", backends: ["127.0.0.1:2"] },
      ],
    }),
  ).toEqual(['listeners[0].routes[1].sni: "a.com" is already routes[0]\'s (names are case-insensitive)']);
});

test("a route needs backends; an SRV entry, an unknown key and a bad address are each named", () => {
  expect(errorsOf({ routes: [{ sni: "a.com" }] })).toEqual([
    "listeners[0].routes[0].backends: expected a list of at least one backend, got nothing",
  ]);
  expect(errorsOf({ routes: [{ sni: "a.com", backends: [{ srv: "_x._tcp.example.com" }] }] })[0]).toStartWith(
    "listeners[0].routes[0].backends[0].srv: SRV entries are for a listener's own backends",
  );
  expect(errorsOf({ routes: [{ sni: "a.com", backend: ["127.0.0.1:1"], backends: ["127.0.0.1:1"] }] })[0]).toContain(
    "listeners[0].routes[0].backend",
  );
  expect(errorsOf({ routes: [{ sni: "a.com", backends: ["127.0.0.1:0"] }] })[0]).toStartWith(
    "listeners[0].routes[0].backends[0]: expected HOST:PORT",
  );
  expect(errorsOf({ routes: "a.com" })).toEqual([
    'listeners[0].routes: expected a list of { sni = "a.example.com", backends = [...] } tables, got "a.com"',
  ]);
  expect(errorsOf({ routes: [] })).toEqual([
    "listeners[0].routes: expected at least one route; leave routes out for a listener without SNI routing",
  ]);
});

test("routes on a pooled listener are refused, saying why", () => {
  const [message] = errorsOf({ mode: "pool", pool: { framer: { kind: "resp" } }, routes: [{ sni: "a.com", backends: ["127.0.0.1:1"] }] });
  expect(message).toStartWith(
    'listeners[0].routes: cannot be used with mode = "pool": a route is chosen per connection from its TLS ClientHello',
  );
  expect(message).toContain('use mode = "tunnel"');
});

test("clientHello bounds are checked, and it is refused without routes", () => {
  const routes = [{ sni: "a.com", backends: ["127.0.0.1:1"] }];
  expect(errorsOf({ routes, clientHello: { maxBytes: 10 } })).toEqual([
    "listeners[0].clientHello.maxBytes: expected an integer 512..1048576, got 10",
  ]);
  expect(errorsOf({ routes, clientHello: { timeout: 10 } })[0]).toContain("listeners[0].clientHello.timeout");
  expect(errorsOf({ clientHello: { timeoutMs: 10 } })).toEqual([
    "listeners[0].clientHello: only with routes: it bounds the ClientHello warren reads to pick a route, and without routes none is read",
  ]);
});

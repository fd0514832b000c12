/**
 * The edge keys of a listener, `proxyProtocol` and `sendProxy`: defaults, and every problem named by its
 * key path with what was expected and why.
 */
import { expect, test } from "bun:test";
import { validateConfig } from "../../../src/config/validate.ts";
import { ConfigErrors } from "../../../src/errors.ts";
import { DEFAULTS } from "../../../src/defaults.ts";

const LISTENER = { listen: "127.0.0.1:0", backends: ["127.0.0.1:9501"] };
const POOL = { mode: "pool", pool: { framer: { kind: "resp" } } };

function check(fields: Record<string, unknown>) {
  return validateConfig({ listeners: [{ ...LISTENER, ...fields }] });
}

function errorsOf(fields: Record<string, unknown>): string[] {
  const r = check(fields);
  if (!(r instanceof ConfigErrors)) throw new Error("expected the config to be rejected");
  return r.errors.map((e) => e.message);
}

test("off unless asked; a table with only `trusted` takes every other default", () => {
  const off = check({});
  if (off instanceof ConfigErrors) throw off;
  expect(off.listeners[0]).toMatchObject({ proxyProtocol: null, sendProxy: null });
  const on = check({ proxyProtocol: { trusted: ["10.0.0.0/8", "2001:db8::/32"] }, sendProxy: "v1" });
  if (on instanceof ConfigErrors) throw on;
  const pp = on.listeners[0]!.proxyProtocol!;
  expect({ accept: pp.accept, timeoutMs: pp.timeoutMs, untrusted: pp.untrusted }).toEqual({ ...DEFAULTS.proxyProtocol });
  expect(pp.trusted.map((r) => r.text)).toEqual(["10.0.0.0/8", "2001:db8::/32"]);
  expect(on.listeners[0]!.sendProxy).toBe("v1");
});

test("a pooled listener may accept a header but not send one, and is told why", () => {
  expect(check({ ...POOL, proxyProtocol: { trusted: ["10.0.0.0/8"] } })).not.toBeInstanceOf(ConfigErrors);
  const [message] = errorsOf({ ...POOL, sendProxy: "v2" });
  expect(message).toStartWith(
    'listeners[0].sendProxy: cannot be used with mode = "pool": a PROXY header names one client for a whole backend connection',
  );
  expect(message).toContain('use mode = "tunnel"');
});

test("`trusted` is required and may not be empty: a header from anyone would let them choose their address", () => {
  for (const pp of [{}, { trusted: [] }]) {
    const [message] = errorsOf({ proxyProtocol: pp });
    expect(message).toStartWith("listeners[0].proxyProtocol.trusted: expected the CIDR ranges of the proxies that send PROXY headers");
    expect(message).toContain("would let them choose their own address");
  }
});

test("each bad value names its key path, what was expected and what was found", () => {
  expect(
    errorsOf({
      proxyProtocol: { accept: "v3", trusted: ["10.0.0.0/33", "::1"], timeoutMs: 0, untrusted: "allow", timeout: 5 },
      sendProxy: "v3",
    }),
  ).toEqual([
    'listeners[0].proxyProtocol.timeout: unknown key, did you mean "timeoutMs"?',
    'listeners[0].proxyProtocol.trusted[0]: expected a CIDR range like "10.0.0.0/8" or "2001:db8::/32", got "10.0.0.0/33"',
    'listeners[0].proxyProtocol.accept: expected one of "v1", "v2", "any", got "v3" (did you mean "v1"?)',
    "listeners[0].proxyProtocol.timeoutMs: expected an integer 1..600000, got 0",
    'listeners[0].proxyProtocol.untrusted: expected one of "refuse", "direct", got "allow"',
    'listeners[0].sendProxy: expected one of "v1", "v2", got "v3" (did you mean "v1"?)',
  ]);
  expect(errorsOf({ proxyProtocl: { trusted: ["10.0.0.0/8"] } })).toEqual([
    'listeners[0].proxyProtocl: unknown key, did you mean "proxyProtocol"?',
  ]);
  expect(errorsOf({ proxyProtocol: true })).toEqual(["listeners[0].proxyProtocol: expected a table/object, got true"]);
});

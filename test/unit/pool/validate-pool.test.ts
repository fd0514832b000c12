/** The `pool` table of a listener: required in pool mode, path-qualified errors, framer options checked by src/framing. */
import { expect, test } from "bun:test";
import { validateConfig } from "../../../src/config/validate.ts";
import { ConfigErrors } from "../../../src/errors.ts";
import { POOL_DEFAULTS } from "../../../src/pool/config.ts";
import { RULE_BLOCKING, RULE_MULTI, RULE_NONE, RULE_PASS_THROUGH, RULE_PIN_LIFE, RULE_QUIT, RULE_REFUSE, respRule } from "../../../src/pool/resp-rules.ts";

function listener(extra: Record<string, unknown>): unknown {
  return { listeners: [{ listen: "127.0.0.1:0", backends: ["127.0.0.1:6379"], ...extra }] };
}

function errors(input: unknown): string[] {
  const result = validateConfig(input);
  return result instanceof ConfigErrors ? result.errors.map((e) => e.message) : [];
}

test("mode = pool with a framer takes every other pool default", () => {
  const config = validateConfig(listener({ mode: "pool", pool: { framer: { kind: "resp" } } }));
  if (config instanceof ConfigErrors) throw config;
  expect(config.listeners[0]!.pool).toEqual({ framer: { kind: "resp" }, ...POOL_DEFAULTS });
});

test("delimiter and length framers keep their options", () => {
  const config = validateConfig(listener({ mode: "pool", pool: { framer: { kind: "delimiter", delimiter: "\r\n", maxFrameBytes: 4096 }, multiplex: true } }));
  if (config instanceof ConfigErrors) throw config;
  expect(config.listeners[0]!.pool!.framer).toEqual({ kind: "delimiter", delimiter: "\r\n", maxFrameBytes: 4096 });
  expect(config.listeners[0]!.pool!.multiplex).toBe(true);
});

test("pool mode without a pool table, or a pool table without pool mode, is an error naming the path", () => {
  expect(errors(listener({ mode: "pool" }))).toEqual([
    'listeners[0].pool: mode = "pool" needs a [pool] table with at least a framer, e.g. pool = { framer = { kind = "resp" } }',
  ]);
  expect(errors(listener({ pool: { framer: { kind: "resp" } } }))).toEqual(['listeners[0].pool: only used when mode = "pool", but mode is "tunnel"']);
});

test("bad pool keys and framer options are reported with their full key path", () => {
  expect(
    errors(
      listener({
        mode: "pool",
        pool: { framer: { kind: "length", lengthBytes: 3 }, maxPerBackend: 0, queueSzie: 1, queueTimeoutMs: "5s" },
      }),
    ),
  ).toEqual([
    'listeners[0].pool.queueSzie: unknown key, did you mean "queueSize"?',
    "listeners[0].pool.framer.lengthBytes: expected 1, 2, 4 or 8, got 3",
    "listeners[0].pool.maxPerBackend: expected an integer 1..10000, got 0",
    'listeners[0].pool.queueTimeoutMs: expected an integer 1..86400000, got "5s"',
  ]);
  expect(errors(listener({ mode: "pool", pool: { framer: { kind: "resp", delimiter: "\n" } } }))).toEqual([
    "listeners[0].pool.framer.delimiter: not an option of the resp framer (its options: maxFrameBytes, maxBulkBytes, maxDepth, maxLineBytes, inline)",
  ]);
  expect(errors(listener({ mode: "pool", pool: { framer: { kind: "rsep" } } }))).toEqual([
    'listeners[0].pool.framer.kind: expected one of "length", "delimiter", "resp", "custom", got "rsep" (did you mean "resp"?)',
  ]);
  expect(errors(listener({ mode: "pool", pool: { framer: { kind: "custom" } } }))).toEqual([
    "listeners[0].pool.framer.module: expected a path to a framer module, got nothing",
  ]);
  expect(errors(listener({ mode: "pool", pool: { framer: { kind: "resp" }, maxPerBackend: 2, minIdlePerBackend: 3 } }))).toEqual([
    "listeners[0].pool.minIdlePerBackend: expected at most maxPerBackend (2), got 3",
  ]);
});

test("RESP pinning rules by command name", () => {
  expect(respRule("GET")).toBe(RULE_NONE);
  expect(respRule(null)).toBe(RULE_NONE);
  expect(respRule("MULTI")).toBe(RULE_MULTI);
  for (const name of ["BLPOP", "BRPOP", "BLMOVE", "BZPOPMIN", "BZPOPMAX", "BRPOPLPUSH", "XREAD", "XREADGROUP", "WAIT"]) expect(respRule(name)).toBe(RULE_BLOCKING);
  for (const name of ["SELECT", "AUTH", "HELLO", "CLIENT", "RESET"]) expect(respRule(name)).toBe(RULE_PIN_LIFE);
  for (const name of ["SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "MONITOR"]) expect(respRule(name)).toBe(RULE_PASS_THROUGH);
  expect(respRule("QUIT")).toBe(RULE_QUIT);
  expect(respRule("PSYNC")).toBe(RULE_REFUSE);
});

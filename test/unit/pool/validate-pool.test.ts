/** The `pool` table of a listener: required in pool mode, path-qualified errors, framer options checked by src/framing. */
import { expect, test } from "bun:test";
import { validateConfig } from "../../../src/config/validate.ts";
import { ConfigErrors } from "../../../src/errors.ts";
import { DEFAULTS } from "../../../src/defaults.ts";

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
  expect(config.listeners[0]!.pool).toEqual({
    framer: { kind: "resp" },
    ...DEFAULTS.pool,
    maxPinnedPerBackend: DEFAULTS.pool.maxPerBackend - 1,
  });
});

test("delimiter and length framers keep their options", () => {
  const config = validateConfig(
    listener({ mode: "pool", pool: { framer: { kind: "delimiter", delimiter: "\r\n", maxFrameBytes: 4096 }, multiplex: true } }),
  );
  if (config instanceof ConfigErrors) throw config;
  expect(config.listeners[0]!.pool!.framer).toEqual({ kind: "delimiter", delimiter: "\r\n", maxFrameBytes: 4096 });
  expect(config.listeners[0]!.pool!.multiplex).toBe(true);
});

test("pool mode without a pool table, or a pool table without pool mode, is an error naming the path", () => {
  expect(errors(listener({ mode: "pool" }))).toEqual([
    'listeners[0].pool: mode = "pool" needs a [pool] table with at least a framer, e.g. pool = { framer = { kind = "resp" } }',
  ]);
  expect(errors(listener({ pool: { framer: { kind: "resp" } } }))).toEqual([
    'listeners[0].pool: only used when mode = "pool", but mode is "tunnel"',
  ]);
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

test("pin caps and timeouts: maxPinnedPerBackend defaults to maxPerBackend - 1 and may not exceed it", () => {
  const config = validateConfig(listener({ mode: "pool", pool: { framer: { kind: "resp" }, maxPerBackend: 4 } }));
  if (config instanceof ConfigErrors) throw config;
  expect(config.listeners[0]!.pool!.maxPinnedPerBackend).toBe(3);
  const one = validateConfig(listener({ mode: "pool", pool: { framer: { kind: "resp" }, maxPerBackend: 1 } }));
  if (one instanceof ConfigErrors) throw one;
  expect(one.listeners[0]!.pool!.maxPinnedPerBackend).toBe(0);
  expect(
    errors(
      listener({ mode: "pool", pool: { framer: { kind: "resp" }, maxPerBackend: 2, maxPinnedPerBackend: 3, pinnedIdleTimeoutMs: -1 } }),
    ),
  ).toEqual([
    "listeners[0].pool.maxPinnedPerBackend: expected at most maxPerBackend (2), got 3",
    "listeners[0].pool.pinnedIdleTimeoutMs: expected an integer 0..86400000, got -1",
  ]);
});

test("auth and clientPassword: strings, RESP only", () => {
  const config = validateConfig(
    listener({ mode: "pool", pool: { framer: { kind: "resp" }, auth: { username: "warren", password: "pw" }, clientPassword: "c" } }),
  );
  if (config instanceof ConfigErrors) throw config;
  expect(config.listeners[0]!.pool!.auth).toEqual({ username: "warren", password: "pw" });
  expect(config.listeners[0]!.pool!.clientPassword).toBe("c");
  expect(errors(listener({ mode: "pool", pool: { framer: { kind: "resp" }, auth: { usernme: "x" } } }))).toEqual([
    'listeners[0].pool.auth.usernme: unknown key, did you mean "username"?',
    "listeners[0].pool.auth.password: expected a non-empty string, got nothing",
  ]);
  expect(errors(listener({ mode: "pool", pool: { framer: { kind: "length" }, clientPassword: "c" } }))).toEqual([
    'listeners[0].pool.clientPassword: only supported with the resp framer (Redis AUTH), but the framer is "length"',
  ]);
});

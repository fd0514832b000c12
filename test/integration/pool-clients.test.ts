/**
 * Real client libraries through the pool, in their default configurations:
 * ioredis 6 and node-redis 6 both speak RESP3 (HELLO 3) and send CLIENT SETINFO
 * on every connect, ioredis also INFO for its ready check, node-redis
 * CLIENT MAINT_NOTIFICATIONS. None of that may pin a pooled connection or
 * exhaust the pool: many library clients over maxPerBackend = 4 all succeed,
 * no request hits the queue timeout, and Redis never sees more than 4
 * connections from warren. The clients stay connected until every one of them
 * is done, as an application's clients do: a pool that pins a connection per
 * library client is exhausted by the fifth.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Redis from "ioredis";
import { createClient } from "redis";
import type { ProxyServer } from "../../src/index.ts";
import { portOf, proxyTo } from "../helpers/proxy.ts";
import { type TestRedis, startRedis } from "../helpers/redis.ts";

const MAX_PER_BACKEND = 4;
/** How long one library client's whole sequence may take before it counts as failed. */
const CLIENT_DEADLINE_MS = 10_000;

/** withDeadline resolves with what `work` returns, or with a failure text after `ms`. */
async function withDeadline(ms: number, work: () => Promise<string | null>): Promise<string | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<string>((r) => (timer = setTimeout(() => r(`not done after ${ms} ms`), ms)));
  try {
    return await Promise.race([work().catch((e: Error) => `threw: ${e.message}`), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** One ioredis client, default options: SET/GET/INCR, a pipeline and a MULTI transaction on its own keys. */
async function ioredisSequence(port: number, id: string, errors: string[], barrier: Barrier): Promise<string | null> {
  const r = new Redis({ host: "127.0.0.1", port });
  r.on("error", (e: Error) => errors.push(`ioredis ${id}: ${e.message}`));
  try {
    return await withDeadline(CLIENT_DEADLINE_MS, async () => {
      const k = `io:${id}`;
      if ((await r.set(k, `v-${id}`)) !== "OK") return "SET";
      if ((await r.get(k)) !== `v-${id}`) return "GET";
      if ((await r.incr(`${k}:n`)) !== 1) return "INCR";
      const piped = await r.pipeline().set(`${k}:p`, "p").get(`${k}:p`).incr(`${k}:n`).exec();
      if (
        JSON.stringify(piped) !==
        JSON.stringify([
          [null, "OK"],
          [null, "p"],
          [null, 2],
        ])
      )
        return `pipeline ${JSON.stringify(piped)}`;
      const tx = await r.multi().set(`${k}:t`, "t").incr(`${k}:n`).get(`${k}:t`).exec();
      if (
        JSON.stringify(tx) !==
        JSON.stringify([
          [null, "OK"],
          [null, 3],
          [null, "t"],
        ])
      )
        return `multi ${JSON.stringify(tx)}`;
      return null;
    });
  } finally {
    await barrier.arrive();
    r.disconnect();
  }
}

/** One node-redis client, createClient({ url }): the same sequence, the pipeline as auto-pipelined commands. */
async function nodeRedisSequence(port: number, id: string, errors: string[], barrier: Barrier): Promise<string | null> {
  const c = createClient({ url: `redis://127.0.0.1:${port}` });
  c.on("error", (e: Error) => errors.push(`node-redis ${id}: ${e.message}`));
  try {
    return await withDeadline(CLIENT_DEADLINE_MS, async () => {
      await c.connect();
      const k = `nr:${id}`;
      if ((await c.set(k, `v-${id}`)) !== "OK") return "SET";
      if ((await c.get(k)) !== `v-${id}`) return "GET";
      if ((await c.incr(`${k}:n`)) !== 1) return "INCR";
      const piped = await Promise.all([c.set(`${k}:p`, "p"), c.get(`${k}:p`), c.incr(`${k}:n`)]);
      if (JSON.stringify(piped) !== JSON.stringify(["OK", "p", 2])) return `pipeline ${JSON.stringify(piped)}`;
      const tx = await c.multi().set(`${k}:t`, "t").incr(`${k}:n`).get(`${k}:t`).exec();
      if (JSON.stringify(tx) !== JSON.stringify(["OK", 3, "t"])) return `multi ${JSON.stringify(tx)}`;
      return null;
    });
  } finally {
    await barrier.arrive();
    c.destroy();
  }
}

/** Barrier: each client arrives when its work is done (or failed) and waits there until all have arrived. */
class Barrier {
  private left: number;
  private readonly all = Promise.withResolvers<void>();
  constructor(count: number) {
    this.left = count;
  }
  arrive(): Promise<void> {
    if (--this.left === 0) this.all.resolve();
    return this.all.promise;
  }
}

type Sequence = (port: number, id: string, errors: string[], barrier: Barrier) => Promise<string | null>;

/** runClients runs the sequences at once; no client disconnects before every client's work is done. */
function runClients(port: number, prefix: string, sequences: Sequence[], errors: string[]): Promise<(string | null)[]> {
  const barrier = new Barrier(sequences.length);
  return Promise.all(sequences.map((seq, i) => seq(port, `${prefix}:${i}`, errors, barrier)));
}

/** sampleConnections records the most connections Redis sees (besides the helper's admin one) while `work` runs. */
async function peakConnections<T>(redis: TestRedis, work: Promise<T>): Promise<[T, number]> {
  let peak = 0;
  let running = true;
  const sampler = (async () => {
    while (running) {
      peak = Math.max(peak, await redis.connectedClients());
      await Bun.sleep(10);
    }
  })();
  try {
    return [await work, peak];
  } finally {
    running = false;
    await sampler;
  }
}

/** failuresByText counts the clients that failed, by what went wrong ({} when all succeeded). */
function failuresByText(results: (string | null)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of results) if (r !== null) out[r] = (out[r] ?? 0) + 1;
  return out;
}

/** Distinct error events the libraries emitted, with counts. */
function tally(errors: string[]): Record<string, number> {
  return failuresByText(errors.map((e) => e.replace(/^(ioredis|node-redis) [^:]+:\d+: /, "$1: ")));
}

function poolFailures(proxy: ProxyServer) {
  const pool = proxy.stats().listeners[0]!.pool!;
  return { queueTimeouts: pool.queueTimeouts, failures: pool.failures };
}

describe.each([
  ["multiplexed", true],
  ["exclusive", false],
])("%s pool, maxPerBackend = 4", (_mode, multiplex) => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis[Symbol.asyncDispose]();
  });

  test("40 ioredis clients (default config: RESP3, CLIENT SETINFO, ready check) all succeed", async () => {
    await using proxy = await proxyTo([redis.address], {
      mode: "pool",
      pool: { framer: { kind: "resp" }, multiplex, maxPerBackend: MAX_PER_BACKEND },
    });
    const errors: string[] = [];
    const [results, peak] = await peakConnections(
      redis,
      runClients(portOf(proxy), `${multiplex}`, Array(40).fill(ioredisSequence), errors),
    );
    expect(failuresByText(results)).toEqual({});
    expect(tally(errors)).toEqual({});
    expect(poolFailures(proxy)).toEqual({ queueTimeouts: 0, failures: {} });
    expect(peak).toBeLessThanOrEqual(MAX_PER_BACKEND);
  }, 30_000);

  test("40 node-redis clients (createClient({ url }): RESP3, CLIENT SETINFO) all succeed", async () => {
    await using proxy = await proxyTo([redis.address], {
      mode: "pool",
      pool: { framer: { kind: "resp" }, multiplex, maxPerBackend: MAX_PER_BACKEND },
    });
    const errors: string[] = [];
    const [results, peak] = await peakConnections(
      redis,
      runClients(portOf(proxy), `${multiplex}`, Array(40).fill(nodeRedisSequence), errors),
    );
    expect(failuresByText(results)).toEqual({});
    expect(tally(errors)).toEqual({});
    expect(poolFailures(proxy)).toEqual({ queueTimeouts: 0, failures: {} });
    expect(peak).toBeLessThanOrEqual(MAX_PER_BACKEND);
  }, 30_000);
});

test("200 clients over 4 connections against requirepass: warren logs its pooled connections in (pool.auth), every client succeeds", async () => {
  await using redis = await startRedis({ args: ["--requirepass", "s3cret"], adminAuth: ["s3cret"] });
  await using proxy = await proxyTo([redis.address], {
    mode: "pool",
    pool: { framer: { kind: "resp" }, multiplex: true, maxPerBackend: MAX_PER_BACKEND, auth: { password: "s3cret" } },
  });
  const port = portOf(proxy);
  const errors: string[] = [];
  const [results, peak] = await peakConnections(
    redis,
    runClients(
      port,
      "auth",
      Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? ioredisSequence : nodeRedisSequence)),
      errors,
    ),
  );
  expect(failuresByText(results)).toEqual({});
  expect(tally(errors)).toEqual({});
  expect(poolFailures(proxy)).toEqual({ queueTimeouts: 0, failures: {} });
  expect(peak).toBeLessThanOrEqual(MAX_PER_BACKEND);
}, 30_000);

/**
 * Pooled (n:1) mode against a real redis-server: many clients share at most
 * maxPerBackend connections, every reply reaches the client that asked, and
 * Redis's stateful commands (MULTI, WATCH, SUBSCRIBE, BLPOP) keep working.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { ProxyServer } from "../../src/index.ts";
import { portOf, proxyTo, waitFor } from "../helpers/proxy.ts";
import { RespClient, RespError, type TestRedis, startRedis } from "../helpers/redis.ts";

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis[Symbol.asyncDispose]();
});

function poolProxy(pool: Record<string, unknown> = {}, address = redis.address): Promise<ProxyServer> {
  return proxyTo([address], { mode: "pool", pool: { framer: { kind: "resp" }, ...pool } });
}

function poolStats(proxy: ProxyServer) {
  return proxy.stats().listeners[0]!.pool!;
}

/** One client's own sequence on its own keys; returns what went wrong, if anything. */
async function clientSequence(port: number, id: string): Promise<string | null> {
  const c = await RespClient.connect(port);
  try {
    const key = `k:${id}`;
    const counter = `n:${id}`;
    if ((await c.command("SET", key, `value-${id}`)) !== "OK") return "SET";
    if ((await c.command("GET", key)) !== `value-${id}`) return "GET";
    for (let i = 1; i <= 3; i++) if ((await c.command("INCR", counter)) !== i) return `INCR ${i}`;
    if ((await c.command("GET", counter)) !== "3") return "GET counter";
    return null;
  } finally {
    c.close();
  }
}

for (const multiplex of [false, true]) {
  test(`500 concurrent clients through a pool of 8 (${multiplex ? "multiplexed" : "exclusive"}): every reply is the client's own, Redis never sees more than 8 pooled connections`, async () => {
    await using proxy = await poolProxy({ maxPerBackend: 8, multiplex });
    const port = portOf(proxy);
    const prefix = `${multiplex ? "m" : "x"}${Date.now()}`;
    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, await redis.connectedClients());
        await Bun.sleep(10);
      }
    })();
    const results = await Promise.all(Array.from({ length: 500 }, (_, i) => clientSequence(port, `${prefix}:${i}`)));
    sampling = false;
    await sampler;
    expect(results.filter((r) => r !== null)).toEqual([]);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(8 + 1);
    const s = poolStats(proxy);
    expect(s.backends[0]!.size).toBeLessThanOrEqual(8);
    expect(s.backends[0]!.requests).toBeGreaterThanOrEqual(500 * 6);
  }, 20_000);
}

describe.each([false, true])("multiplex = %p", (multiplex) => {
  test("pipelined requests from one client come back complete and in order", async () => {
    await using proxy = await poolProxy({ multiplex });
    using c = await RespClient.connect(portOf(proxy));
    const key = `pipe:${multiplex}:${Date.now()}`;
    const commands = [["DEL", key], ...Array.from({ length: 100 }, () => ["INCR", key]), ["GET", key]];
    const replies = await c.pipeline(commands);
    expect(replies).toEqual([0, ...Array.from({ length: 100 }, (_, i) => i + 1), "100"]);
  });

  test("MULTI/EXEC runs on one connection while other clients interleave", async () => {
    await using proxy = await poolProxy({ maxPerBackend: 2, multiplex });
    const port = portOf(proxy);
    using tx = await RespClient.connect(port);
    using other = await RespClient.connect(port);
    const key = `tx:${multiplex}:${Date.now()}`;
    expect(await tx.command("MULTI")).toBe("OK");
    expect(await tx.command("SET", key, "a")).toBe("QUEUED");
    // Another client's commands in the middle of the transaction are not part of it.
    expect(await other.command("SET", `${key}:other`, "x")).toBe("OK");
    expect(await tx.command("INCR", `${key}:n`)).toBe("QUEUED");
    expect(await other.command("GET", key)).toBe(null);
    expect(await tx.command("EXEC")).toEqual(["OK", 1]);
    expect(await other.command("GET", key)).toBe("a");
    await waitFor(() => poolStats(proxy).pinnedClients === 0, "the pin to end after EXEC");
  });

  test("WATCH: a watched key changed by another client makes EXEC return a null array", async () => {
    await using proxy = await poolProxy({ maxPerBackend: 2, multiplex });
    const port = portOf(proxy);
    using watcher = await RespClient.connect(port);
    using other = await RespClient.connect(port);
    const key = `watch:${multiplex}:${Date.now()}`;
    expect(await watcher.command("WATCH", key)).toBe("OK");
    expect(poolStats(proxy).pinnedClients).toBe(1);
    expect(await other.command("SET", key, "changed")).toBe("OK");
    expect(await watcher.command("MULTI")).toBe("OK");
    expect(await watcher.command("SET", key, "mine")).toBe("QUEUED");
    expect(await watcher.command("EXEC")).toBe(null);
    expect(await other.command("GET", key)).toBe("changed");
    // Unchanged this time: the transaction applies.
    expect(await watcher.command("WATCH", key)).toBe("OK");
    expect(await watcher.pipeline([["MULTI"], ["SET", key, "mine"], ["EXEC"]])).toEqual(["OK", "QUEUED", ["OK"]]);
    expect(await other.command("GET", key)).toBe("mine");
  });

  test("SUBSCRIBE receives PUBLISHed messages; the subscriber's connection is pinned and closed when it leaves", async () => {
    await using proxy = await poolProxy({ maxPerBackend: 3, multiplex });
    const port = portOf(proxy);
    const sub = await RespClient.connect(port);
    using pub = await RespClient.connect(port);
    const channel = `ch:${multiplex}:${Date.now()}`;
    expect(await sub.command("SUBSCRIBE", channel)).toEqual(["subscribe", channel, 1]);
    expect(await pub.command("PUBLISH", channel, "hello")).toBe(1);
    expect(await sub.nextPush()).toEqual(["message", channel, "hello"]);
    expect(await pub.command("PUBLISH", channel, "again")).toBe(1);
    expect(await sub.nextPush()).toEqual(["message", channel, "again"]);
    expect(poolStats(proxy).pinnedClients).toBe(1);
    sub.close();
    // The dirty (subscribed) connection is closed, not returned: nobody receives its messages any more.
    await waitFor(() => poolStats(proxy).pinnedClients === 0, "the subscriber to leave");
    await Bun.sleep(20);
    expect(await pub.command("PUBLISH", channel, "nobody")).toBe(0);
  });

  test("BLPOP holds a connection of its own until another client's LPUSH releases it", async () => {
    await using proxy = await poolProxy({ maxPerBackend: 2, multiplex });
    const port = portOf(proxy);
    using blocked = await RespClient.connect(port);
    using pusher = await RespClient.connect(port);
    const key = `list:${multiplex}:${Date.now()}`;
    const popped = blocked.command("BLPOP", key, 5);
    await Bun.sleep(50);
    // The other client is served meanwhile, on the pool's other connection.
    expect(await pusher.command("PING")).toBe("PONG");
    expect(await pusher.command("LPUSH", key, "item")).toBe(1);
    expect(await popped).toEqual([key, "item"]);
    expect(await blocked.command("GET", `${key}:none`)).toBe(null);
  });

  test("a malformed request gets an error and closes only that client", async () => {
    await using proxy = await poolProxy({ maxPerBackend: 1, multiplex });
    const port = portOf(proxy);
    using good = await RespClient.connect(port);
    using bad = await RespClient.connect(port);
    const key = `bad:${multiplex}:${Date.now()}`;
    expect(await good.command("SET", key, "1")).toBe("OK");
    // A valid SET's first half, then a line that is not RESP: nothing of it may reach the shared connection,
    // and the client gets the error Redis itself would give.
    const replies = await bad.sendRaw("*3\r\n$3\r\nSET\r\n$" + "x\r\n", 1);
    expect(replies[0]).toBeInstanceOf(RespError);
    expect((replies[0] as RespError).message).toBe("ERR Protocol error: invalid bulk length");
    await bad.whenClosed();
    expect(await good.command("GET", key)).toBe("1");
    expect(await good.command("INCR", key)).toBe(2);
    expect(poolStats(proxy).backends[0]!.connectionsLost).toBe(0);
  });

  test("pool exhausted: a request waits queueTimeoutMs, then gets -ERR warren: and the client stays usable", async () => {
    // maxPinnedPerBackend = 1: the one connection may be held by the BLPOP (by default one stays shared).
    await using proxy = await poolProxy({ maxPerBackend: 1, maxPinnedPerBackend: 1, queueTimeoutMs: 150, multiplex });
    const port = portOf(proxy);
    using holder = await RespClient.connect(port);
    using waiter = await RespClient.connect(port);
    const key = `held:${multiplex}:${Date.now()}`;
    const popped = holder.command("BLPOP", key, 2);
    await Bun.sleep(30);
    const started = performance.now();
    const reply = await waiter.command("PING");
    const waitedMs = performance.now() - started;
    expect(reply).toBeInstanceOf(RespError);
    expect((reply as RespError).message).toBe("ERR warren: pool queue timeout after 150 ms");
    expect(waitedMs).toBeGreaterThanOrEqual(140);
    expect(waitedMs).toBeLessThan(1000);
    const s = poolStats(proxy);
    expect(s.queueTimeouts).toBe(1);
    expect(s.backends[0]!.queueTimeouts).toBe(1);
    // The holder is released by a push from outside the pool; then the waiter is served again.
    using direct = await RespClient.connect(redis.port);
    expect(await direct.command("LPUSH", key, "v")).toBe(1);
    expect(await popped).toEqual([key, "v"]);
    expect(await waiter.command("PING")).toBe("PONG");
  });
});

test("QUIT is answered by warren and never closes a pooled connection; refused commands get a clear error", async () => {
  await using proxy = await poolProxy({ maxPerBackend: 1 });
  const port = portOf(proxy);
  const a = await RespClient.connect(port);
  expect(await a.pipeline([["SET", "quit:k", "1"], ["QUIT"]])).toEqual(["OK", "OK"]);
  await a.whenClosed();
  using b = await RespClient.connect(port);
  expect(await b.command("GET", "quit:k")).toBe("1");
  const refused = await b.command("SYNC");
  expect(refused).toEqual(new RespError("ERR warren: SYNC is not supported in pooled mode"));
  expect(poolStats(proxy).backends[0]!.connectionsLost).toBe(0);
});

test("CLIENT REPLY OFF/SKIP is refused (it would break reply counting); CLIENT REPLY ON is answered by warren; nothing pins", async () => {
  await using proxy = await poolProxy({ maxPerBackend: 1, multiplex: true });
  using c = await RespClient.connect(portOf(proxy));
  const refused = new RespError("ERR warren: CLIENT REPLY is not supported in pooled mode");
  expect(
    await c.pipeline([
      ["CLIENT", "REPLY", "OFF"],
      ["SET", "reply:k", "1"],
      ["client", "reply", "skip"],
      ["GET", "reply:k"],
    ]),
  ).toEqual([refused, "OK", refused, "1"]);
  expect(await c.sendRaw("CLIENT REPLY OFF\r\n", 1)).toEqual([refused]);
  expect(await c.command("CLIENT", "REPLY", "ON")).toBe("OK");
  expect(poolStats(proxy).pinnedClients).toBe(0);
  // CLIENT SETNAME and GETNAME are answered by warren and kept per client: nothing pins either.
  expect(await c.command("CLIENT", "SETNAME", "warren-test")).toBe("OK");
  expect(await c.command("CLIENT", "GETNAME")).toBe("warren-test");
  expect(poolStats(proxy).pinnedClients).toBe(0);
});

test("SELECT pins the client for life; its connection is closed, not reused, when it leaves", async () => {
  await using proxy = await poolProxy({ maxPerBackend: 2, minIdlePerBackend: 0 });
  const port = portOf(proxy);
  const selector = await RespClient.connect(port);
  expect(await selector.command("SELECT", 3)).toBe("OK");
  expect(await selector.command("SET", "db3:key", "three")).toBe("OK");
  selector.close();
  await waitFor(() => poolStats(proxy).clients === 0, "the client to leave");
  using other = await RespClient.connect(port);
  // Database 0 on whatever connection it gets: the SELECTed connection did not come back.
  expect(await other.command("GET", "db3:key")).toBe(null);
});

test("Redis killed and restarted mid-run: in-flight clients get an error, later clients succeed", async () => {
  await using own = await startRedis();
  // Failed reconnects while Redis is down feed passive health: a short cooldown lets it back in rotation soon after.
  await using proxy = await proxyTo([own.address], {
    mode: "pool",
    pool: { framer: { kind: "resp" }, maxPerBackend: 2 },
    health: { passive: { cooldownMs: 200 } },
  });
  const port = portOf(proxy);
  using warm = await RespClient.connect(port);
  expect(await warm.command("SET", "k", "v")).toBe("OK");
  using blocked = await RespClient.connect(port);
  const inFlight = blocked.command("BLPOP", "never", 10);
  await Bun.sleep(30);
  await own.kill();
  const lost = await inFlight;
  expect(lost).toEqual(new RespError("ERR warren: backend connection lost"));
  await blocked.whenClosed();
  // While Redis is down a request fails fast instead of hanging.
  using during = await RespClient.connect(port);
  const down = await during.command("PING");
  expect(down).toBeInstanceOf(RespError);
  await own.start();
  // The pool reconnects on its own (backoff at most 2 s); a new client succeeds.
  let ok: unknown = null;
  const deadline = performance.now() + 5000;
  while (performance.now() < deadline) {
    using later = await RespClient.connect(port);
    ok = await later.command("PING");
    if (ok === "PONG") break;
    await Bun.sleep(50);
  }
  expect(ok).toBe("PONG");
  const s = poolStats(proxy).backends[0]!;
  expect(s.connectionsLost).toBeGreaterThan(0);
  expect(s.size).toBeLessThanOrEqual(2);
}, 15_000);

/**
 * Backend accounting in pooled mode: pooled connect failures feed passive
 * health, active checks take a dead backend out of rotation, and
 * Backend.active counts the pooled connections open (or connecting) to a
 * backend, so the balancer and per-backend maxConnections see pool usage.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { ProxyServer } from "../../src/index.ts";
import { portOf, proxyTo, waitFor } from "../helpers/proxy.ts";
import { RespClient, RespError, type TestRedis, freePort, startRedis } from "../helpers/redis.ts";

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis[Symbol.asyncDispose]();
});

function listenerStats(proxy: ProxyServer) {
  return proxy.stats().listeners[0]!;
}

test("pooled connect failures mark a dead backend down (passive health); then every client is served by the live one", async () => {
  const dead = `127.0.0.1:${freePort()}`;
  await using proxy = await proxyTo([dead, redis.address], {
    mode: "pool",
    pool: { framer: { kind: "resp" }, minIdlePerBackend: 1 },
    health: { passive: { failures: 2, cooldownMs: 60_000 } },
  });
  // The pool's own connects to the dead backend (keeping minIdlePerBackend open) fail and are counted.
  await waitFor(() => !listenerStats(proxy).backends[0]!.healthy, "the dead backend to be marked down");
  const down = listenerStats(proxy).backends[0]!;
  expect(down.connectFailures).toBeGreaterThanOrEqual(2);
  expect(down.downReason).toBe("backend unavailable");
  const replies = await Promise.all(
    Array.from({ length: 20 }, async () => {
      using c = await RespClient.connect(portOf(proxy));
      return await c.command("PING");
    }),
  );
  expect(replies).toEqual(Array.from({ length: 20 }, () => "PONG"));
  expect(listenerStats(proxy).backends[1]!.sessionsTotal).toBe(20);
});

test("active health checks: with every backend down, a pooled client gets a fast -ERR warren: no backend available", async () => {
  const dead = `127.0.0.1:${freePort()}`;
  await using proxy = await proxyTo([dead], {
    mode: "pool",
    // Passive health off and no idle connections kept: only the active checker can mark the backend down.
    pool: { framer: { kind: "resp" }, minIdlePerBackend: 0, queueTimeoutMs: 5000 },
    health: { passive: { failures: 0 }, active: { enabled: true, intervalMs: 50, timeoutMs: 50, fall: 1, rise: 1 } },
  });
  await waitFor(() => !listenerStats(proxy).backends[0]!.healthy, "the checker to mark the backend down");
  using c = await RespClient.connect(portOf(proxy));
  const started = performance.now();
  const reply = await c.command("PING");
  expect(performance.now() - started).toBeLessThan(100);
  expect(reply).toEqual(new RespError("ERR warren: no backend available"));
  // The client stays usable: a later request gets the same answer, not a hang.
  expect(await c.command("GET", "k")).toEqual(new RespError("ERR warren: no backend available"));
  expect(listenerStats(proxy).rejected.noBackend).toBe(2);
});

test("Backend.active is the number of pooled connections; a backend's maxConnections caps its pool", async () => {
  await using proxy = await proxyTo([{ address: redis.address, maxConnections: 2 }], {
    mode: "pool",
    pool: { framer: { kind: "resp" }, maxPerBackend: 8, minIdlePerBackend: 0 },
  });
  const port = portOf(proxy);
  let peak = 0;
  const results = await Promise.all(
    Array.from({ length: 8 }, async (_, i) => {
      using c = await RespClient.connect(port);
      // Each client holds a connection for a while (BLPOP timing out): without the cap the pool would grow to 8.
      const r = await c.command("BLPOP", `cap:${Date.now()}:${i}`, 0.02);
      const s = listenerStats(proxy);
      peak = Math.max(peak, s.backends[0]!.active);
      expect(s.backends[0]!.active).toBe(s.pool!.backends[0]!.size);
      return r;
    }),
  );
  expect(results).toEqual(Array.from({ length: 8 }, () => null));
  expect(peak).toBe(2);
  expect(listenerStats(proxy).pool!.backends[0]!.size).toBeLessThanOrEqual(2);
});

test("least-connections spreads pooled connections over the backends", async () => {
  await using other = await startRedis();
  await using proxy = await proxyTo([redis.address, other.address], {
    mode: "pool",
    balance: "least-connections",
    pool: { framer: { kind: "resp" }, maxPerBackend: 4, minIdlePerBackend: 0 },
  });
  const port = portOf(proxy);
  const held = await Promise.all(Array.from({ length: 6 }, () => RespClient.connect(port)));
  const pops = held.map((c, i) => c.command("BLPOP", `spread:${Date.now()}:${i}`, 0.3));
  await waitFor(() => listenerStats(proxy).backends.reduce((n, b) => n + b.active, 0) === 6, "6 pooled connections");
  const [a, b] = listenerStats(proxy).backends;
  expect([a!.active, b!.active]).toEqual([3, 3]);
  await Promise.all(pops);
  for (const c of held) c.close();
});

test("minIdlePerBackend connections are opened before any client comes, and replaced when they die", async () => {
  await using proxy = await proxyTo([redis.address], {
    mode: "pool",
    pool: { framer: { kind: "resp" }, minIdlePerBackend: 2, maxPerBackend: 4 },
  });
  const pool = () => listenerStats(proxy).pool!.backends[0]!;
  await waitFor(() => pool().idle === 2, "two idle connections");
  const deadline = performance.now() + 5000;
  // Redis's own count (connectedClients leaves out its admin connection): the pool's two.
  while ((await redis.connectedClients()) !== 2) {
    if (performance.now() > deadline) throw new Error("Redis never saw the two idle pooled connections");
    await Bun.sleep(20);
  }
  // Redis closes every other normal client: the pool's idle connections die under it.
  using admin = await RespClient.connect(redis.port);
  expect(await admin.command("CLIENT", "KILL", "TYPE", "normal")).toBeGreaterThanOrEqual(2);
  await waitFor(() => pool().connectionsLost >= 2, "the pool to notice");
  await waitFor(() => pool().idle === 2, "two fresh idle connections");
  using client = await RespClient.connect(portOf(proxy));
  expect(await client.command("PING")).toBe("PONG");
});

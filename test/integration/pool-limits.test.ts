/**
 * Listener-level limits, timeouts and graceful close apply to pooled clients as
 * they do to tunnel sessions: each pooled client counts as one session.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { ProxyServer } from "../../src/index.ts";
import { connectClient } from "../helpers/client.ts";
import { portOf, proxyTo, waitFor } from "../helpers/proxy.ts";
import { RespClient, type TestRedis, startRedis } from "../helpers/redis.ts";

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis[Symbol.asyncDispose]();
});

function poolProxy(listener: Record<string, unknown> = {}, pool: Record<string, unknown> = {}): Promise<ProxyServer> {
  return proxyTo([redis.address], { mode: "pool", pool: { framer: { kind: "resp" }, ...pool }, ...listener });
}

function listenerStats(proxy: ProxyServer) {
  return proxy.stats().listeners[0]!;
}

test("pooled clients count as sessions in sessionCount and stats", async () => {
  await using proxy = await poolProxy();
  const port = portOf(proxy);
  const clients = await Promise.all([1, 2, 3].map(() => RespClient.connect(port)));
  for (const c of clients) expect(await c.command("PING")).toBe("PONG");
  expect(proxy.sessionCount).toBe(3);
  expect(proxy.stats().sessions).toBe(3);
  expect(listenerStats(proxy).sessions).toBe(3);
  for (const c of clients) c.close();
  await waitFor(() => proxy.sessionCount === 0, "the clients to leave");
  expect(listenerStats(proxy).sessionsTotal).toBe(3);
  expect(listenerStats(proxy).ends).toEqual({ ok: 3 });
});

test("maxConnections refuses the client over the limit", async () => {
  await using proxy = await poolProxy({ maxConnections: 2 });
  const port = portOf(proxy);
  using a = await RespClient.connect(port);
  using b = await RespClient.connect(port);
  expect(await a.command("PING")).toBe("PONG");
  expect(await b.command("PING")).toBe("PONG");
  const c = await connectClient(port);
  expect(await c.closed).toBe(null);
  expect(listenerStats(proxy).rejected.maxConnections).toBe(1);
  expect(proxy.sessionCount).toBe(2);
});

test("maxConnectionsPerClient limits one address; a freed slot admits the next client", async () => {
  await using proxy = await poolProxy({ maxConnectionsPerClient: 1 });
  const port = portOf(proxy);
  const first = await RespClient.connect(port);
  expect(await first.command("PING")).toBe("PONG");
  const second = await connectClient(port);
  expect(await second.closed).toBe(null);
  expect(listenerStats(proxy).rejected.perClient).toBe(1);
  first.close();
  await waitFor(() => proxy.sessionCount === 0, "the first client to leave");
  using third = await RespClient.connect(port);
  expect(await third.command("PING")).toBe("PONG");
});

test("deny (CIDR) refuses matching clients before they reach the pool", async () => {
  await using proxy = await poolProxy({ deny: ["127.0.0.0/8"] });
  const c = await connectClient(portOf(proxy));
  expect(await c.closed).toBe(null);
  expect(listenerStats(proxy).rejected.denied).toBe(1);
  expect(listenerStats(proxy).pool!.clients).toBe(0);
});

test("allow (CIDR) refuses clients outside the list", async () => {
  await using proxy = await poolProxy({ allow: ["10.0.0.0/8"] });
  const c = await connectClient(portOf(proxy));
  expect(await c.closed).toBe(null);
  expect(listenerStats(proxy).rejected.denied).toBe(1);
});

test("idleTimeoutMs closes a quiet pooled client; an active one stays", async () => {
  await using proxy = await poolProxy({ idleTimeoutMs: 200 });
  const port = portOf(proxy);
  using quiet = await RespClient.connect(port);
  using busy = await RespClient.connect(port);
  expect(await quiet.command("PING")).toBe("PONG");
  const started = performance.now();
  let busyOk = true;
  while (performance.now() - started < 400) {
    if ((await busy.command("PING")) !== "PONG") busyOk = false;
    await Bun.sleep(40);
  }
  await quiet.whenClosed();
  expect(busyOk).toBe(true);
  expect(busy.closed).toBe(false);
  expect(listenerStats(proxy).ends.IDLE_TIMEOUT).toBe(1);
});

test("maxLifetimeMs closes a pooled client however busy it is", async () => {
  await using proxy = await poolProxy({ maxLifetimeMs: 200 });
  using c = await RespClient.connect(portOf(proxy));
  const started = performance.now();
  while (!c.closed && performance.now() - started < 2000) {
    await c.command("PING").catch(() => null);
    await Bun.sleep(20);
  }
  const livedMs = performance.now() - started;
  expect(c.closed).toBe(true);
  expect(livedMs).toBeGreaterThanOrEqual(180);
  expect(livedMs).toBeLessThan(1000);
  expect(listenerStats(proxy).ends.LIFETIME_EXCEEDED).toBe(1);
});

test("graceful close: an idle pooled client is closed at once, one with a request in flight gets its reply first", async () => {
  const proxy = await poolProxy({}, { maxPerBackend: 2 });
  const p = portOf(proxy);
  const idle = await RespClient.connect(p);
  const waiting = await RespClient.connect(p);
  expect(await idle.command("PING")).toBe("PONG");
  const key = `drain:${Date.now()}`;
  const popped = waiting.command("BLPOP", key, 5);
  await Bun.sleep(30);
  const events: string[] = [];
  void idle.whenClosed().then(() => events.push("idle closed"));
  const closed = proxy.close({ graceful: true, drainTimeoutMs: 5000 }).then(() => events.push("proxy closed"));
  await idle.whenClosed();
  await Bun.sleep(50);
  // The close waits for the client with a request in flight.
  expect(events).toEqual(["idle closed"]);
  expect(proxy.sessionCount).toBe(1);
  expect(waiting.closed).toBe(false);
  // Its reply arrives; then it is closed and the close completes.
  using direct = await RespClient.connect(redis.port);
  expect(await direct.command("LPUSH", key, "last")).toBe(1);
  expect(await popped).toEqual([key, "last"]);
  await waiting.whenClosed();
  await closed;
  expect(events).toEqual(["idle closed", "proxy closed"]);
  expect(proxy.sessionCount).toBe(0);
});

test("graceful close: a pooled client still waiting at the drain timeout is closed then", async () => {
  const proxy = await poolProxy();
  const c = await RespClient.connect(portOf(proxy));
  const popped = c.command("BLPOP", `never:${Date.now()}`, 10);
  await Bun.sleep(30);
  const started = performance.now();
  await proxy.close({ graceful: true, drainTimeoutMs: 200 });
  const tookMs = performance.now() - started;
  expect(tookMs).toBeGreaterThanOrEqual(190);
  expect(tookMs).toBeLessThan(1000);
  const reply = await popped.catch((e: Error) => e);
  expect(reply).toBeInstanceOf(Error);
  expect(c.closed).toBe(true);
  expect(listenerStats(proxy).ends.SHUTDOWN).toBe(1);
});

test("graceful close with only idle pooled clients completes at once", async () => {
  const proxy = await poolProxy({}, { multiplex: true });
  const clients = await Promise.all([1, 2, 3, 4].map(() => RespClient.connect(portOf(proxy))));
  for (const c of clients) expect(await c.command("PING")).toBe("PONG");
  const started = performance.now();
  await proxy.close({ graceful: true, drainTimeoutMs: 5000 });
  expect(performance.now() - started).toBeLessThan(500);
  for (const c of clients) await c.whenClosed();
  expect(listenerStats(proxy).ends).toEqual({ ok: 4 });
});

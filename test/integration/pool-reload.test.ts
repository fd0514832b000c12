/**
 * Reloading a pooled listener: pool settings apply at once, but the framer (and
 * the listener's mode) cannot change while it runs: the reload is rejected as
 * a whole, naming the key, and the running config keeps serving.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { WarrenConfig } from "../../src/config/schema.ts";
import { validateConfig } from "../../src/config/validate.ts";
import { ConfigErrors, Logger, ProxyError, startProxy } from "../../src/index.ts";
import { portOf, waitFor } from "../helpers/proxy.ts";
import { RespClient, type TestRedis, startRedis } from "../helpers/redis.ts";

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis[Symbol.asyncDispose]();
});

function raw(listener: Record<string, unknown>): Record<string, unknown> {
  return { log: { level: "silent" }, listeners: [{ name: "cache", listen: "127.0.0.1:0", backends: [redis.address], ...listener }] };
}

function config(listener: Record<string, unknown>): WarrenConfig {
  const valid = validateConfig(raw(listener));
  if (valid instanceof ConfigErrors) throw new Error(valid.message);
  return valid;
}

const resp = (pool: Record<string, unknown> = {}) => ({ mode: "pool", pool: { framer: { kind: "resp" }, ...pool } });

function reloadError(run: () => void): ProxyError {
  try {
    run();
  } catch (err) {
    if (err instanceof ProxyError) return err;
    throw err;
  }
  throw new Error("reload was not rejected");
}

test("a changed pool framer rejects the whole reload, naming the key; the running listener keeps its framer and settings", async () => {
  await using proxy = await startProxy(raw(resp({ maxPerBackend: 4 })), { logger: new Logger("silent") });
  const port = portOf(proxy);
  const err = reloadError(() => proxy.reload(config({ mode: "pool", pool: { framer: { kind: "length" }, maxPerBackend: 2 } })));
  expect(err.code).toBe("RELOAD_REJECTED");
  expect(err.message).toBe(
    'reload rejected: listeners[0].pool.framer: cannot change on reload (running {"kind":"resp"}, new {"kind":"length"}); restart warren to change it',
  );
  using c = await RespClient.connect(port);
  expect(await c.command("PING")).toBe("PONG");
  // Nothing of the rejected config was applied.
  expect(proxy.stats().listeners[0]!.pool!.backends).toHaveLength(1);
  // A changed framer option counts as a changed framer.
  const changedOption = reloadError(() => proxy.reload(config({ mode: "pool", pool: { framer: { kind: "resp", inline: false } } })));
  expect(changedOption.message).toContain("listeners[0].pool.framer: cannot change on reload");
});

test("the same framer with other pool settings reloads, and the new settings apply", async () => {
  await using proxy = await startProxy(raw(resp({ maxPerBackend: 1, maxPinnedPerBackend: 1, queueTimeoutMs: 5000 })), {
    logger: new Logger("silent"),
  });
  const port = portOf(proxy);
  using holder = await RespClient.connect(port);
  const held = holder.command("BLPOP", `reload:${Date.now()}`, 1);
  await waitFor(() => proxy.stats().listeners[0]!.pool!.pinnedClients === 1, "the BLPOP to hold the only connection");
  proxy.reload(config(resp({ maxPerBackend: 2, maxPinnedPerBackend: 1, queueTimeoutMs: 5000 })));
  // A second connection may now be opened: the other client is answered while the BLPOP still waits.
  using other = await RespClient.connect(port);
  const first = await Promise.race([other.command("PING"), held.then(() => "the BLPOP ended first")]);
  expect(first).toBe("PONG");
  expect(await held).toBe(null);
});

test("a live pooled client keeps the settings it connected with; clients after the reload take the new ones", async () => {
  await using proxy = await startProxy(raw({ ...resp(), idleTimeoutMs: 60_000 }), { logger: new Logger("silent") });
  const port = portOf(proxy);
  using before = await RespClient.connect(port);
  expect(await before.command("PING")).toBe("PONG");

  proxy.reload(config({ ...resp(), idleTimeoutMs: 150 }));
  using after = await RespClient.connect(port);
  expect(await after.command("PING")).toBe("PONG");

  // The new client is closed idle after 150 ms; the older one has been idle longer and is still served.
  await waitFor(() => proxy.stats().listeners[0]!.ends.IDLE_TIMEOUT === 1, "the new client to end idle");
  expect(proxy.stats().listeners[0]!.sessions).toBe(1);
  expect(await before.command("PING")).toBe("PONG");
});

test("changing a listener between tunnel and pool mode is rejected, naming the key", async () => {
  await using proxy = await startProxy(raw(resp()), { logger: new Logger("silent") });
  const err = reloadError(() => proxy.reload(config({})));
  expect(err.code).toBe("RELOAD_REJECTED");
  expect(err.message).toBe(
    'reload rejected: listeners[0].mode: cannot change on reload (running "pool", new "tunnel"); restart warren to change it',
  );
});

test("a pooled listener removed by a reload drains: an idle client is closed at once, a busy one after its reply", async () => {
  await using proxy = await startProxy(raw(resp({ maxPerBackend: 2 })), { logger: new Logger("silent") });
  const port = portOf(proxy);
  const idle = await RespClient.connect(port);
  const busy = await RespClient.connect(port);
  expect(await idle.command("PING")).toBe("PONG");
  const key = `removed:${Date.now()}`;
  const popped = busy.command("BLPOP", key, 5);
  await waitFor(() => proxy.stats().listeners[0]!.pool!.pinnedClients === 1, "the BLPOP to be in flight");
  proxy.reload(config({ name: "other", ...resp() }));
  await idle.whenClosed();
  expect(busy.closed).toBe(false);
  using direct = await RespClient.connect(redis.port);
  expect(await direct.command("LPUSH", key, "v")).toBe(1);
  expect(await popped).toEqual([key, "v"]);
  await busy.whenClosed();
  expect(proxy.sessionCount).toBe(0);
});

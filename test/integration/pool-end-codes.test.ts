/**
 * How pooled clients end, by code (src/errors.ts END_CODES), each one produced for real against a real
 * Redis (or a deliberately slow stand-in) and read back from the listener's stats: the codes an
 * operator sees in the access log, metrics and stats must each mean what the table says.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { ProxyServer } from "../../src/index.ts";
import { eventually, within } from "../helpers/poll.ts";
import { portOf, proxyTo } from "../helpers/proxy.ts";
import { RespClient, RespError, type TestRedis, slowRespServer, startRedis } from "../helpers/redis.ts";

setDefaultTimeout(20_000);

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis[Symbol.asyncDispose]();
});

function pooled(pool: Record<string, unknown>, listener: Record<string, unknown> = {}, backend = redis.address): Promise<ProxyServer> {
  return proxyTo([backend], { mode: "pool", pool: { framer: { kind: "resp" }, ...pool }, ...listener });
}

const stats = (proxy: ProxyServer) => proxy.stats().listeners[0]!;

describe("pooled clients end with the code of what happened", () => {
  test("BACKEND_LOST: the connection carrying a client's reply is killed; the client gets an error per reply owed, then EOF", async () => {
    await using proxy = await pooled({ multiplex: true, maxPerBackend: 1, maxPinnedPerBackend: 1 });
    using c = await RespClient.connect(portOf(proxy));
    const pending = c.command("BLPOP", "end-codes:never", 0);
    await eventually(
      () => redis.infoNumber("clients", "blocked_clients"),
      (n) => n === 1,
      "the BLPOP to block",
    );
    await redis.admin("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes");
    expect(await within(3000, "the reply", pending)).toEqual(new RespError("ERR warren: backend connection lost"));
    await within(3000, "EOF", c.whenClosed());
    await eventually(
      () => stats(proxy).ends.BACKEND_LOST ?? 0,
      (n) => n === 1,
      "the end to be counted",
    );
    expect(stats(proxy).pool!.failures.BACKEND_LOST).toBe(1);
    expect(stats(proxy).endsBySide["BACKEND_LOST backend"]).toBe(1);
  });

  test("REPLY_TIMEOUT: a backend that does not answer within replyTimeoutMs; its connection is closed, the client is told", async () => {
    const slow = slowRespServer(2000);
    try {
      await using proxy = await pooled({ multiplex: true, replyTimeoutMs: 200 }, {}, slow.address);
      using c = await RespClient.connect(portOf(proxy));
      expect(await within(5000, "the reply", c.command("GET", "k"))).toEqual(
        new RespError("ERR warren: backend reply timeout after 200 ms"),
      );
      await eventually(
        () => stats(proxy).ends.REPLY_TIMEOUT ?? 0,
        (n) => n === 1,
        "the end to be counted",
      );
      expect(stats(proxy).pool!.failures.REPLY_TIMEOUT).toBe(1);
    } finally {
      slow.stop();
    }
  });

  test("PIN_REFUSED: a pin beyond maxPinnedPerClient is refused and, as it would change state, ends its client", async () => {
    await using proxy = await pooled({ multiplex: true, maxPerBackend: 4, maxPinnedPerClient: 1 });
    using first = await RespClient.connect(portOf(proxy));
    expect(await first.command("SELECT", 1)).toBe("OK");
    using second = await RespClient.connect(portOf(proxy));
    expect(await second.command("SELECT", 1)).toEqual(
      new RespError("ERR warren: too many pinned connections for this client address (maxPinnedPerClient = 1)"),
    );
    await within(3000, "the refused client to be closed", second.whenClosed());
    expect(stats(proxy).ends.PIN_REFUSED).toBe(1);
    expect(stats(proxy).pool!.failures.PIN_REFUSED).toBe(1);
  });

  test("PINNED_IDLE_TIMEOUT: a pinned client with nothing outstanding is closed after pinnedIdleTimeoutMs", async () => {
    await using proxy = await pooled({ multiplex: true, pinnedIdleTimeoutMs: 150 });
    using c = await RespClient.connect(portOf(proxy));
    expect(await c.command("SELECT", 2)).toBe("OK");
    await within(3000, "the idle pinned client to be closed", c.whenClosed());
    expect(stats(proxy).ends.PINNED_IDLE_TIMEOUT).toBe(1);
  });

  test("SLOW_READER: a client that keeps a connection paused for replyTimeoutMs is closed", async () => {
    const big = "x".repeat(1024 * 1024);
    await redis.admin("SET", "end-codes:big", big);
    await using proxy = await pooled({ multiplex: true, replyTimeoutMs: 200 }, { highWaterBytes: 64 * 1024 });
    using c = await RespClient.connect(portOf(proxy));
    c.pause();
    // Far more than the kernel's socket buffers hold: warren's queue for it fills, and the connection pauses.
    void c.sendRaw("GET end-codes:big\r\n".repeat(32), 32).catch(() => {});
    // (A paused socket sees no FIN: read the verdict from warren's side, then let the client see it.)
    await eventually(
      () => stats(proxy).ends.SLOW_READER ?? 0,
      (n) => n === 1,
      "the slow reader to be closed",
    );
    c.resume();
    await within(5000, "its EOF", c.whenClosed());
  });

  test("QUERY_BUFFER_FULL: over highWaterBytes of requests queued behind a blocking command closes the client (its FIN must stay visible)", async () => {
    await using proxy = await pooled({ multiplex: true }, { highWaterBytes: 16 * 1024 });
    using c = await RespClient.connect(portOf(proxy));
    void c.command("BLPOP", "end-codes:never-2", 0).catch(() => {});
    await eventually(
      () => redis.infoNumber("clients", "blocked_clients"),
      (n) => n >= 1,
      "the BLPOP to block",
    );
    // CLIENT GETNAME is answered by warren only after the BLPOP's reply: what follows it waits in the client's queue.
    c.write(`CLIENT GETNAME\r\n${"PING\r\n".repeat(8 * 1024)}`);
    await within(3000, "the client to be closed", c.whenClosed());
    expect(stats(proxy).ends.QUERY_BUFFER_FULL).toBe(1);
    await eventually(
      () => redis.infoNumber("clients", "blocked_clients"),
      (n) => n === 0,
      "its connection (and the BLPOP) to be closed",
    );
  });

  test("REFUSED_COMMAND: a refused command is counted by code, and the client carries on", async () => {
    await using proxy = await pooled({ multiplex: true });
    using c = await RespClient.connect(portOf(proxy));
    expect(await c.command("PSYNC", "?", "-1")).toEqual(new RespError("ERR warren: PSYNC is not supported in pooled mode"));
    expect(await c.command("PING")).toBe("PONG");
    expect(stats(proxy).pool!.failures.REFUSED_COMMAND).toBe(1);
  });
});

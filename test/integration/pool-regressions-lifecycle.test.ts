/**
 * Regressions of issue 7, what clients hold and when they let go: blocked
 * clients that leave, pins that would starve shared traffic, slow readers,
 * connections Redis closes under an idle pinned client, and backend auth
 * (docs: /work/notes/pool-v2.md). Each test names the observed problem it
 * guards; every wait polls a real condition (Redis's own INFO and CLIENT
 * LIST, warren's stats) with a deadline.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { ProxyServer } from "../../src/index.ts";
import { RawConn } from "../helpers/hostile/raw.ts";
import { eventually, within } from "../helpers/poll.ts";
import { portOf, proxyTo } from "../helpers/proxy.ts";
import { type Reply, RespClient, RespError, type TestRedis, startRedis } from "../helpers/redis.ts";

// Every wait below has its own deadline; this only keeps a wedged test from being cut off (and its Redis killed) first.
setDefaultTimeout(20_000);

const MODES = [
  ["multiplexed", true],
  ["exclusive", false],
] as const;

/** Each group has its own Redis: a test cut off by its timeout has bun kill what it started, and only this group's Redis goes. */
let redis: TestRedis;
function ownRedis(options: Parameters<typeof startRedis>[0] = {}): void {
  beforeAll(async () => {
    redis = await startRedis(options);
  });
  afterAll(async () => {
    await redis[Symbol.asyncDispose]();
  });
}

let unique = 0;
const fresh = (what: string) => `${what}:${process.pid}:${++unique}`;

function poolProxy(pool: Record<string, unknown>, listener: Record<string, unknown> = {}, address = redis.address): Promise<ProxyServer> {
  return proxyTo([address], { mode: "pool", pool: { framer: { kind: "resp" }, ...pool }, ...listener });
}

const blockedClients = () => redis.infoNumber("clients", "blocked_clients");

/** othersServed: `n` fresh clients each SET and GET their own key; returns what went wrong ([] when all were served). */
async function othersServed(port: number, n = 4): Promise<string[]> {
  const out = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      using c = await RespClient.connect(port);
      const k = fresh("other");
      const got = await within(
        3000,
        `other client ${i}`,
        c.pipeline([
          ["SET", k, "v"],
          ["GET", k],
        ]),
      ).catch((e: Error) => e.message);
      return Bun.deepEquals(got, ["OK", "v"]) ? null : `other client ${i}: ${JSON.stringify(got)}`;
    }),
  );
  return out.filter((x) => x !== null);
}

/** The reply of each client to one command, or what happened instead ("closed", "no reply in 3000 ms"). */
async function replyOrFate(c: RespClient, bytes: string): Promise<string> {
  return within(3000, "no reply", c.sendRaw(bytes, 1)).then(
    ([r]) => (r instanceof RespError ? `-${r.message}` : JSON.stringify(r)),
    (e: Error) => (c.closed ? "closed" : e.message),
  );
}

describe.each(MODES)("5. clients that leave while blocked in BLPOP (%s)", (_mode, multiplex) => {
  ownRedis();
  test.each([["FIN"], ["RST"]])(
    "8 clients in BLPOP jobs 0 leave with %s: Redis drops them at once, others are served, a later RPUSH is not lost",
    async (how) => {
      await using proxy = await poolProxy({ multiplex, maxPerBackend: 4, queueTimeoutMs: 1000 });
      const port = portOf(proxy);
      const jobs = fresh("jobs");
      const blocked = await Promise.all(Array.from({ length: 8 }, () => RespClient.connect(port)));
      for (const c of blocked) c.write(`BLPOP ${jobs} 0\r\n`);
      // As many as the pin cap allows (3 of 4 connections) are blocked in Redis before anyone leaves.
      await eventually(blockedClients, (n) => n >= 3, "BLPOPs to block in Redis");
      for (const c of blocked) how === "FIN" ? c.end() : c.terminate();
      await eventually(blockedClients, (n) => n === 0, "Redis to drop every blocked client once they left", 2000);
      expect(await othersServed(port)).toEqual([]);
      // No BLPOP of a client that left is still queued to be sent later: the job stays in the list.
      using direct = await RespClient.connect(redis.port);
      expect(await direct.command("RPUSH", jobs, "job1")).toBe(1);
      await eventually(
        () => proxy.stats().listeners[0]!.pool!,
        (p) => p.clients === 0 && p.backends[0]!.waiters === 0,
        "every blocked client to be gone from the pool",
      );
      expect(await othersServed(port, 1)).toEqual([]);
      expect(await direct.command("LLEN", jobs)).toBe(1);
    },
  );
});

describe.each(MODES)("5b. a client that QUITs behind a waiting BLPOP and a backlog, then leaves (%s)", (_mode, multiplex) => {
  ownRedis();
  test.each([["FIN"], ["RST"]])(
    "it is not left blocked in Redis (%s): its connection is closed and the pool returns to idle",
    async (how) => {
      // Found by the isolation test: a client whose BLPOP waited for a connection, with a backlog over
      // highWaterBytes and QUIT behind it, was paused while draining; once its BLPOP went out it blocked
      // in Redis for good, as the paused socket hid the client's FIN. Now such a client is closed when its
      // BLPOP goes out (QUERY_BUFFER_FULL, as for an open one), so Redis never keeps it blocked.
      await using proxy = await poolProxy({ multiplex, maxPerBackend: 2, queueTimeoutMs: 10_000 }, { highWaterBytes: 4096 });
      const port = portOf(proxy);
      using holder = await RespClient.connect(port);
      const held = holder.sendRaw(`BLPOP ${fresh("held")} 1\r\n`, 1);
      await eventually(blockedClients, (n) => n === 1, "the holder's BLPOP to block in Redis");
      const c = await RespClient.connect(port);
      const backlog = Array.from({ length: 500 }, (_, i) => `*3\r\n$3\r\nSET\r\n$8\r\nbacklog${i % 10}\r\n$2\r\n${(i % 90) + 10}\r\n`);
      c.write(`BLPOP ${fresh("q")} 0\r\n${backlog.join("")}QUIT\r\n`);
      expect(await held).toEqual([null]); // the holder's 1 s is up: the connection is free for the waiting BLPOP
      how === "FIN" ? c.end() : c.terminate();
      await eventually(blockedClients, (n) => n === 0, "Redis to drop the blocked connection once the client left");
      await eventually(
        () => proxy.stats().listeners[0]!.pool!,
        (p) => p.clients === 1 && p.pinnedClients === 0,
        "the client to be gone from the pool",
      );
      expect(await othersServed(port)).toEqual([]);
    },
  );
});

describe.each(MODES)("6. pins cannot starve shared traffic (%s)", (_mode, multiplex) => {
  ownRedis();
  const refused = "-ERR warren: too many pinned connections (maxPinnedPerBackend = 3)";

  test("8 idle clients SELECT 0 over maxPerBackend = 4: 3 pin, 5 are refused and closed, other clients are served", async () => {
    await using proxy = await poolProxy({ multiplex, maxPerBackend: 4, queueTimeoutMs: 1000 });
    const port = portOf(proxy);
    const pinners = await Promise.all(Array.from({ length: 8 }, () => RespClient.connect(port)));
    try {
      const replies = await Promise.all(pinners.map((c) => replyOrFate(c, "SELECT 0\r\n")));
      const closes = await Promise.all(
        pinners.map((c) =>
          within(1000, "close", c.whenClosed()).then(
            () => "closed",
            () => "open",
          ),
        ),
      );
      const fates = replies.map((r, i) => `${r} ${closes[i]}`).sort();
      expect(fates).toEqual([...Array(3).fill('"OK" open'), ...Array(5).fill(`${refused} closed`)]);
      expect(await othersServed(port)).toEqual([]);
    } finally {
      for (const c of pinners) c.close();
    }
  });

  test("8 clients sitting in BLPOP k 0 over maxPerBackend = 4: 3 block, 5 are refused and stay, other clients are served", async () => {
    await using proxy = await poolProxy({ multiplex, maxPerBackend: 4, queueTimeoutMs: 1000 });
    const port = portOf(proxy);
    const key = fresh("never");
    const blockers = await Promise.all(Array.from({ length: 8 }, () => RespClient.connect(port)));
    try {
      const pending = blockers.map((c) => replyOrFate(c, `BLPOP ${key} 0\r\n`));
      await eventually(blockedClients, (n) => n >= 3, "3 BLPOPs to block in Redis");
      expect(await othersServed(port)).toEqual([]);
      const settled = await Promise.all(pending);
      expect(settled.filter((r) => r === refused).length).toBe(5);
      // The refused ones are still usable.
      const refusedClients = blockers.filter((_, i) => settled[i] === refused);
      for (const c of refusedClients) expect(await within(3000, "PING", c.command("PING"))).toBe("PONG");
    } finally {
      for (const c of blockers) c.terminate();
    }
  });

  test("pinnedIdleTimeoutMs closes a pinned client with nothing outstanding (EOF) and its connection; a busy pinned client stays", async () => {
    await using proxy = await poolProxy({ multiplex, maxPerBackend: 4, pinnedIdleTimeoutMs: 300 });
    const port = portOf(proxy);
    using idle = await RespClient.connect(port);
    using busy = await RespClient.connect(port);
    expect(await idle.command("SELECT", 1)).toBe("OK");
    expect(await busy.command("SELECT", 2)).toBe("OK");
    const before = await redis.connectedClients();
    const started = performance.now();
    while (!idle.closed && performance.now() - started < 3000) {
      expect(await busy.command("PING")).toBe("PONG");
      await Bun.sleep(50); // pacing of the busy client's requests, not a wait for a condition
    }
    expect(idle.closed).toBe(true);
    expect(idle.bytesReceived).toBe(5); // its +OK only: EOF, no error
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    expect(busy.closed).toBe(false);
    await eventually(
      () => redis.connectedClients(),
      (n) => n === before - 1,
      "the idle client's pinned connection to close",
    );
  });

  test("maxPinnedPerClient refuses the third pin from one client address", async () => {
    await using proxy = await poolProxy({ multiplex, maxPerBackend: 8, maxPinnedPerClient: 2 });
    const port = portOf(proxy);
    const clients = await Promise.all([1, 2, 3].map(() => RespClient.connect(port)));
    try {
      expect(await replyOrFate(clients[0]!, "SELECT 1\r\n")).toBe('"OK"');
      expect(await replyOrFate(clients[1]!, "SELECT 1\r\n")).toBe('"OK"');
      expect(await replyOrFate(clients[2]!, "SELECT 1\r\n")).toBe(
        "-ERR warren: too many pinned connections for this client address (maxPinnedPerClient = 2)",
      );
      await within(1000, "the refused client to be closed", clients[2]!.whenClosed());
    } finally {
      for (const c of clients) c.close();
    }
  });

  test("CLIENT ID does not pin: 8 clients that asked it stay connected over maxPerBackend = 2 and everyone is served", async () => {
    await using proxy = await poolProxy({ multiplex, maxPerBackend: 2, queueTimeoutMs: 1000 });
    const port = portOf(proxy);
    const askers = await Promise.all(Array.from({ length: 8 }, () => RespClient.connect(port)));
    try {
      const ids = await Promise.all(askers.map((c) => within(3000, "CLIENT ID", c.command("CLIENT", "ID")).catch((e: Error) => e.message)));
      expect(ids.map((r) => typeof r)).toEqual(Array(8).fill("number"));
      expect(proxy.stats().listeners[0]!.pool!.pinnedClients).toBe(0);
      expect(await othersServed(port)).toEqual([]);
    } finally {
      for (const c of askers) c.close();
    }
  });
});

/** The largest output buffer Redis holds for any client: a pooled connection warren stopped reading. */
async function largestRedisOutputBuffer(): Promise<number> {
  const list = (await redis.admin("CLIENT", "LIST")) as string;
  let most = 0;
  for (const m of list.matchAll(/ omem=(\d+)/g)) most = Math.max(most, Number(m[1]));
  return most;
}

describe("8. slow readers (multiplexed)", () => {
  ownRedis();
  const MiB = 1024 * 1024;
  let big: string;
  beforeAll(async () => {
    big = fresh("big");
    await redis.admin("SET", big, Buffer.alloc(8 * MiB, 0x61));
  });

  test("a connection paused for a client that stopped reading is never handed to another client", async () => {
    await using proxy = await poolProxy({ multiplex: true, maxPerBackend: 2, minIdlePerBackend: 2, queueTimeoutMs: 3000 });
    const port = portOf(proxy);
    const slow = await RawConn.connect(port, { read: false });
    try {
      slow.write(`GET ${big}\r\n`.repeat(4));
      await eventually(largestRedisOutputBuffer, (n) => n > 4 * MiB, "Redis to hold the replies warren stopped reading");
      // Eight clients, twenty requests each: all on the connection that is not paused.
      const failures = await Promise.all(
        Array.from({ length: 8 }, async (_, i) => {
          using c = await RespClient.connect(port);
          for (let j = 0; j < 20; j++) {
            const r = await within(2000, `client ${i} request ${j}`, c.command("ECHO", `${i}:${j}`)).catch((e: Error) => e.message);
            if (r !== `${i}:${j}`) return `client ${i} request ${j}: ${JSON.stringify(r)}`;
          }
          return null;
        }),
      );
      expect(failures.filter((f) => f !== null)).toEqual([]);
    } finally {
      slow.terminate();
    }
  });

  test("two slow clients on one connection: it resumes only when the last of them drains or leaves", async () => {
    await using proxy = await poolProxy({ multiplex: true, maxPerBackend: 1, queueTimeoutMs: 10_000 });
    const port = portOf(proxy);
    const first = await RespClient.connect(port);
    const second = await RawConn.connect(port, { read: false });
    first.pause();
    try {
      const firstReplies = first.sendRaw(`GET ${big}\r\nGET ${big}\r\n`, 2);
      await eventually(largestRedisOutputBuffer, (n) => n > 2 * MiB, "the connection to pause for the first slow client");
      second.write(`GET ${big}\r\nGET ${big}\r\n`);
      using waiting = await RespClient.connect(port);
      const pong = waiting.command("PING");
      // The first slow client drains: every byte of its replies arrives.
      first.resume();
      const got = await within(10_000, "the first slow client's replies", firstReplies);
      expect(got.map((r) => (r as string).length)).toEqual([8 * MiB, 8 * MiB]);
      // The second still reads nothing: the connection pauses for it again, holding its replies in Redis.
      await eventually(largestRedisOutputBuffer, (n) => n > 2 * MiB, "the connection to stay paused for the second slow client");
      expect(await Promise.race([pong, Bun.sleep(0).then(() => "not yet")])).toBe("not yet");
      // It leaves: the connection resumes and the waiting client is served.
      second.terminate();
      expect(await within(5000, "the waiting client's PING after the last slow client left", pong)).toBe("PONG");
    } finally {
      first.close();
      second.terminate();
    }
  });
});

describe.each(MODES)("11. Redis closes the connection of an idle pinned client (%s)", (_mode, multiplex) => {
  ownRedis({ args: ["--user", "pooled", "on", ">pooled-secret", "~*", "&*", "+@all"] });
  test("CLIENT KILL from an admin connection: the client gets EOF, not an unsolicited error", async () => {
    await using proxy = await poolProxy({ multiplex, maxPerBackend: 4 });
    using pinned = await RespClient.connect(portOf(proxy));
    expect(await pinned.command("SELECT", 1)).toBe("OK");
    const received = pinned.bytesReceived;
    await redis.admin("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes");
    await within(3000, "the pinned client to be closed", pinned.whenClosed());
    expect(pinned.bytesReceived).toBe(received);
    expect(pinned.pushes).toEqual([]);
  });

  test("ACL DELUSER of the pooled user: the client gets EOF, not an unsolicited error", async () => {
    await redis.admin("ACL", "SETUSER", "pooled", "on", ">pooled-secret", "~*", "&*", "+@all");
    await using proxy = await poolProxy({ multiplex, maxPerBackend: 4, auth: { username: "pooled", password: "pooled-secret" } });
    using pinned = await RespClient.connect(portOf(proxy));
    expect(await pinned.command("SELECT", 1)).toBe("OK");
    const received = pinned.bytesReceived;
    expect(await redis.admin("ACL", "DELUSER", "pooled")).toBe(1);
    await within(3000, "the pinned client to be closed", pinned.whenClosed());
    expect(pinned.bytesReceived).toBe(received);
    expect(pinned.pushes).toEqual([]);
  });
});

describe("12. authentication, recovery and accounting", () => {
  describe("requirepass", () => {
    ownRedis({ args: ["--requirepass", "s3cret"], adminAuth: ["s3cret"] });
    test.each(MODES)("40 clients over 4 connections succeed with pool.auth (%s)", async (_mode, multiplex) => {
      await using proxy = await poolProxy({ multiplex, maxPerBackend: 4, auth: { password: "s3cret" } });
      const port = portOf(proxy);
      let peak = 0;
      const results = await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          using c = await RespClient.connect(port);
          const k = fresh("authed");
          const got = await within(
            5000,
            `client ${i}`,
            c.pipeline([
              ["SET", k, "v"],
              ["GET", k],
              ["INCR", `${k}:n`],
            ]),
          ).catch((e: Error) => e.message);
          peak = Math.max(peak, await redis.connectedClients());
          return Bun.deepEquals(got, ["OK", "v", 1]) ? null : JSON.stringify(got);
        }),
      );
      expect(results.filter((r) => r !== null)).toEqual([]);
      expect(peak).toBeLessThanOrEqual(4);
    });

    test("a wrong pool.auth marks the backend down at once, with Redis's reason; clients get a clear error, not a hang", async () => {
      await using proxy = await poolProxy(
        { multiplex: true, maxPerBackend: 2, auth: { password: "wrong" } },
        { health: { passive: { failures: 3, cooldownMs: 30_000 } } },
      );
      const backend = await eventually(
        () => proxy.stats().listeners[0]!.backends[0]!,
        (b) => !b.healthy,
        "the refused AUTH to mark the backend down",
      );
      expect(backend.downReason).toStartWith("pooled connection setup refused: WRONGPASS");
      expect(backend.downReason).toContain("check listeners[].pool.auth");
      using c = await RespClient.connect(portOf(proxy));
      expect(await within(3000, "a reply", c.command("PING"))).toEqual(new RespError("ERR warren: no backend available"));
      // The running pool never handed a client a connection that failed its AUTH.
      expect(proxy.stats().listeners[0]!.pool!.backends[0]!.connectionsOpened).toBe(0);
    });
  });

  describe("clientPassword", () => {
    ownRedis();
    test("warren answers AUTH itself: NOAUTH before it, WRONGPASS for a wrong password, +OK for the right one", async () => {
      await using proxy = await poolProxy({ multiplex: true, maxPerBackend: 2, clientPassword: "c1" });
      const port = portOf(proxy);
      using c = await RespClient.connect(port, { keepFrames: true });
      expect(await c.command("PING")).toEqual(new RespError("NOAUTH Authentication required."));
      expect(await c.command("GET", "k")).toEqual(new RespError("NOAUTH Authentication required."));
      expect(await c.command("AUTH", "wrong")).toEqual(new RespError("WRONGPASS invalid username-password pair or user is disabled."));
      expect(await c.command("AUTH", "c1")).toBe("OK");
      expect(await c.command("PING")).toBe("PONG");
      using d = await RespClient.connect(port);
      expect(await d.command("AUTH", "default", "c1")).toBe("OK");
      expect(await d.command("PING")).toBe("PONG");
      using h = await RespClient.connect(port);
      const hello: Reply = await h.command("HELLO", "3", "AUTH", "default", "c1");
      expect(hello).not.toBeInstanceOf(RespError);
      expect(await h.command("PING")).toBe("PONG");
    });
  });

  test("a lone pooled backend that was down is used again as soon as a pooled connect succeeds, not after the whole cool-down", async () => {
    await using own = await startRedis();
    await using proxy = await poolProxy(
      { multiplex: true, maxPerBackend: 2 },
      { health: { passive: { failures: 1, cooldownMs: 30_000 } } },
      own.address,
    );
    const port = portOf(proxy);
    using warm = await RespClient.connect(port);
    expect(await warm.command("PING")).toBe("PONG");
    await own.kill();
    await eventually(
      () => proxy.stats().listeners[0]!.backends[0]!.healthy,
      (h) => !h,
      "passive health to mark the backend down",
    );
    await own.start();
    // The pool keeps reconnecting (backoff at most 2 s); its first success ends the cool-down.
    const pong = await eventually(
      async () => {
        using c = await RespClient.connect(port);
        // Awaited here: `using` closes the client when this function returns.
        return await within(1000, "PING", c.command("PING")).catch((e: Error) => e.message);
      },
      (r) => r === "PONG",
      "a client to be served again well before the 30 s cool-down ends",
      6000,
    );
    expect(pong).toBe("PONG");
  });

  describe("stats", () => {
    ownRedis();
    test("bytesFromClients and bytesFromBackends count a pooled listener's traffic", async () => {
      await using proxy = await poolProxy({ multiplex: true });
      using c = await RespClient.connect(portOf(proxy));
      expect(await c.command("SET", "bytes", "x".repeat(100))).toBe("OK");
      expect(await c.command("GET", "bytes")).toBe("x".repeat(100));
      const l = proxy.stats().listeners[0]!;
      expect(l.bytesFromClients).toBeGreaterThan(100);
      expect(l.bytesFromBackends).toBeGreaterThan(100);
    });
  });
});

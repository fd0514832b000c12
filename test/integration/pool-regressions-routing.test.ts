/**
 * Regressions of issue 7, reply routing: requests whose replies Redis does not
 * give one per request, or whose real command name hides behind inline
 * quoting, NUL bytes or protocol errors, must never shift, steal or wedge
 * another client's replies. Each test names the observed problem it guards
 * (docs: /work/notes/pool-v2.md). Where Redis itself has an answer, the client
 * through warren must get exactly Redis's bytes: the test asks a direct
 * connection first.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { ProxyServer } from "../../src/index.ts";
import { connectClient } from "../helpers/client.ts";
import { eventually, within } from "../helpers/poll.ts";
import { portOf, proxyTo } from "../helpers/proxy.ts";
import { type Reply, RespClient, RespError, RespMap, type TestRedis, startRedis } from "../helpers/redis.ts";

// Every wait below has its own deadline; this only keeps a wedged test from being cut off (and its Redis killed) first.
setDefaultTimeout(20_000);

/**
 * Each group of tests has its own Redis: when a wedged test is cut off by its
 * timeout, bun kills the processes it left running, and that must not take
 * the Redis of every later group with it.
 */
let redis: TestRedis;
function ownRedis(): void {
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis[Symbol.asyncDispose]();
  });
}

const MODES = [
  ["multiplexed", true],
  ["exclusive", false],
] as const;

let unique = 0;
/** A key no other test uses. */
const fresh = (what: string) => `${what}:${process.pid}:${++unique}`;

function poolProxy(pool: Record<string, unknown>, listener: Record<string, unknown> = {}): Promise<ProxyServer> {
  return proxyTo([redis.address], { mode: "pool", pool: { framer: { kind: "resp" }, ...pool }, ...listener });
}

const isPong = (r: Reply) => r === "PONG" || (Array.isArray(r) && r[0] === "pong");

/**
 * repliesUntilPong writes `bytes` and then a PING, and returns every reply
 * that came before the PING's: exactly what `bytes` were answered with.
 */
async function repliesUntilPong(c: RespClient, bytes: string): Promise<Reply[]> {
  const from = c.pushes.length;
  c.write(`${bytes}PING\r\n`);
  await eventually(
    () => c.pushes.slice(from).some(isPong) || c.closed,
    (done) => done,
    `the PING after ${JSON.stringify(bytes)}`,
  );
  const got = c.pushes.slice(from);
  if (!got.some(isPong)) throw new Error(`closed before the PING's reply; got ${JSON.stringify(got)}`);
  return got.slice(0, got.findIndex(isPong));
}

/** What Redis itself answers to `bytes` on a fresh direct connection. */
async function redisAnswers(bytes: string): Promise<Reply[]> {
  using direct = await RespClient.connect(redis.port);
  return await repliesUntilPong(direct, bytes); // await: `using` closes the connection when this returns
}

/** What Redis itself sends to a fresh direct connection for `bytes`, until it closes (for protocol errors). */
async function redisBytesUntilClose(bytes: string): Promise<string> {
  const c = await connectClient(redis.port);
  await c.send(bytes);
  await within(2000, "Redis to close after a protocol error", c.closed);
  return c.received().toString("latin1");
}

/**
 * Victims: clients that each pipeline `perRound` INCRs of their own counter,
 * `rounds` times, while `during(round)` does something else on the pool.
 * Returns the replies that were not the numbers they must be, and what
 * `during` reported as wrong ([] when all was right). It stops after the
 * first round that went wrong: a lost reply shifts every later one.
 */
async function victimsRun(
  port: number,
  victims: number,
  rounds: number,
  perRound = 10,
  during?: (round: number) => Promise<string | undefined | void>,
): Promise<string[]> {
  const clients = await Promise.all(Array.from({ length: victims }, () => RespClient.connect(port)));
  const keys = clients.map(() => fresh("victim"));
  const wrong: string[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      const work = clients.map(async (c, i) => {
        const replies = await within(
          3000,
          `victim ${i} round ${round}`,
          c.pipeline(Array.from({ length: perRound }, () => ["INCR", keys[i]!])),
        ).catch((e: Error) => {
          wrong.push(e.message);
          return [];
        });
        // The first wrong reply of each victim says enough: a shifted reply shifts the rest.
        const j = replies.findIndex((r, j) => r !== round * perRound + j + 1);
        if (j >= 0)
          wrong.push(`victim ${i} round ${round} request ${j}: got ${JSON.stringify(replies[j])}, want ${round * perRound + j + 1}`);
      });
      const [problem] = await Promise.all([during?.(round), ...work]);
      if (typeof problem === "string") wrong.push(`round ${round}: ${problem}`);
      if (wrong.length > 0) break;
    }
  } finally {
    for (const c of clients) c.close();
  }
  return wrong;
}

describe.each(MODES)("1. UNSUBSCRIBE-family replies are one per channel (%s)", (_mode, multiplex) => {
  ownRedis();
  const cases: [string, string][] = [
    ["UNSUBSCRIBE a b c while not subscribed (3 replies)", "UNSUBSCRIBE a b c\r\n"],
    ["PUNSUBSCRIBE with two patterns while not subscribed (2 replies)", "PUNSUBSCRIBE a* b*\r\n"],
    [
      "SUNSUBSCRIBE with three shard channels while not subscribed (3 replies)",
      "*4\r\n$12\r\nSUNSUBSCRIBE\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n",
    ],
    ["UNSUBSCRIBE with no channel while not subscribed (1 reply)", "UNSUBSCRIBE\r\n"],
    ["PUNSUBSCRIBE and SUNSUBSCRIBE with no argument (1 reply each)", "PUNSUBSCRIBE\r\nSUNSUBSCRIBE\r\n"],
    ["UNSUBSCRIBE with no channel while subscribed to three (3 replies)", "SUBSCRIBE x y z\r\nUNSUBSCRIBE\r\n"],
    ["MULTI, UNSUBSCRIBE a b c, EXEC (EXEC's reply is followed by two more)", "MULTI\r\nUNSUBSCRIBE a b c\r\nEXEC\r\n"],
  ];
  test.each(cases)("%s: the sender gets exactly Redis's replies, other clients' replies stay their own", async (_name, bytes) => {
    await using proxy = await poolProxy({ multiplex, maxPerBackend: 2 });
    const port = portOf(proxy);
    const want = await redisAnswers(bytes);
    const wrong = await victimsRun(port, 4, 12, 10, async () => {
      using sender = await RespClient.connect(port);
      const got = await within(3000, "the sender's replies", repliesUntilPong(sender, bytes)).catch((e: Error) => e.message);
      if (!Bun.deepEquals(got, want)) return `the sender got ${JSON.stringify(got)}, Redis answers ${JSON.stringify(want)}`;
    });
    expect(wrong).toEqual([]);
  });
});

describe.each(MODES)("2. inline quoting cannot hide MULTI, EXEC or SELECT (%s)", (_mode, multiplex) => {
  ownRedis();
  test('"MUL\\x54I" opens a transaction for its sender only: victims never get +QUEUED, "EX\\x45C" returns only the sender\'s own results', async () => {
    await using proxy = await poolProxy({ multiplex, maxPerBackend: 2 });
    const port = portOf(proxy);
    using attacker = await RespClient.connect(port);
    const own = fresh("attk");
    expect(await attacker.sendRaw('"MUL\\x54I"\r\n', 1)).toEqual(["OK"]);
    expect(await attacker.command("SET", own, "mine")).toBe("QUEUED");
    const victimKeys: string[] = [];
    const wrong = await victimsRun(port, 4, 10, 10, async () => {
      using v = await RespClient.connect(port);
      const k = fresh("victim-value");
      victimKeys.push(k);
      const replies = await v.pipeline([
        ["SET", k, `victim-${k}`],
        ["GET", k],
      ]);
      if (JSON.stringify(replies) !== JSON.stringify(["OK", `victim-${k}`]))
        throw new Error(`victim SET/GET got ${JSON.stringify(replies)}`);
    });
    expect(wrong).toEqual([]);
    expect(await attacker.sendRaw('"EX\\x45C"\r\n', 1)).toEqual([["OK"]]);
    // The victims' writes happened, in database 0.
    using direct = await RespClient.connect(redis.port);
    for (const k of victimKeys) expect(await direct.command("GET", k)).toBe(`victim-${k}`);
  });

  test.each([['SEL"ECT" 5'], ["'SELECT' 5"], ['"\\x53ELECT" "5"'], ["select 5"]])(
    "%s switches only its sender to database 5: other clients' writes never land there",
    async (spelled) => {
      await using proxy = await poolProxy({ multiplex, maxPerBackend: 2 });
      const port = portOf(proxy);
      using direct = await RespClient.connect(redis.port);
      await direct.command("SELECT", 5);
      await direct.command("FLUSHDB");
      using attacker = await RespClient.connect(port);
      expect(await attacker.sendRaw(`${spelled}\r\n`, 1)).toEqual(["OK"]);
      const wrong = await victimsRun(port, 4, 10);
      const own = fresh("attk-db5");
      expect(await attacker.command("SET", own, "in five")).toBe("OK");
      expect(wrong).toEqual([]);
      expect(await direct.command("KEYS", "*")).toEqual([own]);
    },
  );
});

describe.each(MODES)("3. PING\\0 (a NUL before the LF) (%s)", (_mode, multiplex) => {
  ownRedis();
  test("gets no reply, as from Redis; the other clients on the same single connection keep being served", async () => {
    await using proxy = await poolProxy({ multiplex, maxPerBackend: 1, queueTimeoutMs: 1000 });
    const port = portOf(proxy);
    expect(await redisAnswers("PING\0\r\n").catch(() => "no answer")).toBe("no answer");
    using nul = await RespClient.connect(port);
    nul.write("PING\0\r\n");
    const wrong = await victimsRun(port, 3, 10);
    expect(wrong).toEqual([]);
    expect(nul.bytesReceived).toBe(0);
    expect(nul.closed).toBe(false);
  });

  test("graceful close does not wait the drain timeout for it: no reply is owed", async () => {
    const proxy = await poolProxy({ multiplex, maxPerBackend: 2 });
    using nul = await RespClient.connect(portOf(proxy));
    // The PONG shows warren has read the write that carries the NUL line too.
    expect(await within(3000, "the PING before the NUL line", nul.sendRaw("PING\r\nPING\0\r\n", 1))).toEqual(["PONG"]);
    const started = performance.now();
    // Not awaited past its deadline: a close that hangs must fail this test, not time it out.
    const closed = await within(6000, "graceful close", proxy.close({ graceful: true, drainTimeoutMs: 3000 })).then(
      () => `closed after ${Math.round(performance.now() - started)} ms`,
      (e: Error) => e.message,
    );
    expect(closed).toMatch(/^closed after \d+ ms$/);
    expect(performance.now() - started).toBeLessThan(1000);
    await within(1000, "the NUL client to be closed", nul.whenClosed());
  });

  test("64 KiB later the client gets Redis's 'too big inline request' and is closed", async () => {
    await using proxy = await poolProxy({ multiplex, maxPerBackend: 1 });
    const bytes = `PING\0${"x".repeat(70_000)}`;
    const want = await redisBytesUntilClose(bytes);
    expect(want).toBe("-ERR Protocol error: too big inline request\r\n");
    const c = await connectClient(portOf(proxy));
    await c.send(bytes);
    await within(3000, "warren to close the client", c.closed);
    expect(c.received().toString("latin1")).toBe(want);
  });
});

describe.each(MODES)("4. protocol errors are answered in Redis's words and close only that client (%s)", (_mode, multiplex) => {
  ownRedis();
  const cases: [string, string][] = [
    ['GET "x', 'GET "x\r\n'],
    ["GET 'x", "GET 'x\r\n"],
    ['GET "x"y', 'GET "x"y\r\n'],
    ["a multibulk count too big", "*99999999999\r\n"],
    ["a bulk length too big", "*1\r\n$99999999999\r\n"],
    ["a simple string inside a request", "*2\r\n+x\r\n"],
    ["an inline line past 64 KiB without its LF", "A".repeat(70_000)],
  ];
  test.each(cases)(
    "%s: after the replies to its earlier requests, exactly Redis's error, then close; every other client's request succeeds",
    async (_name, bad) => {
      await using proxy = await poolProxy({ multiplex, maxPerBackend: 1 });
      const port = portOf(proxy);
      const want = await redisBytesUntilClose(`PING\r\n${bad}`);
      expect(want.startsWith("+PONG\r\n-ERR Protocol error: ")).toBe(true);
      const wrong = await victimsRun(port, 4, 10, 20, async (round) => {
        if (round !== 3) return;
        const c = await connectClient(port);
        await c.send(`PING\r\n${bad}`);
        await within(3000, "warren to close the bad client", c.closed);
        expect(c.received().toString("latin1")).toBe(want);
      });
      expect(wrong).toEqual([]);
      // The error was warren's to give: the shared connection was never closed under the others.
      expect(proxy.stats().listeners[0]!.pool!.backends[0]!.connectionsLost).toBe(0);
    },
  );

  test('GET "x, then another client queued for the only connection: it is not handed a dying connection', async () => {
    await using proxy = await poolProxy({ multiplex, maxPerBackend: 1 });
    const port = portOf(proxy);
    const results: string[] = [];
    for (let i = 0; i < 5; i++) {
      const bad = await connectClient(port);
      using next = await RespClient.connect(port);
      await bad.send('GET "x\r\n');
      const pong = await within(3000, "the next client's PING", next.command("PING")).catch((e: Error) => e.message);
      const closed = await within(3000, "the bad client to be closed", bad.closed).then(
        () => "closed",
        (e: Error) => e.message,
      );
      results.push(`${JSON.stringify(pong)}, ${closed}`);
      if (results.at(-1) !== '"PONG", closed') break;
    }
    expect(results).toEqual(Array(5).fill('"PONG", closed'));
  });
});

describe("RESP3", () => {
  ownRedis();
  test("HELLO 3 is answered by warren with a RESP3 map and pins nothing; RESP3 clients get RESP3 replies, RESP2 clients on the same pool RESP2", async () => {
    await using proxy = await poolProxy({ multiplex: true, maxPerBackend: 4, queueTimeoutMs: 2000 });
    const port = portOf(proxy);
    const hash = fresh("hash");
    using direct = await RespClient.connect(redis.port);
    await direct.command("HSET", hash, "f", "v");
    // Eight RESP3 clients stay connected at once over four connections.
    const resp3 = await Promise.all(Array.from({ length: 8 }, () => RespClient.connect(port, { keepFrames: true })));
    const resp2 = await RespClient.connect(port, { keepFrames: true });
    try {
      // Each answered with Redis's HELLO keys, in Redis's order, proto 3 and an integer id.
      const hellos = await Promise.all(
        resp3.map((c) => within(4000, "HELLO 3's reply", c.command("HELLO", "3")).catch((e: Error) => e.message)),
      );
      const shape = (r: Reply | string) =>
        r instanceof RespMap
          ? `${r.entries.map(([k]) => k).join(",")} proto=${r.get("proto")} id:${typeof r.get("id")}`
          : JSON.stringify(r);
      expect(hellos.map(shape)).toEqual(Array(8).fill("server,version,proto,id,mode,role,modules proto=3 id:number"));
      expect(proxy.stats().listeners[0]!.pool!.pinnedClients).toBe(0);
      for (const c of resp3) {
        expect(await within(3000, "HGETALL", c.command("HGETALL", hash))).toEqual(new RespMap([["f", "v"]]));
        expect(c.frames.at(-1)!.toString()).toBe("%1\r\n$1\r\nf\r\n$1\r\nv\r\n");
        expect(await c.command("GET", fresh("missing"))).toBe(null);
        expect(c.frames.at(-1)!.toString()).toBe("_\r\n");
      }
      expect(await resp2.command("HGETALL", hash)).toEqual(["f", "v"]);
      expect(resp2.frames.at(-1)!.toString()).toBe("*2\r\n$1\r\nf\r\n$1\r\nv\r\n");
      expect(await resp2.command("GET", fresh("missing"))).toBe(null);
      expect(resp2.frames.at(-1)!.toString()).toBe("$-1\r\n");
    } finally {
      for (const c of [...resp3, resp2]) c.close();
    }
  });
});

// The Lua debugger answers EVAL with a session of its own, not one reply per request: SCRIPT DEBUG
// YES|SYNC turns the sender's connection pass-through (src/pool/commands.ts), confined to it.
describe.each(MODES)("SCRIPT DEBUG (%s)", (_mode, multiplex) => {
  ownRedis();
  test("SCRIPT DEBUG YES then EVAL from one client: the other clients' replies stay their own", async () => {
    await using proxy = await poolProxy({ multiplex, maxPerBackend: 2 });
    const port = portOf(proxy);
    const wrong = await victimsRun(port, 4, 10, 10, async () => {
      const dbg = await RespClient.connect(port);
      dbg.write('SCRIPT DEBUG YES\r\nEVAL "return 1" 0\r\nPING\r\n');
      await Bun.sleep(20); // pacing: let the debug session start among the victims' requests
      dbg.terminate();
    });
    expect(wrong).toEqual([]);
  });
});

describe("errors from Redis", () => {
  ownRedis();
  test("no reply is ever answered with an error from the wrong pool: a RespError from Redis reaches only its sender", async () => {
    // A command Redis refuses (wrong arity) among victims: the refusal is the sender's alone.
    await using proxy = await poolProxy({ multiplex: true, maxPerBackend: 1 });
    const port = portOf(proxy);
    const errors: Reply[] = [];
    const wrong = await victimsRun(port, 4, 10, 10, async () => {
      using c = await RespClient.connect(port);
      errors.push(await c.command("GET"));
    });
    expect(wrong).toEqual([]);
    expect(errors).toEqual(Array(10).fill(new RespError("ERR wrong number of arguments for 'get' command")));
  });
});

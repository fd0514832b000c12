/**
 * The pooled mode's first promise, tested differentially: no reply ever reaches
 * the wrong client, and no client can exhaust what the others share.
 *
 * Against a real redis-server, through warren in both pool modes, honest
 * clients (RESP2 and RESP3, pipelining, writing at random byte boundaries)
 * check every reply byte for byte against what it must be, while attackers
 * send everything Redis accepts and much it does not (test/helpers/hostile/).
 * warren's pooled connections log in as an ACL user without @dangerous
 * (FLUSHALL, SWAPDB, CONFIG, CLIENT KILL, ...), so nothing an attacker may do
 * can legitimately change an honest client's data: any reply that differs is
 * warren's fault.
 *
 * Knobs for local runs: WARREN_ISOLATION_SECONDS (per mode, default 6),
 * WARREN_ISOLATION_SEED (replay a run's choices), WARREN_ISOLATION_SKIP (attacks
 * to leave out, comma-separated: see ATTACKS), WARREN_ISOLATION_BACKEND_AUTH=0
 * (no pool.auth: the pooled user is Redis's default user, restricted the same
 * way; for running the same attack against a warren without backend auth),
 * WARREN_ISOLATION_RESP3=0 (every honest client speaks RESP2).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startProxy, type ProxyServer } from "../../src/index.ts";
import { ATTACKS, type AttackerStats, runAttacker } from "../helpers/hostile/attacker.ts";
import { fetchCommandNames } from "../helpers/hostile/commands.ts";
import { HonestClient, type HonestProfile, type HonestStats, newHonestStats } from "../helpers/hostile/honest.ts";
import { Rng, runSeed } from "../helpers/hostile/rng.ts";
import { inline } from "../helpers/hostile/wire.ts";
import { memoryLogger, portOf } from "../helpers/proxy.ts";
import { RespClient, type TestRedis, startRedis } from "../helpers/redis.ts";

const SECONDS = Number(process.env.WARREN_ISOLATION_SECONDS ?? 6);
const SKIP = new Set((process.env.WARREN_ISOLATION_SKIP ?? "").split(",").filter((s) => s !== ""));
const BACKEND_AUTH = process.env.WARREN_ISOLATION_BACKEND_AUTH !== "0";
const RESP3 = process.env.WARREN_ISOLATION_RESP3 !== "0";
const HONEST_CLIENTS = 24;
const ATTACKERS = 4;
const MAX_PER_BACKEND = 4;
/** A wedged pool answers far fewer: a healthy one checks thousands per second. */
const MIN_CHECKED_PER_SECOND = 150;

const ADMIN = ["admin", "admin-secret"] as const;
const POOL_USER = { username: "warren", password: "pool-secret" };
/** Everything but @dangerous, on every key and channel. */
const RESTRICTED = ["~*", "&*", "+@all", "-@dangerous"];

/** The Redis users: an admin for the test itself, and the restricted user warren's pooled connections log in as. */
function aclArgs(): string[] {
  const admin = ["--user", ADMIN[0], "on", `>${ADMIN[1]}`, "~*", "&*", "+@all"];
  if (!BACKEND_AUTH) return [...admin, "--user", "default", "on", "nopass", ...RESTRICTED];
  return [...admin, "--user", "default", "off", "--user", POOL_USER.username, "on", `>${POOL_USER.password}`, ...RESTRICTED];
}

const seed = runSeed();

beforeAll(() => {
  for (const s of SKIP)
    if (!ATTACKS.includes(s)) throw new Error(`WARREN_ISOLATION_SKIP: unknown attack "${s}" (attacks: ${ATTACKS.join(", ")})`);
});

function profileOf(i: number): HonestProfile {
  return { resp3: RESP3 && i % 4 === 1, maxPipeline: i % 3 === 0 ? 8 : 1, split: i % 2 === 0 };
}

/** runHonest runs HONEST_CLIENTS honest clients against `port` until `until`. */
function startHonest(port: number, rng: Rng, until: number, stats: HonestStats): { clients: HonestClient[]; done: Promise<void[]> } {
  const clients = Array.from({ length: HONEST_CLIENTS }, (_, i) => new HonestClient(i, port, rng.fork(), profileOf(i), stats));
  return { clients, done: Promise.all(clients.map((c) => c.run(until))) };
}

function summary(stats: HonestStats): string {
  const errors = [...stats.errorTexts].map(([text, n]) => `${n}× ${text}`).join("; ");
  return `checked ${stats.checked}, wrong ${stats.wrong}, errors ${stats.errors}${errors === "" ? "" : ` (${errors})`}, unverifiable ${stats.unverifiable}`;
}

test("the checker itself: honest clients connected straight to Redis see every reply exactly as they expect", async () => {
  // A control run without warren: any wrong reply here is a bug in the test, not in warren.
  await using plain = await startRedis();
  const stats = newHonestStats();
  const { clients, done } = startHonest(plain.port, new Rng(seed), performance.now() + 1000, stats);
  await done;
  expect(stats.wrongSamples).toEqual([]);
  expect(stats.errors).toBe(0);
  expect(stats.checked).toBeGreaterThan(1000);
  expect(clients.every((c) => c.lastAnswered)).toBe(true);
});

test("the attackers' inline spellings are read by Redis as exactly the bytes meant", async () => {
  await using plain = await startRedis();
  using direct = await RespClient.connect(plain.port);
  const rng = new Rng(seed);
  for (let i = 0; i < 300; i++) {
    const value = rng.bytes(rng.between(1, 24));
    const [reply] = await direct.sendRaw(inline(["ECHO", value], rng), 1);
    expect(Buffer.from(reply as string, "utf8").equals(value) || reply === value.toString("utf8")).toBe(true);
  }
});

describe.each([
  ["multiplexed", true],
  ["exclusive", false],
])("%s pool", (mode, multiplex) => {
  // Each mode has its own Redis: a run that wedges or kills one cannot spoil the other.
  let redis: TestRedis;
  let names: string[][];
  let proxy: ProxyServer;
  const logger = memoryLogger("warn");

  beforeAll(async () => {
    redis = await startRedis({ args: aclArgs(), adminAuth: ADMIN });
    names = await fetchCommandNames(redis);
    proxy = await startProxy(
      {
        listeners: [
          {
            listen: "127.0.0.1:0",
            backends: [redis.address],
            mode: "pool",
            pool: { framer: { kind: "resp" }, multiplex, maxPerBackend: MAX_PER_BACKEND, ...(BACKEND_AUTH ? { auth: POOL_USER } : {}) },
          },
        ],
      },
      { logger },
    );
  });
  afterAll(async () => {
    await proxy?.close({ graceful: false });
    await redis?.[Symbol.asyncDispose]();
  });

  test(
    `${SECONDS} s of honest clients beside attackers: 0 wrong replies, every honest request answered, the pool back to idle after`,
    async () => {
      const port = portOf(proxy);
      const rng = new Rng(seed + (multiplex ? 1 : 2));
      const until = performance.now() + SECONDS * 1000;
      const honest = newHonestStats();
      const attack: AttackerStats = { sessions: 0, requests: 0, bytes: 0, fins: 0, resets: 0 };
      const attackers = Array.from({ length: ATTACKERS }, (_, id) =>
        runAttacker({ port, id, rng: rng.fork(), names, until, stats: attack, skip: SKIP }),
      );
      const { clients, done } = startHonest(port, rng, until, honest);
      await Promise.all([done, ...attackers]);

      console.log(
        `isolation (${mode}, seed ${seed}, ${SECONDS} s): honest ${summary(honest)}; ` +
          `attackers sent ${attack.requests} requests (${attack.bytes} bytes) in ${attack.sessions} sessions, ${attack.fins} FIN, ${attack.resets} RST`,
      );
      for (const w of honest.wrongSamples) console.log(`  wrong reply: ${w}`);

      expect(honest.wrongSamples).toEqual([]);
      expect(honest.wrong).toBe(0);
      expect(clients.filter((c) => !c.lastAnswered).map((c) => c.id)).toEqual([]);
      expect(honest.checked).toBeGreaterThanOrEqual(MIN_CHECKED_PER_SECOND * SECONDS);

      // warren is alive and well: nothing it did was an internal error, and a new client is served.
      expect(logger.lines.filter((l) => /internal error|bug/i.test(String(l.msg)))).toEqual([]);
      using fresh = await RespClient.connect(port);
      expect(await fresh.command("PING")).toBe("PONG");
      fresh.close();

      // Everyone left: the pool returns to idle, and Redis agrees on how many connections warren keeps.
      let last = "";
      const deadline = performance.now() + 10_000;
      for (;;) {
        const pool = proxy.stats().listeners[0]!.pool!;
        const b = pool.backends[0]!;
        const redisSees = await redis.connectedClients();
        const blocked = await redis.infoNumber("clients", "blocked_clients");
        last = JSON.stringify({
          clients: pool.clients,
          pinned: pool.pinnedClients,
          size: b.size,
          idle: b.idle,
          inUse: b.inUse,
          waiters: b.waiters,
          redisSees,
          blocked,
        });
        if (
          pool.clients === 0 &&
          pool.pinnedClients === 0 &&
          b.inUse === 0 &&
          b.waiters === 0 &&
          b.size === b.idle &&
          redisSees === b.idle &&
          blocked === 0
        )
          break;
        if (performance.now() > deadline) throw new Error(`the pool did not return to idle: ${last}`);
        await Bun.sleep(50);
      }
    },
    30_000 + SECONDS * 2000,
  );
});

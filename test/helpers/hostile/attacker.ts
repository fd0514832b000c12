/**
 * An attacker for the isolation test: it connects through warren again and
 * again and sends commands no well-behaved client would — every command Redis
 * has, spelled in every way Redis accepts (random case, inline with quotes and
 * \x escapes, names hidden by mid-word quotes), malformed frames, NUL bytes,
 * CR/LF variants, requests split at any byte, pipelined bursts, pub/sub and
 * transaction sequences, blocking commands, connection-state commands, and
 * disconnects (FIN and RST) mid-request and mid-reply. Some sessions never
 * read (slow readers). It never checks a reply: only the honest clients judge.
 * Its keys and channels are its own (attk:<id>:…), so nothing it may do under
 * the pooled user's ACL (-@dangerous) can change an honest client's data.
 */
import { RawConn } from "./raw.ts";
import type { Rng } from "./rng.ts";
import { inline, multibulk, randomCase, splitAt } from "./wire.ts";

export interface AttackerStats {
  sessions: number;
  requests: number;
  bytes: number;
  fins: number;
  resets: number;
}

export interface AttackContext {
  readonly port: number;
  readonly id: number;
  readonly rng: Rng;
  /** Every command name (and [name, subcommand]) Redis lists. */
  readonly names: readonly string[][];
  /** performance.now() after which the attacker stops. */
  readonly until: number;
  readonly stats: AttackerStats;
  /** Attacks to leave out (WARREN_ISOLATION_SKIP), by the names used in MOVES. */
  readonly skip: ReadonlySet<string>;
}

type Args = (string | Uint8Array)[];

/** runAttacker attacks in back-to-back sessions until `ctx.until`. */
export async function runAttacker(ctx: AttackContext): Promise<void> {
  while (performance.now() < ctx.until) {
    await session(ctx).catch(() => {}); // a refused connect is as good as any other outcome
  }
}

async function session(ctx: AttackContext): Promise<void> {
  const { rng } = ctx;
  const conn = await RawConn.connect(ctx.port, { read: !rng.chance(0.15) });
  ctx.stats.sessions++;
  const moves = rng.between(1, 30);
  try {
    for (let i = 0; i < moves && !conn.closed && performance.now() < ctx.until; i++) {
      const move = pickMove(ctx);
      await move.run(conn, ctx);
      // Pacing between moves (not a wait for anything): lets replies and other clients interleave.
      if (rng.chance(0.5)) await Bun.sleep(rng.int(4));
      else await new Promise((r) => setImmediate(r));
    }
  } finally {
    leave(conn, ctx);
  }
}

function leave(conn: RawConn, ctx: AttackContext): void {
  const { rng } = ctx;
  const how = rng.int(3);
  if (how === 0) {
    ctx.stats.resets++;
    conn.terminate();
  } else if (how === 1) {
    ctx.stats.fins++;
    conn.end();
  } else {
    send(conn, ctx, rng.chance(0.5) ? multibulk(["QUIT"]) : inline([randomCase("QUIT", rng)], rng), 1);
    conn.end();
  }
}

/** send writes bytes whole or split at random byte boundaries (with event-loop turns between pieces). */
async function sendSplit(conn: RawConn, ctx: AttackContext, bytes: Uint8Array, requests: number): Promise<void> {
  const { rng } = ctx;
  ctx.stats.requests += requests;
  ctx.stats.bytes += bytes.byteLength;
  if (rng.chance(0.6) || bytes.byteLength < 2) {
    conn.write(bytes);
    return;
  }
  const everyByte = bytes.byteLength <= 64 && rng.chance(0.3);
  for (const piece of splitAt(bytes, rng, everyByte)) {
    if (conn.closed) return;
    conn.write(piece);
    if (rng.chance(0.3)) await new Promise((r) => setImmediate(r));
  }
}

function send(conn: RawConn, ctx: AttackContext, bytes: Uint8Array, requests: number): void {
  ctx.stats.requests += requests;
  ctx.stats.bytes += bytes.byteLength;
  conn.write(bytes);
}

/** spell encodes one command in a random form Redis reads as exactly `args`. */
function spell(args: Args, rng: Rng): Buffer {
  const named: Args = args.map((a, i) => (i === 0 && typeof a === "string" ? randomCase(a, rng) : a));
  return rng.chance(0.5) ? multibulk(named) : inline(named, rng);
}

/** randomArgs gives a command from Redis's list random arguments, all in the attacker's own namespace. */
function randomArgs(ctx: AttackContext): Args {
  const { rng, id } = ctx;
  const name = rng.pick(ctx.names);
  const args: Args = [...name];
  for (let n = rng.int(6); n > 0; n--) {
    const kind = rng.int(8);
    if (kind <= 2) args.push(`attk:${id}:${rng.int(8)}`);
    else if (kind === 3) args.push(String(rng.pick([0, 1, 2, 3, -1, 10, 100, 0.05])));
    else if (kind === 4)
      args.push(
        rng.pick([
          "NX",
          "XX",
          "EX",
          "PX",
          "GET",
          "KEEPTTL",
          "LIMIT",
          "WITHSCORES",
          "COUNT",
          "BLOCK",
          "STREAMS",
          "$",
          "*",
          "+",
          "-",
          "ON",
          "OFF",
          "YES",
        ]),
      );
    else if (kind === 5) args.push(rng.bytes(rng.int(12)));
    else if (kind === 6) args.push(`attk-ch:${rng.int(4)}`);
    else args.push(rng.word());
  }
  return args;
}

const key = (ctx: AttackContext, n: number | string = ctx.rng.int(8)) => `attk:${ctx.id}:${n}`;

interface Move {
  readonly name: string;
  readonly weight: number;
  run(conn: RawConn, ctx: AttackContext): Promise<void>;
}

const MOVES: readonly Move[] = [
  {
    name: "any-command",
    weight: 30,
    run: (conn, ctx) => sendSplit(conn, ctx, spell(randomArgs(ctx), ctx.rng), 1),
  },
  {
    name: "burst",
    weight: 8,
    run: async (conn, ctx) => {
      const n = ctx.rng.between(2, 20);
      const bytes = Buffer.concat(Array.from({ length: n }, () => spell(randomArgs(ctx), ctx.rng)));
      await sendSplit(conn, ctx, bytes, n);
    },
  },
  {
    name: "pubsub",
    weight: 10,
    run: async (conn, ctx) => {
      const { rng } = ctx;
      const channels = (n: number) => Array.from({ length: n }, () => `attk-ch:${rng.int(4)}`);
      const sequences: Args[][] = [
        [["UNSUBSCRIBE", ...channels(3)]],
        [["PUNSUBSCRIBE", ...channels(2)]],
        [["SUNSUBSCRIBE", ...channels(rng.between(1, 4))]],
        [["UNSUBSCRIBE"]],
        [["PUNSUBSCRIBE"]],
        [["SUNSUBSCRIBE"]],
        [["SUBSCRIBE", ...channels(3)], ["UNSUBSCRIBE"]],
        [["SUBSCRIBE", ...channels(2)], ["PUNSUBSCRIBE", "a*", "b*"], ["UNSUBSCRIBE", ...channels(3)], ["PING"]],
        [["PSUBSCRIBE", "attk-ch:*"], ["PUNSUBSCRIBE"], ["UNSUBSCRIBE", "x", "y"]],
        [["SSUBSCRIBE", ...channels(1)], ["SUNSUBSCRIBE"], ["SUNSUBSCRIBE", "x", "y", "z"]],
        [["PUBLISH", `attk-ch:${rng.int(4)}`, rng.word()]],
      ];
      const seq = rng.pick(sequences);
      await sendSplit(conn, ctx, Buffer.concat(seq.map((c) => spell(c, rng))), seq.length);
    },
  },
  {
    name: "transaction",
    weight: 10,
    run: async (conn, ctx) => {
      const { rng } = ctx;
      const inside: Args[] = [];
      for (let n = rng.int(4); n > 0; n--) {
        inside.push(
          rng.pick<Args>([
            ["SET", key(ctx), rng.word()],
            ["INCR", key(ctx)],
            ["UNSUBSCRIBE", "a", "b", "c"],
            ["PUNSUBSCRIBE"],
            ["SELECT", String(rng.int(4))],
            ["HELLO", "3"],
            ["CLIENT", "SETNAME", rng.word()],
            ["RESET"],
            ["SUBSCRIBE", "attk-ch:0"],
            ["WATCH", key(ctx)],
            ["MULTI"],
            ["QUIT"],
          ]),
        );
      }
      const pre: Args[] = rng.chance(0.4) ? [["WATCH", key(ctx), key(ctx)]] : [];
      const end: Args[] = rng.chance(0.7) ? [["EXEC"]] : rng.chance(0.5) ? [["DISCARD"]] : rng.chance(0.5) ? [["UNWATCH"]] : [];
      const all = [...pre, ["MULTI"], ...inside, ...end];
      await sendSplit(conn, ctx, Buffer.concat(all.map((c) => spell(c, rng))), all.length);
    },
  },
  {
    name: "hidden-names",
    weight: 10,
    run: async (conn, ctx) => {
      // Inline spellings a proxy must parse as Redis does: each runs MULTI, EXEC, SELECT, SUBSCRIBE, ...
      const lines = [
        '"MUL\\x54I"\r\n',
        '"EX\\x45C"\r\n',
        'SEL"ECT" 5\r\n',
        "'SELECT' 3\r\n",
        '"s\\x75bscribe" attk-ch:1\r\n',
        "SUBSC'RIBE' attk-ch:2\r\n",
        '"W\\x41TCH" attk:x\r\n',
        '"BLP\\x4fP" attk:q 0.05\r\n',
        '"HEL\\x4cO" 3\r\n',
        '"CLI\\x45NT" "REPLY" "OFF"\r\n',
        '"CLIENT" "tr\\x61cking" on\r\n',
        '"QU\\x49T"\r\n',
        '"RE\\x53ET"\r\n',
        '"UNSUB\\x53CRIBE" a b c\r\n',
        "MULTI\n",
        "  MULTI \r\n",
        "\tEXEC\t\r\n",
        "*1\r\n$5\r\nMULTI\r\n",
      ];
      const n = ctx.rng.between(1, 3);
      const bytes = Buffer.from(Array.from({ length: n }, () => ctx.rng.pick(lines)).join(""), "latin1");
      await sendSplit(conn, ctx, bytes, n);
    },
  },
  {
    name: "blocking",
    weight: 8,
    run: async (conn, ctx) => {
      const { rng } = ctx;
      const t = rng.pick(["0.05", "0.1", "0.2", "0"]);
      const cmd = rng.pick<Args>([
        ["BLPOP", key(ctx, "q"), t],
        ["BRPOP", key(ctx, "q"), key(ctx, "r"), t],
        ["BLMOVE", key(ctx, "q"), key(ctx, "r"), "LEFT", "RIGHT", t],
        ["BZPOPMIN", key(ctx, "z"), t],
        ["XREAD", "BLOCK", t === "0" ? "0" : "50", "STREAMS", key(ctx, "s"), "$"],
        ["WAIT", "1", t === "0" ? "0" : "50"],
        ["BLMPOP", t, "2", key(ctx, "q"), key(ctx, "r"), "LEFT"],
      ]);
      await sendSplit(conn, ctx, spell(cmd, rng), 1);
      // Sometimes leave while blocked: the proxy must drop the blocked command with the client.
      if (rng.chance(0.3)) leave(conn, ctx);
    },
  },
  {
    name: "connection-state",
    weight: 8,
    run: async (conn, ctx) => {
      const { rng } = ctx;
      const cmd = rng.pick<Args>([
        ["HELLO", "3"],
        ["HELLO", "2"],
        ["HELLO", "3", "AUTH", "default", rng.word()],
        ["HELLO", "4"],
        ["HELLO", "3", "SETNAME", rng.word()],
        ["AUTH", rng.word()],
        ["AUTH", "default", rng.word()],
        ["CLIENT", "SETNAME", rng.word()],
        ["CLIENT", "GETNAME"],
        ["CLIENT", "SETINFO", "LIB-NAME", rng.word()],
        ["CLIENT", "ID"],
        ["CLIENT", "INFO"],
        ["CLIENT", "TRACKING", "ON"],
        ["CLIENT", "TRACKING", "ON", "BCAST"],
        ["CLIENT", "TRACKING", "ON", "REDIRECT", "1"],
        ["CLIENT", "CACHING", "YES"],
        ["CLIENT", "REPLY", rng.pick(["ON", "OFF", "SKIP"])],
        ["CLIENT", "NO-EVICT", "ON"],
        ["RESET"],
        ["READONLY"],
        ["READWRITE"],
        ["ASKING"],
        ["SELECT", String(rng.int(16))],
        ["SYNC"],
        ["PSYNC", "?", "-1"],
        ["REPLCONF", "listening-port", "1"],
        ["QUIT"],
      ]);
      await sendSplit(conn, ctx, spell(cmd, rng), 1);
    },
  },
  {
    name: "malformed",
    weight: 8,
    run: async (conn, ctx) => {
      const { rng } = ctx;
      const frames = [
        "PING\0\r\n",
        "GET attk\0x\r\n",
        'GET "x\r\n',
        "GET 'x\r\n",
        'GET "x"y\r\n',
        'M"U"LTI\r\n',
        "PING\r\r\n",
        "PING\rPING\r\n",
        "\r\n\r\n\n",
        "*99999999999\r\n",
        "*1\r\n$99999999999\r\n",
        "*2\r\n+x\r\n",
        "*-5\r\nPING\r\n",
        "*0\r\n*-1\r\nPING\r\n",
        "*1\r\n$-1\r\n",
        "*1\r\n$4\r\nPING\n\n",
        "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n",
        "*2\r\n$3\r\nGET\r\n$10\r\nabc",
        "*1\r\n$4\r\nPINGXX\r\n",
        "*1x\r\n",
        `*1\r\n$${2 ** 40}\r\n`,
        `${"A".repeat(70_000)}\r\n`,
        `PING\0${"x".repeat(70_000)}`,
      ];
      const bytes = Buffer.from(rng.pick(frames), "latin1");
      await sendSplit(conn, ctx, bytes, 1);
      if (rng.chance(0.5)) leave(conn, ctx);
    },
  },
  {
    name: "dangerous",
    weight: 4,
    run: async (conn, ctx) => {
      // The pooled user's ACL denies these (NOPERM); the attacker sends them anyway.
      const cmd = ctx.rng.pick<Args>([
        ["FLUSHALL"],
        ["FLUSHDB", "ASYNC"],
        ["SWAPDB", "0", "1"],
        ["CONFIG", "SET", "maxmemory", "1"],
        ["DEBUG", "SLEEP", "0"],
        ["SHUTDOWN", "NOSAVE"],
        ["CLIENT", "KILL", "TYPE", "normal"],
        ["CLIENT", "PAUSE", "1000"],
        ["CLIENT", "UNBLOCK", "1"],
        ["MONITOR"],
        ["REPLICAOF", "127.0.0.1", "1"],
        ["ACL", "SETUSER", "attk", "on", "nopass", "+@all"],
        ["KEYS", "*"],
      ]);
      await sendSplit(conn, ctx, spell(cmd, ctx.rng), 1);
    },
  },
  {
    name: "slow-reader",
    weight: 3,
    run: async (conn, ctx) => {
      // A big value read many times over while not reading: several MiB of replies pile up for this client.
      const big = key(ctx, "big");
      const value = ctx.rng.bytes(256 * 1024);
      conn.pause();
      const gets = ctx.rng.between(4, 24);
      const bytes = Buffer.concat([multibulk(["SET", big, value]), ...Array.from({ length: gets }, () => multibulk(["GET", big]))]);
      send(conn, ctx, bytes, gets + 1);
      if (ctx.rng.chance(0.5)) {
        leave(conn, ctx); // mid-reply
        return;
      }
      await Bun.sleep(ctx.rng.between(50, 600)); // pacing: how long this client reads nothing
      conn.resume();
    },
  },
  {
    name: "script-debug",
    weight: 2,
    run: async (conn, ctx) => {
      // The Lua debugger answers with a session of its own (not one reply per request); SYNC also blocks Redis.
      const { rng } = ctx;
      const seq: Args[] = [
        ["SCRIPT", "DEBUG", rng.pick(["YES", "SYNC"])],
        ["EVAL", "return 1", "0"],
      ];
      for (let n = rng.int(3); n > 0; n--) seq.push([rng.pick(["s", "c", "PING", "list", "abort"])]);
      await sendSplit(conn, ctx, Buffer.concat(seq.map((c) => spell(c, rng))), seq.length);
    },
  },
  {
    name: "leave-mid-request",
    weight: 4,
    run: async (conn, ctx) => {
      const bytes = spell(randomArgs(ctx), ctx.rng);
      send(conn, ctx, bytes.subarray(0, ctx.rng.int(bytes.byteLength)), 0);
      leave(conn, ctx);
    },
  },
];

function pickMove(ctx: AttackContext): Move {
  const moves = MOVES.filter((m) => !ctx.skip.has(m.name));
  let total = 0;
  for (const m of moves) total += m.weight;
  let r = ctx.rng.int(total);
  for (const m of moves) {
    r -= m.weight;
    if (r < 0) return m;
  }
  return moves[0]!;
}

/** The names of every attack, for WARREN_ISOLATION_SKIP. */
export const ATTACKS: readonly string[] = MOVES.map((m) => m.name);

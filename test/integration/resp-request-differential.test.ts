/**
 * Differential test: RespRequestScanner + parseInlineFrame against a real
 * redis-server (7.0). Random and mutated request streams — multibulk with lax line
 * ends and bad lengths, inline commands with quotes, escapes, \v, NULs, blank
 * lines, error and stuck tails — are each sent raw on a fresh connection. What warren
 * understood of the same stream (each frame's arguments, re-encoded as clean RESP)
 * is sent on a second fresh connection. Redis must answer both alike: the raw
 * connection gets exactly the replay's replies, then Redis's error (the scanner's
 * `error`, or UNBALANCED_QUOTES) and a close — or nothing more and no close when the
 * scanner says the rest is pending. The commands are mostly `EVAL "return ARGV" 0 …`
 * and ECHO, whose replies are their arguments, so "answered alike" means "ran the
 * same arguments". The seed is printed; DIFF_SEED=<seed> reproduces a run.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Socket } from "bun";
import { FramerError } from "../../src/framing/errors.ts";
import { INVALID, NEED_MORE } from "../../src/framing/framer.ts";
import { respFramer } from "../../src/framing/resp.ts";
import { requestStart } from "../../src/framing/resp-folded.ts";
import { UNBALANCED_QUOTES, encodeCommand, parseInlineFrame } from "../../src/framing/resp-inline.ts";
import type { RespRequestScanner } from "../../src/framing/resp-request.ts";
import { RespClient, type TestRedis, startRedis } from "../helpers/redis.ts";
import { bytes, text } from "../unit/framing/harness.ts";
import { mutate, prng } from "../unit/framing/random.ts";

const SEED = Number(process.env.DIFF_SEED ?? Math.floor(Math.random() * 2 ** 32)) >>> 0;
console.log(`differential seed ${SEED} (reproduce: DIFF_SEED=${SEED} bun test test/integration/resp-request-differential.test.ts)`);
const PASSWORD = "differential-test-password-0123456789";
/** Wall-clock budget per server: batches run until it is spent. */
const BUDGET_MS = 1500;
const BATCH = 150;

let open: TestRedis;
let locked: TestRedis;
beforeAll(async () => {
  [open, locked] = await Promise.all([startRedis(), startRedis({ args: ["--requirepass", PASSWORD] })]);
});
afterAll(async () => {
  await Promise.all([open[Symbol.asyncDispose](), locked[Symbol.asyncDispose]()]);
});

// ---- Generating streams -------------------------------------------------------

const ARG_BYTES = "abqxXYZ019 \t\r\n\0\x07\x08\"'\\\x0b\x0c\xff\x80$*-:";
const FUZZ = "*$-0123456789\r\n\r\n\0 \t\x0b\"'\\xaFgntr:";
const NO_OPS = ["\r\n", " \t\r\n", "\x0b\r\n", "\n", "*0\r\n", "*-1\r\n", "*-5\rX", "*-9223372036854775808\r\n"];
const TAILS = [
  "*-0\r\n",
  "*01\r\n",
  "*+1\r\n",
  "* 1\r\n",
  "*2147483648\r\n",
  "*-9223372036854775809\r\n",
  "*1\r\n$-1\r\n",
  "*1\r\n$01\r\n",
  "*1\r\n$536870913\r\n",
  "*1\r\n:1\r\n",
  "*1\r\n\r\n",
  "*1\r\n\xff\r\n",
  "*1\r\nPING\r\n",
  "*11\r\n",
  "*1\r\n$16385\r\n",
  'ECHO "x\r\n',
  'ECHO "a"b\r\n',
  "ECHO 'a\r\n",
  'ECHO "a\\"\r\n',
  "PING\0\r\nPING\r\n",
  "*1\0\r\n$4\r\nPING\r\n",
  "*1\r\n$4\0\r\nPING\r\n",
  "*2\r\n$4\r\nECHO\r\n",
  "ECHO ab",
  "*1\r\n$4\r\nPI",
  "*1\r",
];

function randomArg(r: () => number): string {
  let s = "";
  const n = Math.floor(r() * (r() < 0.9 ? 8 : 40));
  for (let k = 0; k < n; k++) s += ARG_BYTES[Math.floor(r() * ARG_BYTES.length)]!;
  return s;
}

/** A command whose reply shows its arguments: EVAL returning ARGV, ECHO, or PING with or without one. */
function randomCommand(r: () => number): string[] {
  const x = r();
  if (x < 0.55) return ["EVAL", "return ARGV", "0", ...Array.from({ length: Math.floor(r() * 5) }, () => randomArg(r))];
  if (x < 0.85) return [r() < 0.8 ? "ECHO" : "echo", randomArg(r)];
  return r() < 0.5 ? ["PING"] : ["PING", randomArg(r)];
}

/** A line end Redis accepts after a count or bulk line: CR LF, or CR and any byte. */
const lineEnd = (r: () => number): string => (r() < 0.8 ? "\r\n" : `\r${String.fromCharCode(Math.floor(r() * 256))}`);
const trailer = (r: () => number): string => (r() < 0.85 ? "\r\n" : String.fromCharCode(Math.floor(r() * 256), Math.floor(r() * 256)));

function multibulk(args: string[], r: () => number): string {
  return `*${args.length}${lineEnd(r)}${args.map((a) => `$${a.length}${lineEnd(r)}${a}${trailer(r)}`).join("")}`;
}

/** How a double-quoted argument may spell a byte; raw is also fine for all but the quote, backslash, LF and NUL. */
const ESCAPES: Record<string, string> = {
  '"': '\\"',
  "\\": "\\\\",
  "\n": "\\n",
  "\0": "\\x00",
  "\r": "\\r",
  "\t": "\\t",
  "\b": "\\b",
  "\x07": "\\a",
};

const BARE_SAFE = /^[^ \t\r\n\0"'\x0b\x0c][^ \t\r\n\0"']*$/;

/** quoteArg writes one argument for an inline line: bare, "double-quoted" with escapes, 'single-quoted', or a bare head then a quoted rest. */
function quoteArg(a: string, r: () => number): string {
  const x = r();
  if (BARE_SAFE.test(a) && x < 0.4) return a;
  if (!/[\n\0\\']/.test(a) && x < 0.55) return `'${a.replace(/'/g, "\\'")}'`;
  let head = "";
  if (x > 0.85 && a.length > 1 && BARE_SAFE.test(a[0]!)) [head, a] = [a[0]!, a.slice(1)]; // SEL"ECT"
  let q = "";
  for (const c of a) {
    const code = c.charCodeAt(0);
    const hex = code.toString(16).padStart(2, "0");
    const named = ESCAPES[c];
    if (named !== undefined && (c === '"' || c === "\\" || c === "\n" || c === "\0" || r() < 0.7)) q += named;
    else if (r() < 0.1 || code >= 0x7f) q += `\\x${r() < 0.5 ? hex : hex.toUpperCase()}`;
    else if (r() < 0.05 && !/[xnrtba]/.test(c))
      q += `\\${c}`; // \<any other byte> is that byte
    else q += c;
  }
  return `${head}"${q}"`;
}

function inline(args: string[], r: () => number): string {
  const sep = (): string => (r() < 0.8 ? " " : r() < 0.5 ? "\t \x0b" : " \x0c ");
  const lead = r() < 0.1 ? " \t" : "";
  return `${lead}${args.map((a) => quoteArg(a, r)).join(sep())}${r() < 0.8 ? "\r\n" : "\n"}`;
}

function randomStream(r: () => number): string {
  let s = "";
  const requests = 1 + Math.floor(r() * 4);
  for (let k = 0; k < requests; k++) {
    if (r() < 0.15) s += NO_OPS[Math.floor(r() * NO_OPS.length)]!;
    const args = randomCommand(r);
    s += r() < 0.5 ? multibulk(args, r) : inline(args, r);
  }
  if (r() < 0.35) s += TAILS[Math.floor(r() * TAILS.length)]!;
  if (r() < 0.3) s = mutate(s, FUZZ, r);
  return s;
}

// ---- Predicting what Redis does -------------------------------------------------

interface Prediction {
  stream: Uint8Array;
  /** What warren understood, as clean RESP. */
  replay: Uint8Array;
  /** Redis's error text at the end, or null when the rest is pending. */
  error: string | null;
  /** false when the comparison would not be fair (see predict). */
  comparable: boolean;
  /** Bytes after the last frame Redis should be waiting on, silently. */
  pending: number;
}

/** multibulkArgs decodes a complete multibulk frame as the scanner delimited it: CR and one unchecked byte after each line, 2 after each payload. */
function multibulkArgs(buf: Uint8Array, start: number, end: number): Uint8Array[] {
  let i = requestStart(buf, start, end);
  const line = (): number => {
    const cr = buf.indexOf(13, i);
    const n = Number(text(buf.subarray(i + 1, cr)));
    i = cr + 2;
    return n;
  };
  const args: Uint8Array[] = [];
  for (let count = line(); count > 0; count--) {
    const n = line();
    args.push(buf.subarray(i, i + n));
    i += n + 2;
  }
  return args;
}

function predict(input: string, unauthenticated: boolean): Prediction {
  const factory = respFramer();
  if (factory instanceof FramerError) throw factory;
  const s = factory.create() as RespRequestScanner;
  s.unauthenticated = unauthenticated;
  const stream = bytes(input);
  const commands: Uint8Array[][] = [];
  let error: string | null = null;
  let comparable = true;
  let pending = 0;
  for (let i = 0; i < stream.length; ) {
    const r = s.feed(stream, i, stream.length);
    if (r === NEED_MORE) {
      pending = s.pending;
      break;
    }
    if (r === INVALID) {
      error = s.error;
      break;
    }
    const args = s.inline ? parseInlineFrame(stream, i, r) : multibulkArgs(stream, i, r);
    if (args === null) {
      error = UNBALANCED_QUOTES;
      break;
    }
    // Redis limits only multibulk requests before AUTH: an inline command with more
    // would be refused once re-encoded, so the replay would not show what it ran.
    if (unauthenticated && s.inline && (args.length > 10 || args.some((a) => a.length > 16384))) comparable = false;
    commands.push(args);
    i = r;
  }
  // warren's own limit (maxFrameBytes) is no Redis behaviour to compare with.
  if (error?.startsWith("warren:")) comparable = false;
  const encoded = commands.map(encodeCommand);
  const replay = new Uint8Array(encoded.reduce((n, e) => n + e.length, 0));
  encoded.reduce((at, e) => (replay.set(e, at), at + e.length), 0);
  return { stream, replay, error, comparable, pending };
}

// ---- Talking to Redis -------------------------------------------------------------

/** RawConnection sends bytes as they are and records every reply byte and whether Redis closed. */
class RawConnection {
  received: number[] = [];
  closed = false;
  private queue: Uint8Array = new Uint8Array(0);
  private constructor(private socket: Socket<RawConnection> | null) {}

  static async open(port: number): Promise<RawConnection> {
    const c = new RawConnection(null);
    c.socket = await Bun.connect<RawConnection>({ hostname: "127.0.0.1", port, data: c, socket: rawHandlers });
    return c;
  }

  send(bytes: Uint8Array): void {
    this.queue = bytes;
    this.flush();
  }

  flush(): void {
    if (this.queue.length === 0 || this.closed) return;
    const written = this.socket!.write(this.queue);
    this.queue = this.queue.subarray(Math.max(0, written));
  }

  close(): void {
    this.socket?.end();
  }
}

const rawHandlers = {
  data(s: Socket<RawConnection>, chunk: Buffer) {
    for (const b of chunk) s.data.received.push(b);
  },
  drain(s: Socket<RawConnection>) {
    s.data.flush();
  },
  close(s: Socket<RawConnection>) {
    s.data.closed = true;
  },
  error(s: Socket<RawConnection>) {
    s.data.closed = true;
  },
};

async function inputBytes(admin: RespClient): Promise<number> {
  const info = (await admin.command("INFO", "stats")) as string;
  return Number(/total_net_input_bytes:(\d+)/.exec(info)?.[1]);
}

/**
 * settle waits until Redis has read every byte sent (its own input counter, which
 * the INFO polls add to), then one more round trip so replies and closes from that
 * pass are out, then a moment for the sockets' events. A stream Redis closed early
 * may never be read in full, so a counter that stops moving ends the wait too.
 */
async function settle(admin: RespClient, before: number, sent: number): Promise<void> {
  const infoBytes = 25; // "*2\r\n$4\r\nINFO\r\n$5\r\nstats\r\n"
  let last = -1;
  for (let polls = 1, still = 0; still < 3; polls++) {
    const read = (await inputBytes(admin)) - before - polls * infoBytes; // what Redis read of ours
    if (read >= sent) break;
    still = read === last ? still + 1 : 0;
    last = read;
    await Bun.sleep(5);
  }
  await admin.command("PING");
  await Bun.sleep(10);
}

/** Mismatch shows one stream Redis answered differently (byte strings as JSON). */
interface Mismatch {
  stream: string;
  error: string | null;
  expected: string;
  expectedClose: boolean;
  got: string;
  closed: boolean;
}

/** runBatch sends each prediction's stream and replay on fresh connections and returns the streams Redis answered differently. */
async function runBatch(server: TestRedis, admin: RespClient, batch: Prediction[]): Promise<Mismatch[]> {
  const raws = await Promise.all(batch.map(() => RawConnection.open(server.port)));
  const replays = await Promise.all(batch.map(() => RawConnection.open(server.port)));
  const before = await inputBytes(admin);
  let sent = 0;
  for (const [k, p] of batch.entries()) {
    raws[k]!.send(p.stream);
    replays[k]!.send(p.replay);
    sent += p.stream.length + p.replay.length;
  }
  await settle(admin, before, sent);
  const mismatches: Mismatch[] = [];
  for (const [k, p] of batch.entries()) {
    const raw = raws[k]!;
    const replay = replays[k]!;
    // After QUIT the replay closes too, and Redis reads no further: no error follows.
    const tail = p.error === null || replay.closed ? "" : `-ERR ${p.error}\r\n`;
    const expected = text(Uint8Array.from(replay.received)) + tail;
    const expectedClose = p.error !== null || replay.closed;
    const got = text(Uint8Array.from(raw.received));
    if (got !== expected || raw.closed !== expectedClose) {
      // JSON strings, so control bytes show in a failure message.
      const json = JSON.stringify;
      mismatches.push({
        stream: json(text(p.stream)),
        error: p.error,
        expected: json(expected),
        expectedClose,
        got: json(got),
        closed: raw.closed,
      });
    }
    raw.close();
    replay.close();
  }
  return mismatches;
}

interface Tally {
  compared: number;
  /** Streams ending in a Redis error, and streams Redis should leave waiting. */
  errors: number;
  waiting: number;
  skipped: number;
}

async function withAdmin<T>(server: TestRedis, unauthenticated: boolean, run: (admin: RespClient) => Promise<T>): Promise<T> {
  const admin = await RespClient.connect(server.port);
  try {
    if (unauthenticated) await admin.command("AUTH", PASSWORD);
    return await run(admin);
  } finally {
    admin.close();
  }
}

/** expectSame fails with the first mismatch of a batch, showing what Redis answered and what warren predicted. */
function expectSame(seed: number, mismatches: Mismatch[]): void {
  const m = mismatches[0];
  if (m !== undefined) expect({ seed, mismatch: m }).toEqual({ seed, mismatch: { ...m, got: m.expected, closed: m.expectedClose } });
}

async function differential(server: TestRedis, unauthenticated: boolean, seed: number): Promise<Tally> {
  const random = prng(seed);
  const deadline = performance.now() + BUDGET_MS;
  const tally: Tally = { compared: 0, errors: 0, waiting: 0, skipped: 0 };
  await withAdmin(server, unauthenticated, async (admin) => {
    while (performance.now() < deadline) {
      const batch: Prediction[] = [];
      while (batch.length < BATCH) {
        const p = predict(randomStream(random), unauthenticated);
        if (p.comparable) batch.push(p);
        else tally.skipped++;
      }
      expectSame(seed, await runBatch(server, admin, batch));
      tally.compared += batch.length;
      tally.errors += batch.filter((p) => p.error !== null).length;
      tally.waiting += batch.filter((p) => p.pending > 0).length;
    }
  });
  return tally;
}

test("Redis runs exactly what warren read, on random and mutated request streams", async () => {
  const t = await differential(open, false, SEED);
  console.log(
    `differential: ${t.compared} streams compared with redis-server: ${t.errors} end in a Redis error, ${t.waiting} leave Redis waiting; ${t.skipped} skipped (warren's own limits)`,
  );
  expect(t.compared).toBeGreaterThanOrEqual(1000);
}, 20_000);

test("and so for clients that have not authenticated (requirepass)", async () => {
  const t = await differential(locked, true, SEED ^ 0x2545f491);
  console.log(
    `differential, unauthenticated: ${t.compared} streams compared: ${t.errors} end in a Redis error, ${t.waiting} leave Redis waiting; ${t.skipped} skipped`,
  );
  expect(t.compared).toBeGreaterThanOrEqual(500);
}, 20_000);

test("the 64 KiB line limits and large arguments, where every way Redis may read a stream agrees", async () => {
  const x = (n: number): string => "x".repeat(n);
  const big = (n: number): string => `*2\r\n$4\r\nECHO\r\n$${n}\r\n${x(n)}`;
  const streams = [
    `ECHO ${x(65530)}\r\nPING\r\n`, // 64 KiB before the LF, CR included: accepted however it is read
    x(70_000), // no LF within 64 KiB
    `PING\0\r\n${"PING\r\n".repeat(12_000)}`, // a NUL hides every LF after it
    `*${"1".repeat(70_000)}`,
    `*1\0\r\n${x(70_000)}`,
    `*1\r\n$${"1".repeat(70_000)}`,
    `*1\r\n$4\0${x(70_000)}`,
    `${big(100_000)}xyPING\r\n`, // a large argument's 2 trailing bytes go unchecked too
    `${big(16384)}\r\n`,
  ];
  for (const [server, unauthenticated] of [
    [open, false],
    [locked, true],
  ] as const) {
    // Before AUTH, the 64 KiB inline ECHO cannot be replayed as multibulk (16 KiB per argument).
    const batch = streams.map((s) => predict(s, unauthenticated)).filter((p) => p.comparable);
    expect(batch.length).toBe(unauthenticated ? streams.length - 1 : streams.length);
    expectSame(SEED, await withAdmin(server, unauthenticated, (admin) => runBatch(server, admin, batch)));
  }
  expect(predict(`${big(16385)}\r\n`, true).error).toBe("Protocol error: unauthenticated bulk length");
}, 20_000);

test("before AUTH, Redis limits multibulk requests but not inline ones", async () => {
  const stream = bytes(`EVAL x 0 ${"a ".repeat(12)}${"b".repeat(20_000)}\r\n*11\r\n`); // 15 arguments, one of 20 KB
  const p = predict(text(stream), true);
  expect(p.error).toBe("Protocol error: unauthenticated multibulk length");
  const raw = await RawConnection.open(locked.port);
  raw.send(stream);
  await waitUntil(() => raw.closed); // Redis closes after its error, so every reply is in by then
  expect(text(Uint8Array.from(raw.received))).toBe(
    "-NOAUTH Authentication required.\r\n-ERR Protocol error: unauthenticated multibulk length\r\n",
  );
});

async function waitUntil(done: () => boolean): Promise<void> {
  for (const deadline = performance.now() + 2000; !done() && performance.now() < deadline; ) await Bun.sleep(5);
}

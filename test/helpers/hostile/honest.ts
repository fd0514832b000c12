/**
 * An honest client for the isolation test: it works on its own keys
 * (honest:<id>:<n>) with random values and knows, from its own model of those
 * keys, the exact bytes of every reply it must get. Every reply frame is
 * compared byte for byte. A reply that differs is a wrong reply (someone
 * else's reply, or a shifted one) unless it is one of warren's own errors
 * (`-ERR warren: …`), which counts as an error. After an error or a wrong reply
 * the keys it touched are abandoned for fresh ones, so the model never guesses.
 */
import type { Socket } from "bun";
import { INVALID, NEED_MORE, type RespScanner, respFramer } from "../../../src/framing/index.ts";
import { RespMap, decode } from "../redis.ts";
import type { Rng } from "./rng.ts";
import { multibulk, splitAt } from "./wire.ts";

export interface HonestProfile {
  /** Sends HELLO 3 first and expects RESP3 replies. */
  readonly resp3: boolean;
  /** Requests written back to back before waiting (1 = one at a time). */
  readonly maxPipeline: number;
  /** Writes each batch in pieces cut at random bytes. */
  readonly split: boolean;
}

export interface HonestStats {
  /** Replies checked byte-exactly and found right. */
  checked: number;
  wrong: number;
  /** warren's own error replies, and closes with requests unanswered. */
  errors: number;
  readonly errorTexts: Map<string, number>;
  readonly wrongSamples: string[];
  /** Replies not checked because an earlier error left their key's state unknown. */
  unverifiable: number;
}

export function newHonestStats(): HonestStats {
  return { checked: 0, wrong: 0, errors: 0, errorTexts: new Map(), wrongSamples: [], unverifiable: 0 };
}

/** What one reply must be: exact bytes, or a check for replies that carry ids (HELLO). */
interface Expected {
  readonly request: string;
  readonly bytes: Buffer | null;
  readonly check: ((frame: Buffer) => boolean) | null;
  /** Keys whose state this request depends on or changes. */
  readonly keys: readonly string[];
}

interface SocketState {
  client: HonestClient;
}

const WARREN_ERROR = Buffer.from("-ERR warren: ");
/** How long one batch may take to be answered before the client counts it as stuck. */
const BATCH_DEADLINE_MS = 10_000;

export class HonestClient {
  private socket: Socket<SocketState> | null = null;
  /** The data object of the current socket; events of earlier sockets carry another one. */
  private state: SocketState | null = null;
  private readonly scanner: RespScanner;
  private buffered: Buffer = Buffer.alloc(0);
  private readonly expected: Expected[] = [];
  private wake: (() => void) | null = null;
  private closed = true;
  private lastWasWarrenError = false;
  private poisoned = false;
  /** Fresh-key counter: keys are honest:<id>:<n>, never reused. */
  private nextKey = 0;
  private readonly strings: string[] = [];
  private readonly counters: string[] = [];
  private readonly model = new Map<string, Buffer | number | null>();
  private readonly tainted = new Set<string>();
  /** Whether the last batch sent was answered in full (checked by the test after the run). */
  lastAnswered = true;
  batches = 0;
  reconnects = 0;

  constructor(
    readonly id: number,
    private readonly port: number,
    private readonly rng: Rng,
    readonly profile: HonestProfile,
    private readonly stats: HonestStats,
  ) {
    const f = respFramer({ inline: false, maxFrameBytes: Number.POSITIVE_INFINITY });
    if (!("create" in f)) throw f;
    this.scanner = f.create() as RespScanner;
  }

  /** run works until `until` (performance.now()), then finishes its last batch. */
  async run(until: number): Promise<void> {
    while (performance.now() < until) {
      if (this.closed || this.poisoned) await this.reconnect();
      if (this.closed) continue;
      await this.batch();
    }
    this.socket?.end();
  }

  private async reconnect(): Promise<void> {
    this.socket?.terminate();
    this.socket = null;
    this.pendingWrites = [];
    this.freshKeys();
    this.buffered = Buffer.alloc(0);
    this.expected.length = 0;
    this.poisoned = false;
    this.lastWasWarrenError = false;
    const state: SocketState = { client: this };
    this.state = state;
    try {
      this.socket = await Bun.connect<SocketState>({ hostname: "127.0.0.1", port: this.port, data: state, socket: honestHandlers });
    } catch (err) {
      this.countError(`connect failed: ${String(err)}`);
      await Bun.sleep(10); // pacing before the next attempt, not a wait for a condition
      return;
    }
    this.closed = false;
    this.reconnects++;
    if (this.profile.resp3) {
      const hello: Expected = { request: "HELLO 3", bytes: null, check: isResp3Hello, keys: [] };
      await this.send([multibulk(["HELLO", "3"])], [hello]);
    }
  }

  /** freshKeys abandons every key for new, never-used ones (their state is known: empty). */
  private freshKeys(): void {
    this.strings.length = 0;
    this.counters.length = 0;
    for (let i = 0; i < 4; i++) this.strings.push(this.newKey());
    for (let i = 0; i < 2; i++) this.counters.push(this.newKey());
    this.tainted.clear();
  }

  private newKey(): string {
    const k = `honest:${this.id}:${this.nextKey++}`;
    this.model.set(k, null);
    return k;
  }

  private async batch(): Promise<void> {
    const requests: Buffer[] = [];
    const expected: Expected[] = [];
    const n = this.profile.maxPipeline === 1 ? 1 : this.rng.between(1, this.profile.maxPipeline);
    for (let i = 0; i < n; i++) this.op(requests, expected);
    this.batches++;
    await this.send(requests, expected);
    // Keys an error left unknown are replaced before the next batch.
    if (this.tainted.size > 0) {
      for (const list of [this.strings, this.counters]) {
        for (let i = 0; i < list.length; i++) if (this.tainted.has(list[i]!)) list[i] = this.newKey();
      }
      this.tainted.clear();
    }
  }

  /** send writes one batch and waits for all its replies (or the close, or the deadline). */
  private async send(requests: Buffer[], expected: Expected[]): Promise<void> {
    this.expected.push(...expected);
    this.lastAnswered = false;
    const bytes = Buffer.concat(requests);
    if (this.profile.split && bytes.byteLength > 1) {
      for (const piece of splitAt(bytes, this.rng)) {
        if (this.closed) break;
        this.write(piece);
        if (this.rng.chance(0.5)) await new Promise((r) => setImmediate(r));
      }
    } else this.write(bytes);
    const deadline = performance.now() + BATCH_DEADLINE_MS;
    while (this.expected.length > 0 && !this.closed) {
      const left = deadline - performance.now();
      if (left <= 0) {
        this.countError(`no reply within ${BATCH_DEADLINE_MS} ms to ${this.expected[0]!.request}`);
        this.poisoned = true;
        return;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250));
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
    if (this.expected.length > 0) {
      // Closed with requests unanswered: fine right after one of warren's errors that closes the client.
      if (!this.lastWasWarrenError)
        this.countError(`closed with ${this.expected.length} requests unanswered (first: ${this.expected[0]!.request})`);
      this.expected.length = 0;
      return;
    }
    this.lastAnswered = true;
  }

  private pendingWrites: Uint8Array[] = [];

  private write(bytes: Uint8Array): void {
    const s = this.socket;
    if (s === null || this.closed) return;
    if (this.pendingWrites.length > 0) {
      this.pendingWrites.push(bytes);
      return;
    }
    const n = s.write(bytes);
    if (n >= 0 && n < bytes.byteLength) this.pendingWrites.push(bytes.subarray(n));
  }

  onDrain(): void {
    const s = this.socket;
    while (s !== null && this.pendingWrites.length > 0) {
      const b = this.pendingWrites[0]!;
      const n = s.write(b);
      if (n < 0) return;
      if (n < b.byteLength) {
        this.pendingWrites[0] = b.subarray(n);
        return;
      }
      this.pendingWrites.shift();
    }
  }

  onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    let start = 0;
    for (;;) {
      this.scanner.reset();
      const end = this.scanner.feed(this.buffered, start, this.buffered.length);
      if (end === NEED_MORE) break;
      if (end === INVALID) {
        this.wrongReply("(not RESP)", this.buffered.subarray(start), null);
        this.buffered = Buffer.alloc(0);
        this.socket?.terminate();
        return;
      }
      this.onFrame(this.buffered.subarray(start, end));
      start = end;
    }
    this.buffered = this.buffered.subarray(start);
    this.wake?.();
  }

  private onFrame(frame: Buffer): void {
    const exp = this.expected.shift();
    if (exp === undefined) {
      this.wrongReply("(nothing: an unsolicited reply)", frame, null);
      return;
    }
    this.lastWasWarrenError = frame.subarray(0, WARREN_ERROR.byteLength).equals(WARREN_ERROR);
    if (this.lastWasWarrenError) {
      this.countError(
        frame
          .toString("latin1")
          .trimEnd()
          .replace(/\d+ ms/, "N ms"),
      );
      for (const k of exp.keys) this.tainted.add(k);
      return;
    }
    if (this.poisoned || exp.keys.some((k) => this.tainted.has(k))) {
      this.stats.unverifiable++;
      return;
    }
    const ok = exp.bytes !== null ? frame.equals(exp.bytes) : exp.check!(frame);
    if (ok) this.stats.checked++;
    else this.wrongReply(exp.request, frame, exp.bytes);
  }

  private wrongReply(request: string, got: Buffer, want: Buffer | null): void {
    this.stats.wrong++;
    this.poisoned = true; // the model may be off from here on: finish this connection unchecked
    if (this.stats.wrongSamples.length < 8) {
      const show = (b: Buffer) => JSON.stringify(b.subarray(0, 120).toString("latin1"));
      this.stats.wrongSamples.push(
        `client ${this.id}${this.profile.resp3 ? " (RESP3)" : ""}: ${request} got ${show(got)} want ${want === null ? "(a RESP3 HELLO map)" : show(want)}`,
      );
    }
  }

  private countError(text: string): void {
    this.stats.errors++;
    this.stats.errorTexts.set(text, (this.stats.errorTexts.get(text) ?? 0) + 1);
  }

  isCurrent(s: Socket<SocketState>): boolean {
    return s.data === this.state;
  }

  onClose(): void {
    this.closed = true;
    this.wake?.();
  }

  // ---- the operations and the bytes their replies must be ----

  private op(requests: Buffer[], expected: Expected[]): void {
    const r = this.rng.int(100);
    const add = (args: (string | Buffer)[], reply: Buffer, keys: string[]) => {
      requests.push(multibulk(args));
      expected.push({
        request: args.map((a) => (typeof a === "string" ? a : `<${a.byteLength} bytes>`)).join(" "),
        bytes: reply,
        check: null,
        keys,
      });
    };
    const s = this.rng.pick(this.strings);
    const c = this.rng.pick(this.counters);
    if (r < 22) {
      const v = this.value();
      this.model.set(s, v);
      add(["SET", s, v], OK, [s]);
    } else if (r < 44) add(["GET", s], this.bulkOrNull(this.model.get(s) as Buffer | null), [s]);
    else if (r < 56) {
      const n = ((this.model.get(c) as number | null) ?? 0) + 1;
      this.model.set(c, n);
      add(["INCR", c], int(n), [c]);
    } else if (r < 64) {
      const extra = this.value();
      const v = Buffer.concat([(this.model.get(s) as Buffer | null) ?? Buffer.alloc(0), extra]);
      this.model.set(s, v);
      add(["APPEND", s, extra], int(v.byteLength), [s]);
    } else if (r < 74) {
      const v = this.value();
      add(["ECHO", v], bulk(v), []);
    } else if (r < 82) {
      const keys = [this.rng.pick(this.strings), this.rng.pick(this.strings), this.rng.pick(this.strings)];
      const reply = Buffer.concat([
        Buffer.from(`*${keys.length}\r\n`),
        ...keys.map((k) => this.bulkOrNull(this.model.get(k) as Buffer | null)),
      ]);
      add(["MGET", ...keys], reply, keys);
    } else if (r < 88) {
      // Inline, as a person types into redis-cli or telnet: only words that need no quoting.
      const word = this.rng.word();
      requests.push(Buffer.from(`ECHO ${word}\r\n`));
      expected.push({ request: `ECHO ${word} (inline)`, bytes: bulk(Buffer.from(word)), check: null, keys: [] });
    } else if (r < 92) {
      const had = this.model.get(s) !== null;
      this.model.set(s, null);
      add(["DEL", s], int(had ? 1 : 0), [s]);
    } else if (r < 97) add(["PING"], PONG, []);
    else {
      // An honest transaction: MULTI, three commands queued, EXEC with their three replies.
      const v = this.value();
      const n = ((this.model.get(c) as number | null) ?? 0) + 1;
      this.model.set(s, v);
      this.model.set(c, n);
      add(["MULTI"], OK, [s, c]);
      add(["SET", s, v], QUEUED, [s, c]);
      add(["INCR", c], QUEUED, [s, c]);
      add(["GET", s], QUEUED, [s, c]);
      add(["EXEC"], Buffer.concat([Buffer.from("*3\r\n"), OK, int(n), bulk(v)]), [s, c]);
    }
  }

  /** A random value: mostly short, any bytes (CR, LF, NUL included), sometimes a few KiB. */
  private value(): Buffer {
    const n = this.rng.chance(0.05) ? this.rng.between(200, 4000) : this.rng.int(40);
    return this.rng.bytes(n);
  }

  private bulkOrNull(v: Buffer | null): Buffer {
    if (v === null) return this.profile.resp3 ? NULL3 : NULL2;
    return bulk(v);
  }
}

const OK = Buffer.from("+OK\r\n");
const QUEUED = Buffer.from("+QUEUED\r\n");
const PONG = Buffer.from("+PONG\r\n");
const NULL2 = Buffer.from("$-1\r\n");
const NULL3 = Buffer.from("_\r\n");

function int(n: number): Buffer {
  return Buffer.from(`:${n}\r\n`);
}

function bulk(v: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`$${v.byteLength}\r\n`), v, Buffer.from("\r\n")]);
}

/** isResp3Hello: HELLO 3's reply is a RESP3 map whose proto is 3. */
function isResp3Hello(frame: Buffer): boolean {
  if (frame[0] !== 0x25 /* % */) return false;
  const [reply] = decode(frame, 0);
  return reply instanceof RespMap && reply.get("proto") === 3;
}

/** Events of a socket the client already replaced (after a reconnect) are ignored. */
const current = (s: Socket<SocketState>) => s.data.client.isCurrent(s);

const honestHandlers = {
  data(s: Socket<SocketState>, chunk: Buffer) {
    if (current(s)) s.data.client.onData(chunk);
  },
  drain(s: Socket<SocketState>) {
    if (current(s)) s.data.client.onDrain();
  },
  close(s: Socket<SocketState>) {
    if (current(s)) s.data.client.onClose();
  },
  error(s: Socket<SocketState>) {
    if (current(s)) s.data.client.onClose();
  },
};

/**
 * A private redis-server for tests, on a free loopback port, and a minimal RESP
 * client. `await using redis = await startRedis()`; `redis.kill()` and
 * `redis.start()` stop and restart it on the same port (for backend-failure
 * tests). `startRedis({ args, adminAuth })` passes extra server arguments
 * (`--requirepass`, `--enable-debug-command local`, ...) and the credentials the
 * helper's own admin connection logs in with.
 */
import type { Socket, Subprocess } from "bun";
import { type FrameScanner, INVALID, NEED_MORE, respFramer } from "../../src/framing/index.ts";

export interface TestRedis extends AsyncDisposable {
  readonly port: number;
  readonly address: string;
  /** Kills the server (SIGKILL): every connection drops at once. */
  kill(): Promise<void>;
  /** Starts it again on the same port and waits until it answers PING. */
  start(): Promise<void>;
  /** Redis's own count of connected clients (INFO clients), asked over a direct admin connection. */
  connectedClients(): Promise<number>;
  /** One field of INFO (e.g. "blocked_clients") as a number, over the admin connection. */
  infoNumber(section: string, field: string): Promise<number>;
  /** Runs one command on the helper's direct admin connection (authenticated as adminAuth). */
  admin(...args: (string | number | Uint8Array)[]): Promise<Reply>;
}

export interface RedisOptions {
  /** Extra redis-server arguments, e.g. ["--requirepass", "s3cret"]. */
  args?: readonly string[];
  /** [username, password] (or [password]) the helper's admin connection sends AUTH with. */
  adminAuth?: readonly string[];
}

/** freePort binds port 0 to learn a free port, then releases it. */
export function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

export async function startRedis(options: RedisOptions = {}): Promise<TestRedis> {
  const port = freePort();
  let proc: Subprocess | null = null;
  let admin: RespClient | null = null;
  const adminAuth = options.adminAuth ?? [];
  const spawn = async (): Promise<void> => {
    const base = [
      "redis-server",
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--daemonize",
      "no",
      "--loglevel",
      "warning",
    ];
    proc = Bun.spawn([...base, ...(options.args ?? [])], {
      stdout: "ignore",
      stderr: "ignore",
    });
    const deadline = performance.now() + 5000;
    for (;;) {
      try {
        const probe = await RespClient.connect(port);
        if (adminAuth.length > 0) await probe.command("AUTH", ...adminAuth);
        const pong = await probe.command("PING");
        probe.close();
        // With requirepass and no admin credentials, NOAUTH is the answer of a server that is up.
        if (pong === "PONG" || (pong instanceof RespError && pong.message.startsWith("NOAUTH"))) return;
      } catch {}
      if (performance.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING`);
      await Bun.sleep(20);
    }
  };
  await spawn();
  // One admin connection, however many callers ask at once (each would otherwise open its own and be
  // counted in connected_clients).
  let connecting: Promise<RespClient> | null = null;
  const adminConn = async (): Promise<RespClient> => {
    if (admin !== null && !admin.closed) return admin;
    connecting ??= (async () => {
      const c = await RespClient.connect(port);
      if (adminAuth.length > 0) await c.command("AUTH", ...adminAuth);
      admin = c;
      return c;
    })().finally(() => {
      connecting = null;
    });
    return connecting;
  };
  const kill = async (): Promise<void> => {
    admin?.close();
    admin = null;
    const p = proc as Subprocess | null;
    if (p === null) return;
    proc = null;
    p.kill("SIGKILL");
    await p.exited;
  };
  return {
    port,
    address: `127.0.0.1:${port}`,
    kill,
    start: spawn,
    async connectedClients() {
      const info = (await (await adminConn()).command("INFO", "clients")) as string;
      const m = /connected_clients:(\d+)/.exec(info);
      // The admin connection itself is one of them.
      return Number(m?.[1] ?? NaN) - 1;
    },
    async infoNumber(section, field) {
      const info = (await (await adminConn()).command("INFO", section)) as string;
      const m = new RegExp(`^${field}:(\\d+)`, "m").exec(info);
      return Number(m?.[1] ?? NaN);
    },
    async admin(...args) {
      return (await adminConn()).command(...args);
    },
    async [Symbol.asyncDispose]() {
      await kill();
    },
  };
}

/**
 * A RESP reply as decoded by RespClient: errors (simple and blob) are RespError
 * values, not thrown. RESP2 and RESP3 both decode: `_` and `$-1`/`*-1` are null,
 * `#t`/`#f` booleans, `,` a RespDouble (so it is never confused with an integer),
 * `(` a bigint, `=` a RespVerbatim, `%` a RespMap, `~` a RespSet, `>` a RespPush.
 * An attribute (`|`) is dropped and the value it annotates is returned.
 */
export type Reply =
  | string
  | number
  | boolean
  | bigint
  | null
  | RespError
  | RespDouble
  | RespVerbatim
  | RespMap
  | RespSet
  | RespPush
  | Reply[];

export class RespError {
  constructor(readonly message: string) {}
}

/** A RESP3 double (`,`): kept apart from integers, which decode to plain numbers. */
export class RespDouble {
  constructor(readonly value: number) {}
}

/** A RESP3 verbatim string (`=`): a three-letter format ("txt", "mkd") and the text. */
export class RespVerbatim {
  constructor(
    readonly format: string,
    readonly text: string,
  ) {}
}

/** A RESP3 map (`%`), entries in the order Redis sent them. */
export class RespMap {
  constructor(readonly entries: [Reply, Reply][]) {}
  /** The value of the first entry whose key is `key` (undefined when there is none). */
  get(key: Reply): Reply | undefined {
    for (const [k, v] of this.entries) if (Bun.deepEquals(k, key)) return v;
    return undefined;
  }
}

/** A RESP3 set (`~`). */
export class RespSet {
  constructor(readonly items: Reply[]) {}
}

/** A RESP3 push (`>`): pub/sub messages and tracking invalidations. */
export class RespPush {
  constructor(readonly items: Reply[]) {}
}

/** encodeCommand encodes a command as a RESP array of bulk strings. */
export function encodeCommand(...args: (string | number | Uint8Array)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === "string" || typeof a === "number" ? Buffer.from(String(a)) : Buffer.from(a);
    parts.push(Buffer.from(`$${b.byteLength}\r\n`), b, CRLF);
  }
  return Buffer.concat(parts);
}

const CRLF = Buffer.from("\r\n");

export interface RespClientOptions {
  /** Keep the socket writable after the peer's FIN (default false: a FIN closes it). */
  allowHalfOpen?: boolean;
  /** Keep a copy of every reply frame's raw bytes in `frames` (default false). */
  keepFrames?: boolean;
}

/**
 * RespClient: one connection, replies matched to commands in order (the RESP
 * framer finds where each reply ends; a small decoder turns it into values).
 * Out-of-band pushes (pub/sub messages) go to `pushes` when no command waits.
 * It can also write any bytes (`write`), half-close (`end`, a FIN) or reset
 * (`terminate`, an RST), and count what arrived (`bytesReceived`, `ended`).
 */
export class RespClient {
  private buffered: Buffer = Buffer.alloc(0);
  private readonly scanner: FrameScanner;
  private readonly waiters: ((r: Reply) => void)[] = [];
  readonly pushes: Reply[] = [];
  /** Raw bytes of every reply frame, in order (only with keepFrames). */
  readonly frames: Buffer[] = [];
  private pushWaiter: (() => void) | null = null;
  closed = false;
  /** The peer sent FIN (or the socket closed). */
  ended = false;
  bytesReceived = 0;
  /** The close came with an error (ECONNRESET ...), or null. */
  closeError: string | null = null;
  private closeWaiters: (() => void)[] = [];
  private readonly keepFrames: boolean;

  private constructor(
    private socket: Socket<RespClient> | null,
    options: RespClientOptions,
  ) {
    const f = respFramer({ inline: false, maxFrameBytes: Number.POSITIVE_INFINITY });
    if (!("create" in f)) throw f;
    this.scanner = f.create();
    this.keepFrames = options.keepFrames ?? false;
  }

  static async connect(port: number, options: RespClientOptions = {}): Promise<RespClient> {
    const client = new RespClient(null, options);
    client.socket = await Bun.connect<RespClient>({
      hostname: "127.0.0.1",
      port,
      data: client,
      allowHalfOpen: options.allowHalfOpen ?? false,
      socket: {
        data: (s, chunk) => s.data.onData(chunk),
        drain: (s) => s.data.onDrain(),
        end: (s) => {
          s.data.ended = true;
        },
        close: (s, err) => s.data.onClose(err),
        error: (s) => s.data.onClose(undefined),
      },
    });
    return client;
  }

  /** command sends one command and resolves with its reply. */
  command(...args: (string | number | Uint8Array)[]): Promise<Reply> {
    return this.sendRaw(encodeCommand(...args), 1).then((r) => r[0]!);
  }

  /** pipeline sends every command in one write and resolves with their replies, in order. */
  pipeline(commands: (string | number | Uint8Array)[][]): Promise<Reply[]> {
    return this.sendRaw(Buffer.concat(commands.map((c) => encodeCommand(...c))), commands.length);
  }

  /** sendRaw writes bytes and resolves with the next `replies` replies (rejects if the connection closes first). */
  sendRaw(bytes: Uint8Array | string, replies: number): Promise<Reply[]> {
    const done = this.expect(replies);
    this.write(bytes);
    return done;
  }

  /** expect resolves with the next `replies` replies, however they were asked for (rejects if the connection closes first). */
  expect(replies: number): Promise<Reply[]> {
    const got: Reply[] = [];
    return new Promise<Reply[]>((resolve, reject) => {
      if (replies === 0) resolve(got);
      for (let i = 0; i < replies; i++) {
        this.waiters.push((r) => {
          got.push(r);
          if (got.length === replies) resolve(got);
        });
      }
      if (this.closed) reject(new Error(`connection already closed, 0 of ${replies} replies`));
      this.closeWaiters.push(() =>
        reject(new Error(`connection closed after ${got.length} of ${replies} replies: ${JSON.stringify(got, jsonReplacer)}`)),
      );
    });
  }

  /** write sends bytes as they are, expecting nothing; the whole buffer is queued even if the kernel takes part of it. */
  write(bytes: Uint8Array | string): void {
    const b = typeof bytes === "string" ? Buffer.from(bytes) : bytes;
    if (this.queued.length > 0) {
      this.queued.push(b); // keep order behind what the kernel has not taken yet
      return;
    }
    const n = this.socket!.write(b);
    if (n >= 0 && n < b.byteLength) this.queued.push(b.subarray(n));
  }

  /** Bytes written but not yet taken by the kernel, in order. */
  private readonly queued: Uint8Array[] = [];

  /** The bytes `write` still holds because the kernel's send buffer was full. */
  get unsentBytes(): number {
    let n = 0;
    for (const b of this.queued) n += b.byteLength;
    return n;
  }

  /** Flushes bytes the kernel did not take at once (called on drain). */
  private onDrain(): void {
    while (this.queued.length > 0) {
      const b = this.queued[0]!;
      const n = this.socket!.write(b);
      if (n < 0) return;
      if (n < b.byteLength) {
        this.queued[0] = b.subarray(n);
        return;
      }
      this.queued.shift();
    }
  }

  /** nextPush resolves with the next pushed message (pub/sub). */
  async nextPush(timeoutMs = 2000): Promise<Reply> {
    const deadline = performance.now() + timeoutMs;
    while (this.pushes.length === 0) {
      if (this.closed || performance.now() > deadline) throw new Error("no push arrived");
      await new Promise<void>((r) => {
        this.pushWaiter = r;
        setTimeout(r, 20);
      });
    }
    return this.pushes.shift()!;
  }

  /** Resolves when the connection closes. */
  whenClosed(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((r) => this.closeWaiters.push(r));
  }

  /** close half-closes (FIN); with allowHalfOpen off the socket closes once the peer answers with its own FIN. */
  close(): void {
    this.socket?.end();
  }

  /** end is close: a FIN, named for tests that mean the FIN. */
  end(): void {
    this.socket?.end();
  }

  /** terminate resets the connection (RST): nothing more is sent or read. */
  terminate(): void {
    this.socket?.terminate();
  }

  pause(): void {
    this.socket?.pause();
  }

  resume(): void {
    this.socket?.resume();
  }

  private onData(chunk: Buffer): void {
    this.bytesReceived += chunk.byteLength;
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    let start = 0;
    for (;;) {
      this.scanner.reset();
      const end = this.scanner.feed(this.buffered, start, this.buffered.length);
      if (end === NEED_MORE) break;
      if (end === INVALID) throw new Error(`invalid reply: ${JSON.stringify(this.buffered.subarray(start).toString())}`);
      const [reply] = decode(this.buffered, start);
      if (this.keepFrames) this.frames.push(Buffer.from(this.buffered.subarray(start, end)));
      start = end;
      const waiter = this.waiters.shift();
      if (waiter !== undefined) waiter(reply);
      else {
        this.pushes.push(reply);
        this.pushWaiter?.();
      }
    }
    this.buffered = this.buffered.subarray(start);
  }

  private onClose(err: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.ended = true;
    if (err !== undefined) this.closeError = (err as { code?: string }).code ?? String(err);
    for (const w of this.closeWaiters.splice(0)) w();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** For JSON.stringify of replies in messages: bigints as strings, classes by their fields. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? `${value}n` : value;
}

/**
 * decode turns one complete RESP2/RESP3 reply at buf[i] into a value; returns it
 * and the index after it. The frame was already delimited by the RESP scanner,
 * so the bytes are well formed.
 */
export function decode(buf: Buffer, i: number): [Reply, number] {
  const type = String.fromCharCode(buf[i]!);
  const lf = buf.indexOf(10, i);
  const line = buf.toString("latin1", i + 1, lf - 1);
  const next = lf + 1;
  const blob = (): [string, number] => {
    const n = Number(line);
    return [buf.toString("utf8", next, next + n), next + n + 2];
  };
  const aggregate = (n: number): [Reply[], number] => {
    const out: Reply[] = [];
    let j = next;
    for (let k = 0; k < n; k++) {
      const [v, after] = decode(buf, j);
      out.push(v);
      j = after;
    }
    return [out, j];
  };
  switch (type) {
    case "+":
      return [line, next];
    case "-":
      return [new RespError(line), next];
    case ":":
      return [Number(line), next];
    case "_":
      return [null, next];
    case "#":
      return [line === "t", next];
    case ",":
      return [new RespDouble(line === "inf" ? Infinity : line === "-inf" ? -Infinity : Number(line)), next];
    case "(":
      return [BigInt(line), next];
    case "$": {
      if (Number(line) < 0) return [null, next];
      return blob();
    }
    case "!": {
      const [text, after] = blob();
      return [new RespError(text), after];
    }
    case "=": {
      const [text, after] = blob();
      return [new RespVerbatim(text.slice(0, 3), text.slice(4)), after];
    }
    case "*": {
      const n = Number(line);
      if (n < 0) return [null, next];
      return aggregate(n);
    }
    case "~": {
      const [items, after] = aggregate(Number(line));
      return [new RespSet(items), after];
    }
    case ">": {
      const [items, after] = aggregate(Number(line));
      return [new RespPush(items), after];
    }
    case "%":
    case "|": {
      const [flat, after] = aggregate(2 * Number(line));
      const entries: [Reply, Reply][] = [];
      for (let k = 0; k < flat.length; k += 2) entries.push([flat[k]!, flat[k + 1]!]);
      if (type === "%") return [new RespMap(entries), after];
      // An attribute annotates the value after it: return that value.
      return decode(buf, after);
    }
    default:
      throw new Error(`cannot decode reply type ${JSON.stringify(type)}`);
  }
}

/**
 * slowRespServer is a stand-in for a busy Redis: it frames RESP commands and
 * answers every one with `+OK` (EXEC with an empty array) `delayMs` after the
 * previous reply on that connection, in order, so replies are always
 * outstanding while clients keep sending. `connections()` counts open ones.
 */
export function slowRespServer(delayMs: number): { port: number; address: string; connections: () => number; stop: () => void } {
  let connections = 0;
  const factory = respFramer({});
  if (!("create" in factory)) throw factory;
  type State = { scanner: FrameScanner; buf: Buffer; chain: Promise<void> };
  const server = Bun.listen<State>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(s) {
        s.data = { scanner: factory.create(), buf: Buffer.alloc(0), chain: Promise.resolve() };
        connections++;
      },
      data(s, chunk) {
        const st = s.data;
        st.buf = st.buf.length === 0 ? chunk : Buffer.concat([st.buf, chunk]);
        let start = 0;
        for (;;) {
          st.scanner.reset();
          const end = st.scanner.feed(st.buf, start, st.buf.length);
          if (end === NEED_MORE || end === INVALID) break;
          const reply = /EXEC/i.test(st.buf.toString("latin1", start, end)) ? "*0\r\n" : "+OK\r\n";
          start = end;
          st.chain = st.chain.then(() => Bun.sleep(delayMs)).then(() => void s.write(reply));
        }
        st.buf = st.buf.subarray(start);
      },
      close() {
        connections--;
      },
    },
  });
  return { port: server.port, address: `127.0.0.1:${server.port}`, connections: () => connections, stop: () => server.stop(true) };
}

/**
 * A private redis-server for tests, on a free loopback port, and a minimal RESP
 * client. `await using redis = await startRedis()`; `redis.restart()` kills and
 * restarts it on the same port (for backend-failure tests).
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
}

/** freePort binds port 0 to learn a free port, then releases it. */
export function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

/** startRedis starts redis-server with test defaults; `args` adds configuration, e.g. ["--requirepass", "pw"]. */
export async function startRedis(args: string[] = []): Promise<TestRedis> {
  const port = freePort();
  let proc: Subprocess | null = null;
  let admin: RespClient | null = null;
  const spawn = async (): Promise<void> => {
    const config = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning", ...args];
    proc = Bun.spawn(["redis-server", ...config], {
      stdout: "ignore",
      stderr: "ignore",
    });
    const deadline = performance.now() + 5000;
    for (;;) {
      try {
        const probe = await RespClient.connect(port);
        const pong = await probe.command("PING");
        probe.close();
        // With requirepass, NOAUTH is the answer of a server that is up.
        if (pong === "PONG" || (pong instanceof RespError && pong.message.startsWith("NOAUTH"))) return;
      } catch {}
      if (performance.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING`);
      await Bun.sleep(20);
    }
  };
  await spawn();
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
      admin ??= await RespClient.connect(port);
      const info = (await admin.command("INFO", "clients")) as string;
      const m = /connected_clients:(\d+)/.exec(info);
      // The admin connection itself is one of them.
      return Number(m?.[1] ?? NaN) - 1;
    },
    async [Symbol.asyncDispose]() {
      await kill();
    },
  };
}

/** A RESP reply as decoded by RespClient: errors are RespError values, not thrown. */
export type Reply = string | number | null | RespError | Reply[];

export class RespError {
  constructor(readonly message: string) {}
}

/** encodeCommand encodes a command as a RESP array of bulk strings. */
export function encodeCommand(...args: (string | number)[]): Buffer {
  let out = `*${args.length}\r\n`;
  for (const a of args) {
    const s = String(a);
    out += `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
  }
  return Buffer.from(out);
}

/**
 * RespClient: one connection, replies matched to commands in order (the RESP
 * framer finds where each reply ends; a tiny decoder turns it into values).
 * Out-of-band pushes (pub/sub messages) go to `pushes` when no command waits.
 */
export class RespClient {
  private buffered: Buffer = Buffer.alloc(0);
  private readonly scanner: FrameScanner;
  private readonly waiters: ((r: Reply) => void)[] = [];
  readonly pushes: Reply[] = [];
  private pushWaiter: (() => void) | null = null;
  closed = false;
  private closeWaiters: (() => void)[] = [];

  private constructor(private socket: Socket<RespClient> | null) {
    const f = respFramer({ inline: false, maxFrameBytes: Number.POSITIVE_INFINITY });
    if (!("create" in f)) throw f;
    this.scanner = f.create();
  }

  static async connect(port: number): Promise<RespClient> {
    const client = new RespClient(null);
    client.socket = await Bun.connect<RespClient>({
      hostname: "127.0.0.1",
      port,
      data: client,
      socket: {
        data: (s, chunk) => s.data.onData(chunk),
        close: (s) => s.data.onClose(),
        error: (s) => s.data.onClose(),
      },
    });
    return client;
  }

  /** command sends one command and resolves with its reply. */
  command(...args: (string | number)[]): Promise<Reply> {
    return this.sendRaw(encodeCommand(...args), 1).then((r) => r[0]!);
  }

  /** pipeline sends every command in one write and resolves with their replies, in order. */
  pipeline(commands: (string | number)[][]): Promise<Reply[]> {
    return this.sendRaw(Buffer.concat(commands.map((c) => encodeCommand(...c))), commands.length);
  }

  /** sendRaw writes bytes and resolves with the next `replies` replies (rejects if the connection closes first). */
  sendRaw(bytes: Uint8Array | string, replies: number): Promise<Reply[]> {
    const got: Reply[] = [];
    const done = new Promise<Reply[]>((resolve, reject) => {
      if (replies === 0) resolve(got);
      for (let i = 0; i < replies; i++) {
        this.waiters.push((r) => {
          got.push(r);
          if (got.length === replies) resolve(got);
        });
      }
      this.closeWaiters.push(() => reject(new Error(`connection closed after ${got.length} of ${replies} replies: ${JSON.stringify(got)}`)));
    });
    this.socket!.write(bytes);
    return done;
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

  close(): void {
    this.socket?.end();
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    let start = 0;
    for (;;) {
      this.scanner.reset();
      const end = this.scanner.feed(this.buffered, start, this.buffered.length);
      if (end === NEED_MORE) break;
      if (end === INVALID) throw new Error(`invalid reply: ${JSON.stringify(this.buffered.subarray(start).toString())}`);
      const [reply] = decode(this.buffered, start);
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

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.closeWaiters.splice(0)) w();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** decode turns one complete RESP2 reply at buf[i] into a value; returns it and the index after it. */
function decode(buf: Buffer, i: number): [Reply, number] {
  const type = String.fromCharCode(buf[i]!);
  const lf = buf.indexOf(10, i);
  const line = buf.toString("latin1", i + 1, lf - 1);
  const next = lf + 1;
  switch (type) {
    case "+":
      return [line, next];
    case "-":
      return [new RespError(line), next];
    case ":":
      return [Number(line), next];
    case "$": {
      const n = Number(line);
      if (n < 0) return [null, next];
      return [buf.toString("utf8", next, next + n), next + n + 2];
    }
    case "*": {
      const n = Number(line);
      if (n < 0) return [null, next];
      const out: Reply[] = [];
      let j = next;
      for (let k = 0; k < n; k++) {
        const [v, after] = decode(buf, j);
        out.push(v);
        j = after;
      }
      return [out, j];
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

/**
 * The bench's private Redis: a redis-server process on a free loopback port
 * (no persistence), and one admin connection the bench uses to preload keys
 * and to sample `INFO clients` while a target is under load.
 */
import type { Socket, SocketHandler } from "bun";
import { join } from "node:path";
import { type FrameScanner, FramerError, INVALID, NEED_MORE, respFramer } from "../../src/framing/index.ts";
import { type Child, isRunning, spawnChild, stopChild, withTimeout } from "../children.ts";
import { HOST, freePort, waitForPort } from "../net.ts";
import { withPin } from "../pin.ts";
import { run } from "../targets/process-target.ts";
import { type MixParams, prng, setCommand, value } from "./requests.ts";

export interface RunningRedis {
  port: number;
  pid: number;
  version: string;
  admin: RedisAdmin;
  stop(): Promise<void>;
}

export async function redisVersion(): Promise<string | null> {
  if (Bun.which("redis-server") === null) return null;
  const v = await run(["redis-server", "--version"]);
  return /v=(\S+)/.exec(v.out)?.[1] ?? "unknown";
}

/** startRedis runs redis-server in the foreground with persistence off; it shares the load generator's cores when pinned. */
export async function startRedis(dir: string): Promise<RunningRedis> {
  const version = await redisVersion();
  if (version === null) throw new Error("redis-server is not installed: apt-get install -y redis-server redis-tools");
  const port = freePort();
  const cmd = ["redis-server", "--port", String(port), "--bind", HOST, "--save", "", "--appendonly", "no"];
  cmd.push("--daemonize", "no", "--dir", dir, "--logfile", join(dir, "redis.log"), "--maxclients", "10000");
  const proc: Child = spawnChild(withPin("load", cmd), { stdout: "ignore", stderr: join(dir, "redis.stderr") });
  try {
    await waitForPort(port, 10_000, "redis-server", () => isRunning(proc));
    const admin = await RedisAdmin.connect(port);
    const stop = (): Promise<void> => {
      admin.close();
      return stopChild(proc);
    };
    return { port, pid: proc.pid, version, admin, stop };
  } catch (err) {
    await stopChild(proc);
    throw err;
  }
}

/** AdminConn is the admin socket's state: one call at a time, its reply bytes and how many replies it waits for. */
class AdminConn {
  chunks: Uint8Array[] = [];
  expected = 0;
  received = 0;
  resolve: ((reply: Buffer) => void) | null = null;
  reject: ((err: Error) => void) | null = null;
  constructor(readonly scanner: FrameScanner) {}
}

function onAdminData(socket: Socket<AdminConn>, chunk: Buffer): void {
  const a = socket.data;
  if (a.resolve === null) return;
  a.chunks.push(Uint8Array.prototype.slice.call(chunk)); // copied: the admin path is not hot
  let i = 0;
  while (i < chunk.byteLength) {
    const r = a.scanner.feed(chunk, i, chunk.byteLength);
    if (r === NEED_MORE) break;
    if (r === INVALID) return fail(a, new Error("redis admin: unparsable reply"));
    i = r;
    a.received++;
  }
  if (a.received < a.expected) return;
  const resolve = a.resolve;
  const reply = Buffer.concat(a.chunks);
  a.resolve = a.reject = null;
  a.chunks = [];
  resolve(reply);
}

function fail(a: AdminConn, err: Error): void {
  const reject = a.reject;
  a.resolve = a.reject = null;
  reject?.(err);
}

function onAdminClose(socket: Socket<AdminConn>): void {
  fail(socket.data, new Error("redis admin: connection closed"));
}

const adminHandlers = { data: onAdminData, close: onAdminClose, error: onAdminClose } satisfies SocketHandler<AdminConn>;

export class RedisAdmin {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly socket: Socket<AdminConn>) {}

  static async connect(port: number): Promise<RedisAdmin> {
    const framer = respFramer({ inline: false, maxFrameBytes: Number.POSITIVE_INFINITY });
    if (framer instanceof FramerError) throw framer;
    const socket = await Bun.connect<AdminConn>({ hostname: HOST, port, data: new AdminConn(framer.create()), socket: adminHandlers });
    return new RedisAdmin(socket);
  }

  /** call writes raw RESP (one or many commands) and resolves with the bytes of `replies` replies. */
  call(request: string, replies = 1, timeoutMs = 10_000): Promise<Buffer> {
    const next = this.queue.then(() => withTimeout(this.send(request, replies), timeoutMs, "redis admin"));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private send(request: string, replies: number): Promise<Buffer> {
    const a = this.socket.data;
    return new Promise<Buffer>((resolve, reject) => {
      a.expected = replies;
      a.received = 0;
      a.resolve = resolve;
      a.reject = reject;
      // Bun queues what the kernel does not take at once, so a large preload needs no drain handling here.
      if (this.socket.write(request) < 0) fail(a, new Error("redis admin: write on a closed socket"));
    });
  }

  /** connectedClients is `INFO clients` connected_clients, this admin connection included. */
  async connectedClients(): Promise<number> {
    const text = (await this.call("*2\r\n$4\r\nINFO\r\n$7\r\nclients\r\n")).toString("latin1");
    const m = /connected_clients:(\d+)/.exec(text);
    if (m === null) throw new Error(`redis admin: no connected_clients in INFO clients: ${text.slice(0, 200)}`);
    return Number(m[1]);
  }

  /** waitForClients waits (at most `timeoutMs`) until Redis counts `n` clients, e.g. after a target stopped. */
  async waitForClients(n: number, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while ((await this.connectedClients()) > n && performance.now() < deadline) await Bun.sleep(20);
  }

  /** preload sets every key of the mix, so GETs return values of the mix's sizes. */
  async preload(p: MixParams): Promise<void> {
    const rand = prng(7);
    const batch = 1000;
    for (let from = 0; from < p.keys; from += batch) {
      let request = "";
      const to = Math.min(p.keys, from + batch);
      for (let k = from; k < to; k++) {
        request += setCommand(`key:${k}`, value(p.valueMinBytes + Math.floor(rand() * (p.valueMaxBytes - p.valueMinBytes + 1)), rand));
      }
      await this.call(request, to - from);
    }
  }

  close(): void {
    this.socket.end();
  }
}

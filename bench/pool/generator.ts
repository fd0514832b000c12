/**
 * The RESP load generator: `clients` connections, each keeping `depth`
 * GET/SET requests in flight (depth 1: no pipelining). Replies are counted
 * with warren's own RESP reply scanner; each reply frees a slot, and the
 * slots freed by one chunk are refilled with one write. Handlers are declared
 * once at module level; per-connection state lives in LoadConn.
 */
import type { Socket, SocketHandler } from "bun";
import { type FrameScanner, type FramerFactory, FramerError, INVALID, NEED_MORE, respFramer } from "../../src/framing/index.ts";
import { cpuNs } from "../load/cpu.ts";
import { Histogram } from "../load/histogram.ts";
import { Window } from "../load/window.ts";
import { type MixParams, type RequestMix, buildMix } from "./requests.ts";

export interface RespLoadParams extends MixParams {
  port: number;
  clients: number;
  /** Requests each client keeps in flight; 1 = one request outstanding. */
  depth: number;
  warmupMs: number;
  durationMs: number;
  /** The proxy process whose CPU time is read at the window's edges; null for direct. */
  targetPid: number | null;
  redisPid: number;
}

export type RespLoadResult = { ok: true; metrics: Record<string, number> } | { ok: false; error: string };

/** The line printed when the counted window starts: the bench samples Redis's client count from then on. */
export const WINDOW_START_LINE = '{"window":"start"}';

const MINUS = 0x2d;

class LoadConn {
  /** Send times of the requests in flight, oldest at `head` (a ring of `depth` slots). */
  readonly sentAt: Float64Array;
  head = 0;
  inFlight = 0;
  /** Next request of the mix this connection sends. */
  cursor: number;
  /** Request bytes the socket did not take yet (written on drain). */
  owed: Uint8Array | null = null;
  readonly scanner: FrameScanner;

  constructor(depth: number, cursor: number, scanner: FrameScanner) {
    this.sentAt = new Float64Array(depth);
    this.cursor = cursor;
    this.scanner = scanner;
  }
}

const win = new Window();
const latency = new Histogram();
let mix: RequestMix = { bytes: new Uint8Array(0), offsets: new Uint32Array(1), count: 0 };
let depth = 1;
let completed = 0;
/** Replies that are RESP errors (e.g. a proxy's timeout), counted over the whole run. */
let errorReplies = 0;
/** Socket-level failures: a write on a closed socket, a reset, an unparsable reply. */
let errors = 0;

/** send writes the next `k` requests of the mix as one subarray and stamps their send time. */
function send(socket: Socket<LoadConn>, k: number, now: number): void {
  const c = socket.data;
  let i = c.cursor;
  if (i + k > mix.count) i = 0;
  c.cursor = i + k;
  const bytes = mix.bytes.subarray(mix.offsets[i]!, mix.offsets[i + k]!);
  for (let j = 0; j < k; j++) c.sentAt[(c.head + c.inFlight + j) % depth] = now;
  c.inFlight += k;
  if (c.owed !== null) {
    c.owed = Buffer.concat([c.owed, bytes]); // rare: the socket was full
    return;
  }
  const written = socket.write(bytes);
  if (written < 0) errors++;
  else if (written < bytes.byteLength) c.owed = bytes.subarray(written);
}

function onData(socket: Socket<LoadConn>, chunk: Buffer): void {
  const c = socket.data;
  const end = chunk.byteLength;
  const now = performance.now();
  let i = 0;
  let done = 0;
  while (i < end) {
    if (c.scanner.pending === 0 && chunk[i] === MINUS) errorReplies++;
    const r = c.scanner.feed(chunk, i, end);
    if (r === NEED_MORE) break;
    if (r === INVALID) {
      errors++;
      socket.terminate();
      return;
    }
    i = r;
    done++;
    if (win.measuring) {
      completed++;
      latency.recordUs((now - c.sentAt[c.head]!) * 1000);
    }
    c.head = (c.head + 1) % depth;
    c.inFlight--;
  }
  if (done > 0 && !win.stopping) send(socket, done, now);
}

function onDrain(socket: Socket<LoadConn>): void {
  const c = socket.data;
  const owed = c.owed;
  if (owed === null) return;
  const written = socket.write(owed);
  if (written < 0) errors++;
  c.owed = written < 0 || written === owed.byteLength ? null : owed.subarray(written);
}

function onClose(_socket: Socket<LoadConn>, err?: Error): void {
  if (!win.stopping || err !== undefined) errors++;
}

const handlers = { data: onData, drain: onDrain, close: onClose, error: onClose } satisfies SocketHandler<LoadConn>;

export async function runRespLoad(p: RespLoadParams): Promise<RespLoadResult> {
  const framer: FramerFactory | FramerError = respFramer({ inline: false, maxFrameBytes: Number.POSITIVE_INFINITY });
  if (framer instanceof FramerError) return { ok: false, error: framer.message };
  mix = buildMix(p);
  depth = p.depth;
  const sockets: Socket<LoadConn>[] = [];
  for (let i = 0; i < p.clients; i++) {
    // Clients start at different points of the mix, so they do not all hit the same keys in step.
    const cursor = Math.floor((i * mix.count) / p.clients);
    const data = new LoadConn(p.depth, cursor, framer.create());
    sockets.push(await Bun.connect<LoadConn>({ hostname: "127.0.0.1", port: p.port, data, socket: handlers }));
  }
  const now = performance.now();
  for (const s of sockets) send(s, p.depth, now);
  let redisCpuStartNs = NaN;
  setTimeout(() => {
    redisCpuStartNs = cpuNs(p.redisPid);
    process.stdout.write(`${WINDOW_START_LINE}\n`);
  }, p.warmupMs);
  const seconds = await win.run(p.warmupMs, p.durationMs, p.targetPid);
  const redisCpuNs = cpuNs(p.redisPid) - redisCpuStartNs;
  for (const s of sockets) s.end();
  if (completed === 0) return { ok: false, error: `no reply in the window (${errors} socket errors, ${errorReplies} error replies)` };
  return {
    ok: true,
    metrics: {
      reqPerSec: completed / seconds,
      p50Us: latency.percentile(50),
      p99Us: latency.percentile(99),
      targetCpuUsPerReq: win.cpuUsPer(completed),
      redisCpuUsPerReq: redisCpuNs / 1000 / completed,
      errorReplies,
      errors,
    },
  };
}

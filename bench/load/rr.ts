/**
 * rr: `connections` persistent connections, each with one request of
 * `requestBytes` outstanding; the next request goes out when the whole echo
 * is back. Reports requests/s and latency percentiles over the window.
 */
import type { Socket, SocketHandler } from "bun";
import { Histogram } from "./histogram.ts";
import type { LoadResult, RrParams } from "./params.ts";
import { clientHelloFor } from "./client-hello.ts";
import { proxyHeaderFor } from "./proxy-header.ts";
import { connectionSpread } from "./spread.ts";
import { Window, fill } from "./window.ts";

class RrConn {
  /** Bytes of the current echo received so far. */
  received = 0;
  sentAt = 0;
}

const win = new Window();
const latency = new Histogram();
let request = fill(64);
let completed = 0;
let errors = 0;

function send(socket: Socket<RrConn>, now: number): void {
  socket.data.sentAt = now;
  // A 64-byte write on an idle connection is never short; a failed one shows up as an error.
  if (socket.write(request) !== request.byteLength) errors++;
}

function onData(socket: Socket<RrConn>, chunk: Buffer): void {
  const c = socket.data;
  c.received += chunk.byteLength;
  if (c.received < request.byteLength) return;
  c.received = 0;
  const now = performance.now();
  if (win.measuring) {
    completed++;
    latency.recordUs((now - c.sentAt) * 1000);
  }
  if (!win.stopping) send(socket, now);
}

function onClose(_socket: Socket<RrConn>, err?: Error): void {
  if (!win.stopping && err !== undefined) errors++;
}

const handlers = { data: onData, close: onClose, error: onClose } satisfies SocketHandler<RrConn>;

export async function runRr(p: RrParams): Promise<LoadResult> {
  request = fill(p.requestBytes);
  const sockets: Socket<RrConn>[] = [];
  const header = proxyHeaderFor(p.proxyHeader, p.port);
  const hello = clientHelloFor(p.clientHello);
  for (let i = 0; i < p.connections; i++) {
    const s = await Bun.connect<RrConn>({ hostname: "127.0.0.1", port: p.port, data: new RrConn(), socket: handlers });
    if (header !== null) s.write(header);
    if (hello !== null) {
      s.write(hello);
      s.data.received = -hello.byteLength; // its echo comes back ahead of the first request's
    }
    sockets.push(s);
  }
  const now = performance.now();
  for (const s of sockets) send(s, now);
  const seconds = await win.run(p.warmupMs, p.durationMs, p.cpuPid);
  const spread = connectionSpread(p.port); // after the window: every connection has long been accepted
  for (const s of sockets) s.end();
  if (completed === 0) return { ok: false, error: `no request completed (${errors} errors)` };
  return {
    ok: true,
    metrics: {
      reqPerSec: completed / seconds,
      p50Us: latency.percentile(50),
      p99Us: latency.percentile(99),
      cpuUsPerOp: win.cpuUsPer(completed),
      ...(spread === null ? {} : { processes: spread.processes, minSharePct: spread.minSharePct }),
      errors,
    },
  };
}

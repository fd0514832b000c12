/**
 * pipelined: `connections` connections, each keeping `depth` requests of
 * `requestBytes` in flight. Every time whole echoes come back, that many new
 * requests go out in one write. Reports requests/s.
 */
import type { Socket, SocketHandler } from "bun";
import type { LoadResult, PipelinedParams } from "./params.ts";
import { clientHelloFor } from "./client-hello.ts";
import { proxyHeaderFor } from "./proxy-header.ts";
import { connectionSpread } from "./spread.ts";
import { Window, fill } from "./window.ts";

class PipeConn {
  /** Bytes received that do not yet make a whole echo. */
  partial = 0;
  /** Request bytes the socket did not take yet (sent on drain). */
  owed = 0;
}

const win = new Window();
let requestBytes = 64;
let batch = fill(64 * 16);
let completed = 0;
let errors = 0;

function write(socket: Socket<PipeConn>, n: number): void {
  const written = socket.write(batch.subarray(0, n));
  if (written < 0) errors++;
  else socket.data.owed = n - written;
}

function onData(socket: Socket<PipeConn>, chunk: Buffer): void {
  const c = socket.data;
  const bytes = c.partial + chunk.byteLength;
  if (bytes < 0) {
    c.partial = bytes; // still the ClientHello's echo
    return;
  }
  const done = Math.floor(bytes / requestBytes);
  c.partial = bytes - done * requestBytes;
  if (win.measuring) completed += done;
  if (done === 0 || win.stopping) return;
  const n = done * requestBytes + c.owed;
  write(socket, n);
}

function onDrain(socket: Socket<PipeConn>): void {
  const owed = socket.data.owed;
  if (owed > 0 && !win.stopping) write(socket, owed);
}

function onClose(_socket: Socket<PipeConn>, err?: Error): void {
  if (!win.stopping && err !== undefined) errors++;
}

const handlers = { data: onData, drain: onDrain, close: onClose, error: onClose } satisfies SocketHandler<PipeConn>;

export async function runPipelined(p: PipelinedParams): Promise<LoadResult> {
  requestBytes = p.requestBytes;
  batch = fill(p.requestBytes * p.depth);
  const sockets: Socket<PipeConn>[] = [];
  const header = proxyHeaderFor(p.proxyHeader, p.port);
  const hello = clientHelloFor(p.clientHello);
  for (let i = 0; i < p.connections; i++) {
    const s = await Bun.connect<PipeConn>({ hostname: "127.0.0.1", port: p.port, data: new PipeConn(), socket: handlers });
    if (header !== null) s.write(header);
    if (hello !== null) {
      s.write(hello);
      s.data.partial = -hello.byteLength; // its echo comes back first
    }
    sockets.push(s);
  }
  for (const s of sockets) write(s, batch.byteLength);
  const seconds = await win.run(p.warmupMs, p.durationMs, p.cpuPid);
  const spread = connectionSpread(p.port); // after the window: every connection has long been accepted
  for (const s of sockets) s.end();
  if (completed === 0) return { ok: false, error: `no request completed (${errors} errors)` };
  const metrics: Record<string, number> = { reqPerSec: completed / seconds, cpuUsPerOp: win.cpuUsPer(completed), errors };
  if (spread !== null) Object.assign(metrics, { processes: spread.processes, minSharePct: spread.minSharePct });
  return { ok: true, metrics };
}

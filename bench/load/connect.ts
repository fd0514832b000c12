/**
 * connect: `concurrency` loops of connect → send `requestBytes` → read the
 * echo → close → connect again. Reports completed connections/s. The client
 * closes first, so its side holds the TIME_WAIT entries; keep the window
 * short (loopback reuses TIME_WAIT ports with net.ipv4.tcp_tw_reuse=2, the
 * Linux default, but the ephemeral range is only ~28k ports).
 */
import type { Socket, SocketHandler } from "bun";
import type { ConnectParams, LoadResult } from "./params.ts";
import { clientHelloFor } from "./client-hello.ts";
import { proxyHeaderFor } from "./proxy-header.ts";
import { Window, fill } from "./window.ts";

/** Bytes of echo to skip before the request's: a ClientHello sent first comes back first. */
let skip = 0;

class ConnectConn {
  received = -skip;
  /** This connection has already started its successor (close must not start another). */
  done = false;
}

const win = new Window();
let port = 0;
let request = fill(64);
/** What each connection writes first: the request, behind a PROXY header for targets that need one. */
let first = request;
let completed = 0;
let errors = 0;
let inFlight = 0;

function ignore(): void {}

function launch(): void {
  if (win.stopping) return;
  inFlight++;
  Bun.connect<ConnectConn>({ hostname: "127.0.0.1", port, data: new ConnectConn(), socket: handlers }).catch(ignore);
}

function next(c: ConnectConn): void {
  if (c.done) return;
  c.done = true;
  inFlight--;
  launch();
}

function onOpen(socket: Socket<ConnectConn>): void {
  if (socket.write(first) !== first.byteLength) {
    errors++;
    next(socket.data);
    socket.end();
  }
}

function onData(socket: Socket<ConnectConn>, chunk: Buffer): void {
  const c = socket.data;
  c.received += chunk.byteLength;
  if (c.received < request.byteLength) return;
  if (win.measuring) completed++;
  next(c); // before end(): our own end() runs the close handler synchronously
  socket.end();
}

function onClose(socket: Socket<ConnectConn>, err?: Error): void {
  const c = socket.data;
  if (c.done) return;
  if (!win.stopping || err !== undefined) errors++; // closed before the echo came back
  next(c);
}

function onConnectError(socket: Socket<ConnectConn>): void {
  errors++;
  next(socket.data);
}

const handlers = {
  open: onOpen,
  data: onData,
  close: onClose,
  error: onClose,
  connectError: onConnectError,
} satisfies SocketHandler<ConnectConn>;

export async function runConnect(p: ConnectParams): Promise<LoadResult> {
  port = p.port;
  request = fill(p.requestBytes);
  const header = proxyHeaderFor(p.proxyHeader, p.port);
  const hello = clientHelloFor(p.clientHello);
  skip = hello?.byteLength ?? 0;
  first = Buffer.concat([header ?? new Uint8Array(0), hello ?? new Uint8Array(0), request]);
  for (let i = 0; i < p.concurrency; i++) launch();
  const seconds = await win.run(p.warmupMs, p.durationMs, p.cpuPid);
  // Let the connections in flight finish, so the proxy is not left with half-open sessions.
  const deadline = performance.now() + 2000;
  while (inFlight > 0 && performance.now() < deadline) await Bun.sleep(10);
  if (completed === 0) return { ok: false, error: `no connection completed (${errors} errors)` };
  return { ok: true, metrics: { connPerSec: completed / seconds, cpuUsPerOp: win.cpuUsPer(completed), errors } };
}

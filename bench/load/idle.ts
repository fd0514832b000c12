/**
 * idle: opens `connections` connections, sends one byte on each and waits for
 * its echo (so the proxy's backend leg exists and has carried data), then
 * prints `{"ready":N}` and holds them all idle until its stdin closes. The
 * bench measures the proxy's memory meanwhile.
 */
import type { Socket, SocketHandler } from "bun";
import type { IdleParams, LoadResult } from "./params.ts";
import { proxyHeaderFor } from "./proxy-header.ts";

const PING = new Uint8Array([0x78]);
/** What each connection writes first: the ping, behind a PROXY header for targets that need one. */
let first: Uint8Array = PING;

let port = 0;
let wanted = 0;
let launched = 0;
let ready = 0;
let errors = 0;
let onAllReady: (() => void) | null = null;
const sockets: Socket<null>[] = [];

function ignore(): void {}

function launch(): void {
  if (launched >= wanted) return;
  launched++;
  Bun.connect<null>({ hostname: "127.0.0.1", port, data: null, socket: handlers }).catch(ignore);
}

function settle(): void {
  if (ready + errors === wanted) onAllReady?.();
  else launch();
}

function onOpen(socket: Socket<null>): void {
  sockets.push(socket);
  socket.write(first);
}

function onData(): void {
  ready++;
  settle();
}

function onFail(): void {
  errors++;
  settle();
}

function onClose(_socket: Socket<null>, err?: Error): void {
  if (onAllReady !== null && err !== undefined) onFail();
}

const handlers = { open: onOpen, data: onData, close: onClose, error: onClose, connectError: onFail } satisfies SocketHandler<null>;

export async function runIdle(p: IdleParams): Promise<LoadResult> {
  port = p.port;
  const header = proxyHeaderFor(p.proxyHeader, p.port);
  if (header !== null) first = Buffer.concat([header, PING]);
  wanted = p.connections;
  const allReady = new Promise<void>((resolve) => {
    onAllReady = resolve;
  });
  const startedAt = performance.now();
  for (let i = 0; i < Math.min(p.concurrency, wanted); i++) launch();
  const timer = setTimeout(() => onAllReady?.(), p.timeoutMs);
  await allReady;
  onAllReady = null;
  clearTimeout(timer);
  const openMs = performance.now() - startedAt;
  if (ready < wanted) {
    for (const s of sockets) s.end();
    return { ok: false, error: `only ${ready} of ${wanted} connections echoed within ${p.timeoutMs} ms (${errors} errors)` };
  }
  process.stdout.write(`${JSON.stringify({ ready })}\n`);
  for await (const _ of Bun.stdin.stream()) {
    // held idle until the bench closes our stdin
  }
  for (const s of sockets) s.end();
  return { ok: true, metrics: { connections: ready, openMs } };
}

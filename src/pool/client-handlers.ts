import type { Socket, SocketHandler } from "bun";
import type { ListenerRuntime } from "../proxy/listener.ts";
import { PoolClient } from "./client.ts";
import { onRequestBytes } from "./intake.ts";
import { clientGone, closeClient, pauseReading, pump, resumePausedConns } from "./pump.ts";

/*
 * The client side of a pooled listener: admission, then bytes into the intake (intake.ts) and replies
 * out. A request is forwarded only once it is complete (or streamed, when too large to buffer), so a
 * half-sent or malformed request can never reach a connection another client uses next.
 */

/**
 * onClientOpen applies the listener's admission limits, as acceptClient does in tunnel mode: listener
 * full, address denied, too many clients from that address.
 */
function onClientOpen(socket: Socket<PoolClient>): void {
  const listener = socket.data as unknown as ListenerRuntime;
  const runtime = listener.pool!;
  const cfg = listener.config;
  const address = socket.remoteAddress;
  if (listener.liveCount >= cfg.maxConnections) {
    listener.counters.rejectedMaxConnections++;
    return reject(socket);
  }
  if (!listener.access.permits(address)) {
    listener.counters.rejectedDenied++;
    return reject(socket);
  }
  if (cfg.maxConnectionsPerClient > 0 && listener.clientCount(address) >= cfg.maxConnectionsPerClient) {
    listener.counters.rejectedPerClient++;
    return reject(socket);
  }
  const c = new PoolClient(listener.nextSessionId(), runtime, socket, address, socket.remotePort, performance.now());
  socket.data = c;
  runtime.clients.add(c);
  if (cfg.maxConnectionsPerClient > 0) c.countedPerClient = listener.addClient(address);
  listener.counters.sessionsTotal++;
  if (!cfg.noDelay) socket.setNoDelay(false);
  if (cfg.keepAliveMs > 0) socket.setKeepAlive(true, cfg.keepAliveMs);
}

function reject(socket: Socket<PoolClient>): void {
  (socket as Socket<unknown>).data = null;
  socket.end();
}

function onClientData(socket: Socket<PoolClient>, chunk: Buffer): void {
  const c = socket.data;
  if (c === null || c.state !== "open") return;
  const n = chunk.byteLength;
  c.bytesIn += n;
  c.runtime.listener.counters.bytesFromClients += n;
  onRequestBytes(c, chunk);
  if (c.closed) return;
  pump(c);
  if (!c.closed && !c.readPaused && c.outboxBytes >= c.runtime.listener.config.highWaterBytes) pauseReading(c);
}

function onClientDrain(socket: Socket<PoolClient>): void {
  const c = socket.data;
  if (c === null || c.closed || c.toClient.bytes === 0) return;
  const left = c.toClient.flushTo(socket);
  if (left < 0) return;
  // Below half the mark: the connections this client's slow reading held may read again.
  if (left < c.runtime.listener.config.highWaterBytes >> 1) resumePausedConns(c);
  if (left === 0 && (c.state === "draining" || c.runtime.draining)) pump(c);
}

/**
 * onClientEnd: the client sent FIN. A client that is gone is gone: requests it queued but warren has
 * not sent are dropped, never sent; a blocking command (or a half-streamed request) of its in flight
 * closes that connection at once, as Redis drops a blocked client on EOF; replies to requests already
 * sent are still delivered (half-close), then the client is closed.
 */
function onClientEnd(socket: Socket<PoolClient>): void {
  const c = socket.data;
  if (c === null || c.closed) return;
  c.state = "draining";
  if (c.waiting && c.pool !== null) c.pool.unwait(c);
  if (c.waitingPin && c.pool !== null) c.pool.unwaitPin(c);
  if (c.conn === null) c.pool = null;
  while (c.outbox.length > 0) {
    const item = c.outbox.peek()!;
    if (item.pieces !== null && item.registered) break; // half-written on its connection: closed below
    c.outbox.shift();
  }
  c.outboxBytes = 0;
  c.tail = null;
  c.partial.clear();
  c.runtime.stopWaitingForServerInfo(c);
  if (c.blockingInFlight > 0 || c.stream !== null || c.outbox.length > 0 || (c.conn !== null && c.conn.raw)) {
    closeClient(c);
    return;
  }
  pump(c);
}

function onClientClose(socket: Socket<PoolClient>): void {
  const c = socket.data;
  if (c === null) return;
  clientGone(c);
}

function onClientError(socket: Socket<PoolClient>, err: Error): void {
  const c = socket.data;
  if (c === null || c.closed) return;
  c.runtime.listener.log.error("internal error in pooled client handler", { error: String(err), stack: err.stack });
  c.endCode = "INTERNAL";
  c.endSide = "internal";
  closeClient(c);
}

export const poolClientHandlers = {
  open: onClientOpen,
  data: onClientData,
  drain: onClientDrain,
  end: onClientEnd,
  close: onClientClose,
  error: onClientError,
} satisfies SocketHandler<PoolClient>;

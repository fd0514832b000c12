import type { Socket, SocketHandler } from "bun";
import { INVALID, NEED_MORE } from "../framing/index.ts";
import type { PoolClient } from "./client.ts";
import { CONN_CLOSED, CONN_CONNECTING, CONN_OPEN, type PooledConn, setFlushHandler } from "./conn.ts";
import { failClient, pump, sendToClient } from "./pump.ts";

/*
 * The backend side of the pool: one socket per pooled connection, `data` is the
 * PooledConn. Replies are scanned frame by frame and routed by the connection's
 * FIFO; runs of replies for the same client go out as one subarray write.
 */

function onConnOpen(socket: Socket<PooledConn>): void {
  const conn = socket.data;
  if (conn.state !== CONN_CONNECTING) {
    socket.terminate(); // abandoned by the connect timeout or a close
    return;
  }
  if (conn.connectTimer !== null) clearTimeout(conn.connectTimer);
  conn.connectTimer = null;
  conn.socket = socket;
  conn.state = CONN_OPEN;
  const cfg = conn.pool.runtime.listener.config;
  if (!cfg.noDelay) socket.setNoDelay(false);
  if (cfg.keepAliveMs > 0) socket.setKeepAlive(true, cfg.keepAliveMs);
  conn.pool.onOpen(conn);
}

function onConnData(socket: Socket<PooledConn>, chunk: Buffer): void {
  const conn = socket.data;
  if (conn.state !== CONN_OPEN) return;
  conn.pool.backend.bytesFromBackend += chunk.byteLength;
  if (conn.raw) {
    if (conn.owner !== null) sendToClient(conn.owner, chunk, conn);
    return;
  }
  const end = chunk.byteLength;
  let from = 0;
  let i = 0;
  while (i < end) {
    const head = conn.fifo.peek();
    if (head === undefined) {
      connLost(conn, "unexpected data from backend", false);
      socket.terminate();
      return;
    }
    const r = conn.scanner.feed(chunk, i, end);
    if (r === NEED_MORE) {
      // The rest of this chunk is (part of) the head client's reply: forward it now, no copy.
      sendToClient(head.client, from === 0 ? chunk : chunk.subarray(from), conn);
      return;
    }
    if (r === INVALID) {
      if (from < i) sendToClient(head.client, chunk.subarray(from, i), conn);
      connLost(conn, "invalid reply from backend", false);
      socket.terminate();
      return;
    }
    i = r;
    const c = head.client;
    c.inFlight--;
    if (--head.count > 0) continue;
    conn.fifo.shift();
    sendToClient(c, chunk.subarray(from, i), conn);
    from = i;
    if (c.inFlight === 0 && !c.closed) pump(c);
    if (conn.state !== CONN_OPEN) return;
    if (conn.owner === null && conn.fifo.length === 0) conn.pool.onFree();
  }
  if (from < end) {
    const head = conn.fifo.peek();
    if (head !== undefined) sendToClient(head.client, chunk.subarray(from), conn);
  }
}

/** The backend took queued requests: flush, then let clients held by backpressure continue. */
function onConnDrain(socket: Socket<PooledConn>): void {
  flushConn(socket.data);
}

/** flushConn writes a connection's queued requests; once all are out, clients held by backpressure continue. */
function flushConn(conn: PooledConn): void {
  const socket = conn.socket;
  if (conn.state !== CONN_OPEN || socket === null || conn.toBackend.bytes === 0) return;
  if (conn.toBackend.flushTo(socket as never) !== 0) return;
  const blocked = conn.blocked;
  if (blocked.length === 0) return;
  conn.blocked = [];
  for (const c of blocked) if (!c.closed) pump(c);
}

function onConnClose(socket: Socket<PooledConn>, err?: Error): void {
  const conn = socket.data;
  connLost(conn, "backend connection lost", false, err);
}

function onConnEnd(socket: Socket<PooledConn>): void {
  // The backend will send nothing more: the connection is of no further use.
  connLost(socket.data, "backend connection lost", false);
  socket.terminate();
}

function onConnectError(socket: Socket<PooledConn>, err: Error): void {
  const conn = socket.data;
  if (conn.state !== CONN_CONNECTING) return; // already abandoned by the connect timeout
  conn.pool.runtime.listener.log.debug("pool connect failed", { backend: conn.pool.backend.key, error: String(err) });
  connLost(conn, "backend unavailable", false);
}

function onConnError(socket: Socket<PooledConn>, err: Error): void {
  const conn = socket.data;
  conn.pool.runtime.listener.log.error("internal error in pooled connection handler", { error: String(err), stack: err.stack });
  connLost(conn, "internal error", false);
  socket.terminate();
}

/**
 * connLost retires a connection that closed, failed to connect, or is being
 * closed on purpose: every client with replies outstanding on it (and its
 * owner) gets `-ERR warren: <reason>` and is closed, because its replies are
 * gone and nothing else may be delivered in their place.
 */
export function connLost(conn: PooledConn, reason: string, deliberate: boolean, _err?: Error): void {
  if (conn.state === CONN_CLOSED) return;
  const wasConnecting = conn.state === CONN_CONNECTING;
  conn.state = CONN_CLOSED;
  if (conn.connectTimer !== null) clearTimeout(conn.connectTimer);
  conn.connectTimer = null;
  const victims: PoolClient[] = [];
  if (conn.owner !== null) victims.push(conn.owner);
  while (conn.fifo.length > 0) {
    const entry = conn.fifo.shift()!;
    if (!victims.includes(entry.client)) victims.push(entry.client);
  }
  conn.owner = null;
  conn.fifoTail = null;
  conn.toBackend.clear();
  conn.blocked = [];
  conn.pool.onLost(conn, wasConnecting, deliberate, reason);
  for (const c of victims) if (c.conn === conn) failClient(c, reason);
}

setFlushHandler(flushConn);

export const connHandlers = {
  open: onConnOpen,
  data: onConnData,
  drain: onConnDrain,
  close: onConnClose,
  end: onConnEnd,
  error: onConnError,
  connectError: onConnectError,
} satisfies SocketHandler<PooledConn>;

import type { Socket, SocketHandler } from "bun";
import { endCodeOf, errorCode } from "../errors.ts";
import { INVALID, NEED_MORE } from "../framing/index.ts";
import { markDownNow } from "../health/passive.ts";
import { F_BLOCKING, F_ENDS_PIN, F_ERROR_ENDS, F_PUSH } from "./client.ts";
import { FifoEntry, moveConn, type PooledConn } from "./conn.ts";
import { flushConn } from "./backend-writes.ts";
import { noteStreamed } from "./bulk-gc.ts";
import { connLost } from "./conn-lifecycle.ts";
import { onReplyDone, sendToClient } from "./pump.ts";
import { decodeValue } from "./resp-values.ts";
import { legacyAuthRequest, readSetupReply, setupRequest } from "./setup.ts";

/*
 * The backend side of the pool: one socket per pooled connection, `data` is the PooledConn. Replies are
 * scanned frame by frame and routed by the connection's FIFO; runs of replies for the same client go out
 * as one subarray write.
 */

const MINUS = 0x2d; // - simple error
const BANG = 0x21; // ! blob error
const GT = 0x3e; // > RESP3 push
/** Longest setup reply warren reads (a HELLO reply is a few hundred bytes, more with modules). */
const MAX_SETUP_REPLY_BYTES = 64 * 1024;

function onConnOpen(socket: Socket<PooledConn>): void {
  const conn = socket.data;
  if (conn.state !== "connecting") {
    socket.terminate(); // abandoned by the connect timeout or a close
    return;
  }
  conn.socket = socket;
  conn.pool.backend.connectDuration.observe((performance.now() - conn.startedAt) / 1000);
  const cfg = conn.pool.runtime.listener.config;
  if (!cfg.noDelay) socket.setNoDelay(false);
  if (cfg.keepAliveMs > 0) socket.setKeepAlive(true, cfg.keepAliveMs);
  if (!conn.pool.runtime.resp) return ready(conn);
  // RESP: choose the protocol and authenticate before any client may use the connection.
  moveConn(conn, "setup");
  conn.fifo.push(new FifoEntry(null, 1, 0));
  socket.write(setupRequest(conn.proto, conn.pool.runtime.config.auth));
}

function ready(conn: PooledConn): void {
  if (conn.connectTimer !== null) clearTimeout(conn.connectTimer);
  conn.connectTimer = null;
  moveConn(conn, "ready");
  conn.progressAt = performance.now();
  conn.pool.onReady(conn);
}

/** onSetupData reads the reply to warren's own HELLO (or AUTH), then readies or refuses the connection. */
function onSetupData(conn: PooledConn, chunk: Buffer): void {
  const r = conn.scanner.feed(chunk, 0, chunk.byteLength);
  conn.setupReply.push(chunk);
  let size = 0;
  for (const part of conn.setupReply) size += part.byteLength;
  if (r === NEED_MORE && size <= MAX_SETUP_REPLY_BYTES) return;
  const legacy = conn.legacySetup;
  if (r === INVALID || r === NEED_MORE || r !== chunk.byteLength) {
    // Bytes after the setup reply, before any request: the server is not speaking our protocol.
    return failSetup(conn, "invalid reply to connection setup", false);
  }
  const whole = Buffer.concat(conn.setupReply, size);
  conn.setupReply = [];
  conn.fifo.shift();
  const outcome = readSetupReply(decodeValue(whole, 0)[0], legacy);
  const pool = conn.pool;
  const auth = pool.runtime.config.auth;
  if (outcome.kind === "no-hello") {
    // A server without HELLO (Redis 5) has only RESP2; authenticate the old way if there are credentials.
    if (conn.proto !== 2) return failSetup(conn, "backend has no HELLO: RESP3 needs Redis 6 or later", false);
    if (auth === null) return ready(conn);
    conn.legacySetup = true;
    conn.fifo.push(new FifoEntry(null, 1, 0));
    conn.socket?.write(legacyAuthRequest(auth));
    return;
  }
  if (outcome.kind === "failed") return failSetup(conn, outcome.reason, outcome.auth);
  if (outcome.info !== null) pool.serverInfo = outcome.info;
  ready(conn);
}

function failSetup(conn: PooledConn, reason: string, auth: boolean): void {
  const pool = conn.pool;
  const listener = pool.runtime.listener;
  if (auth) {
    // Wrong credentials do not fix themselves: take the backend out at once, with the reason.
    markDownNow(pool.backend, listener.config.health.passive, performance.now(), listener.log, { listener: listener.config.name }, reason);
  }
  listener.log.warn("pooled connection setup failed", { listener: listener.config.name, backend: pool.backend.key, reason });
  const socket = conn.socket;
  connLost(conn, "BACKEND_LOST", reason, false);
  socket?.terminate();
}

function onConnData(socket: Socket<PooledConn>, chunk: Buffer): void {
  const conn = socket.data;
  if (conn.state !== "ready") {
    if (conn.state === "setup") onSetupData(conn, chunk);
    return; // closing: QUIT's +OK, then Redis closes
  }
  const n = chunk.byteLength;
  conn.bytesIn += n;
  conn.pool.backend.bytesFromBackend += n;
  if (conn.raw) {
    if (conn.owner !== null) sendToClient(conn.owner, chunk, conn);
    return;
  }
  routeReplies(conn, chunk);
}

/**
 * routeReplies scans one chunk of replies and hands each to the client at the head of the FIFO. Bytes of
 * consecutive replies for one client are forwarded as one subarray; a reply cut by the chunk's end is
 * forwarded as far as it goes (replies of any size stream through, never buffered whole).
 */
function routeReplies(conn: PooledConn, chunk: Buffer): void {
  const end = chunk.byteLength;
  const scanner = conn.scanner;
  let from = 0; // the first byte not yet forwarded (it belongs to the head entry)
  let i = 0;
  while (i < end) {
    const head = conn.fifo.peek();
    if (head === undefined || head.client === null) {
      connLost(conn, "BACKEND_LOST", "unexpected data from backend", false);
      conn.socket?.terminate();
      return;
    }
    if (scanner.pending === 0) {
      const first = chunk[i]!;
      conn.frameFirst = first;
      // A RESP3 push no request of the head client asked for (e.g. a tracking invalidation redirected here
      // from elsewhere) is not a reply: counting it would shift every later reply by one. Drop it.
      if (first === GT && conn.proto === 3 && (head.flags & F_PUSH) === 0) {
        if (from < i) sendToClient(head.client, chunk.subarray(from, i), conn);
        conn.dropping = true;
      }
    }
    const r = scanner.feed(chunk, i, end);
    if (r === NEED_MORE) {
      if (!conn.dropping && from < end) sendToClient(head.client, from === 0 ? chunk : chunk.subarray(from), conn);
      // A reply larger than the high-water mark streams through: see bulk-gc.ts.
      if (scanner.pending > conn.pool.runtime.listener.config.highWaterBytes) noteStreamed(end - i);
      return;
    }
    if (r === INVALID) {
      if (!conn.dropping && from < i) sendToClient(head.client, chunk.subarray(from, i), conn);
      connLost(conn, "BACKEND_LOST", "invalid reply from backend", false);
      conn.socket?.terminate();
      return;
    }
    i = r;
    if (conn.dropping) {
      conn.dropping = false;
      from = r;
      continue;
    }
    const c = head.client;
    const error = conn.frameFirst === MINUS || conn.frameFirst === BANG;
    // UNSUBSCRIBE a b c answers once per channel, but a refused one (NOPERM, BUSY…) answers one error only.
    const replies = error && (head.flags & F_ERROR_ENDS) !== 0 && head.count === head.total ? head.count : 1;
    // An EXEC, DISCARD or UNWATCH that failed may have left the transaction or the watches in place.
    if (error && (head.flags & F_ENDS_PIN) !== 0) conn.retire = true;
    c.inFlight -= replies;
    head.count -= replies;
    if (head.count > 0) continue;
    conn.fifo.shift();
    if ((head.flags & F_BLOCKING) !== 0) {
      conn.blockingInFlight--;
      c.blockingInFlight--;
    }
    sendToClient(c, chunk.subarray(from, i), conn);
    from = i;
    onReplyDone(c, conn);
    if (conn.state !== "ready") return;
  }
  if (from < end && !conn.dropping) {
    const head = conn.fifo.peek();
    if (head !== undefined && head.client !== null) sendToClient(head.client, chunk.subarray(from), conn);
  }
}

/** The backend took queued requests: flush, then let clients held by backpressure continue. */
function onConnDrain(socket: Socket<PooledConn>): void {
  flushConn(socket.data);
}

function onConnClose(socket: Socket<PooledConn>, err?: Error): void {
  const conn = socket.data;
  connLost(
    conn,
    "BACKEND_LOST",
    err === undefined ? "backend connection lost" : `backend connection lost (${(err as { code?: string }).code ?? err.message})`,
    false,
  );
}

function onConnEnd(socket: Socket<PooledConn>): void {
  // The backend will send nothing more: the connection is of no further use.
  connLost(socket.data, "BACKEND_LOST", "backend connection lost", false);
  socket.terminate();
}

function onConnectError(socket: Socket<PooledConn>, err: Error): void {
  const conn = socket.data;
  if (conn.state !== "connecting") return; // already abandoned by the connect timeout
  conn.pool.runtime.listener.log.debug("pool connect failed", { backend: conn.pool.backend.key, error: String(err) });
  conn.failCode = endCodeOf(errorCode(err));
  connLost(conn, "BACKEND_LOST", "backend unavailable", false);
}

function onConnError(socket: Socket<PooledConn>, err: Error): void {
  const conn = socket.data;
  conn.pool.runtime.listener.log.error("internal error in pooled connection handler", { error: String(err), stack: err.stack });
  connLost(conn, "INTERNAL", "internal error", false);
  socket.terminate();
}

/** With a handshake handler, writes made in open are dropped (BUN-SOCKETS.md): a TLS connection starts in handshake. */
function onConnTlsOpen(socket: Socket<PooledConn>): void {
  if (socket.data.state !== "connecting") socket.terminate();
}

function onConnHandshake(socket: Socket<PooledConn>, success: boolean, err: Error | null): void {
  const conn = socket.data;
  if (conn.state !== "connecting") return void socket.terminate();
  const cfg = conn.pool.runtime.listener.config.backendTls;
  // Bun reports an unverified chain as success with authorized = false: verification is checked here.
  if (success && (cfg === null || !cfg.verify || socket.authorized)) return onConnOpen(socket);
  const why = err === null ? "not authorized" : ((err as { code?: string }).code ?? err.message);
  conn.pool.runtime.listener.log.debug("pool connect failed", { backend: conn.pool.backend.key, error: `TLS: ${why}` });
  conn.failCode = "TLS_VERIFY_FAILED";
  connLost(conn, "BACKEND_LOST", `backend TLS verification failed (${why})`, false);
  socket.terminate();
}

/** The handlers of pooled connections to backends with backendTls: the same, behind a verified handshake. */
export const connTlsHandlers = {
  open: onConnTlsOpen,
  handshake: onConnHandshake,
  data: onConnData,
  drain: onConnDrain,
  close: onConnClose,
  end: onConnEnd,
  error: onConnError,
  connectError: onConnectError,
} satisfies SocketHandler<PooledConn>;

export const connHandlers = {
  open: onConnOpen,
  data: onConnData,
  drain: onConnDrain,
  close: onConnClose,
  end: onConnEnd,
  error: onConnError,
  connectError: onConnectError,
} satisfies SocketHandler<PooledConn>;

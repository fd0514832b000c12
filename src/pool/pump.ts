import { destroyConn } from "./backend-pool.ts";
import type { Outgoing, PoolClient } from "./client.ts";
import type { PooledConn } from "./conn.ts";
import {
  PIN_LIFE,
  PIN_TXN,
  PIN_WATCH,
  RULE_BLOCKING,
  RULE_MULTI,
  RULE_PASS_THROUGH,
  RULE_PIN_LIFE,
  RULE_TXN_END,
  RULE_UNWATCH,
  RULE_WATCH,
} from "./resp-rules.ts";

/*
 * The request side of the pool: moving a client's outbox onto a connection in
 * order, binding and releasing, and the error paths. Everything here runs from
 * socket handlers and timers; nothing allocates per chunk beyond the outbox entries.
 */

/** Whether a request with this rule needs a connection no other client uses. */
function needsExclusive(rule: number): boolean {
  return rule === RULE_MULTI || rule === RULE_WATCH || rule === RULE_BLOCKING || rule === RULE_PIN_LIFE || rule === RULE_PASS_THROUGH;
}

/**
 * pump moves the client's outbox forward: local replies once every earlier
 * request is answered, requests onto the bound connection (binding one first,
 * exclusively when the mode or a pin needs it). It stops when the client must
 * wait (for replies, for a connection, or for the backend to drain).
 */
export function pump(c: PoolClient): void {
  pumpOutbox(c);
  if (c.runtime.draining) closeIfIdle(c);
}

function pumpOutbox(c: PoolClient): void {
  const multiplex = c.runtime.config.multiplex;
  while (!c.closed && c.outbox.length > 0) {
    const item = c.outbox.peek()!;
    if (item.local) {
      if (c.inFlight > 0) return; // emitted in order, after the replies before it
      c.outbox.shift();
      emitLocal(c, item);
      continue;
    }
    const exclusive = !multiplex || c.pin !== 0 || needsExclusive(item.rule);
    let conn = c.conn;
    if (conn !== null && conn.owner !== c && (exclusive || conn.pool.holdsBack(conn))) {
      // A pinning request on a shared connection, or a shared connection being drained for an exclusive
      // waiter: wait until this client's replies there are in, then move.
      if (c.inFlight > 0) return;
      unbind(c);
      conn = null;
    }
    if (conn === null) {
      if (c.waiting) return;
      const pool = c.pool ?? c.runtime.pick(c);
      if (pool === null) return;
      conn = pool.acquire(c, exclusive);
      if (conn === null) return;
    }
    if (conn.toBackend.bytes >= c.runtime.listener.config.highWaterBytes) {
      // The backend reads slower than clients write: hold this client until the connection drains.
      if (!conn.blocked.includes(c)) conn.blocked.push(c);
      return;
    }
    c.outbox.shift();
    c.outboxBytes -= item.bytes.byteLength;
    writeRequest(c, conn, item);
  }
  if (c.readPaused && c.outboxBytes < c.runtime.listener.config.highWaterBytes && !c.closed) {
    c.readPaused = false;
    c.socket.resume();
  }
  maybeRelease(c);
}

/**
 * closeIfIdle closes a client that has nothing in progress: no reply owed, no
 * request queued or half-read, no reply bytes waiting for it. A draining pool
 * (graceful shutdown, listener removed) calls it whenever a client may have
 * become idle, so clients get every reply they asked for and then leave.
 */
export function closeIfIdle(c: PoolClient): void {
  if (c.closed || c.inFlight > 0 || c.outbox.length > 0 || c.partialBytes > 0 || c.toClient.bytes > 0) return;
  closeClient(c);
}

/** writeRequest forwards requests and applies their effect on the client's pins. */
function writeRequest(c: PoolClient, conn: PooledConn, item: Outgoing): void {
  switch (item.rule) {
    case RULE_MULTI:
      c.pin |= PIN_TXN;
      break;
    case RULE_TXN_END:
      c.pin &= ~(PIN_TXN | PIN_WATCH);
      break;
    case RULE_WATCH:
      c.pin |= PIN_WATCH;
      break;
    case RULE_UNWATCH:
      c.pin &= ~PIN_WATCH;
      break;
    case RULE_PIN_LIFE:
      c.pin |= PIN_LIFE;
      break;
    case RULE_PASS_THROUGH:
      c.pin |= PIN_LIFE;
      break;
  }
  if (!conn.raw) {
    c.inFlight += item.count;
    conn.expect(c, item.count);
  }
  if (item.rule === RULE_PASS_THROUGH) {
    // From here on replies are pushes, not one per request: relay everything unframed to the
    // connection's only client (its earlier replies included), and stop counting.
    conn.raw = true;
    c.inFlight = 0;
    while (conn.fifo.length > 0) conn.fifo.shift();
    conn.fifoTail = null;
  }
  conn.pool.requests += item.count;
  conn.pool.backend.bytesToBackend += item.bytes.byteLength;
  conn.send(item.bytes);
}

/** maybeRelease returns the client's connection to the pool once nothing ties the client to it. */
export function maybeRelease(c: PoolClient): void {
  const conn = c.conn;
  if (conn === null || c.inFlight > 0 || c.pin !== 0 || conn.raw) return;
  if (c.outbox.length > 0 && !c.outbox.peek()!.local) return;
  unbind(c);
  conn.pool.onFree();
}

/** unbind detaches the client from its connection; an owned connection becomes free (or is closed if retired). */
function unbind(c: PoolClient): void {
  const conn = c.conn!;
  c.conn = null;
  c.pool = null;
  if (conn.owner === c) conn.owner = null;
  if (conn.pool.retired && conn.fifo.length === 0) destroyConn(conn);
}

/** emitLocal writes a reply made by warren (QUIT's +OK, an error) and closes the client if asked. */
function emitLocal(c: PoolClient, item: Outgoing): void {
  if (item.bytes.byteLength > 0) sendToClient(c, item.bytes);
  if (item.closeAfter) closeClient(c);
}

const encoder = new TextEncoder();

/** errorReply is the RESP error warren sends for its own failures. */
export function errorReply(reason: string): Uint8Array {
  return encoder.encode(`-ERR warren: ${reason}\r\n`);
}

/**
 * rejectQueued fails every request a client has not sent yet (it holds no
 * connection): with RESP each gets an error reply and the client stays; a
 * framer without an error form closes the client.
 */
export function rejectQueued(c: PoolClient, reason: string): void {
  c.runtime.countFailure(reason);
  if (!c.runtime.resp) {
    if (c.endCode === "ok") c.endCode = "POOL_REJECTED";
    closeClient(c);
    return;
  }
  const error = errorReply(reason);
  while (c.outbox.length > 0 && !c.closed) {
    const item = c.outbox.shift()!;
    if (item.local) {
      emitLocal(c, item);
      continue;
    }
    c.outboxBytes -= item.bytes.byteLength;
    for (let i = 0; i < item.count; i++) sendToClient(c, error);
  }
  c.tail = null;
  if (c.readPaused && !c.closed) {
    c.readPaused = false;
    c.socket.resume();
  }
  if (c.runtime.draining) closeIfIdle(c);
}

/** failClient ends a client whose connection failed under it: an error first (RESP), then close. */
export function failClient(c: PoolClient, reason: string): void {
  if (c.closed) return;
  c.runtime.countFailure(reason);
  if (c.endCode === "ok") c.endCode = "BACKEND_LOST";
  c.conn = null;
  c.inFlight = 0;
  if (c.runtime.resp) sendToClient(c, errorReply(reason));
  closeClient(c);
}

/** sendToClient writes reply bytes, queueing the rest; a slow client pauses the connection feeding it. */
export function sendToClient(c: PoolClient, bytes: Uint8Array, from: PooledConn | null = null): void {
  if (c.closed) return;
  c.runtime.bytesToClients += bytes.byteLength;
  c.bytesOut += bytes.byteLength;
  if (c.toClient.bytes > 0) c.toClient.push(bytes);
  else {
    const written = c.socket.write(bytes);
    if (written === bytes.byteLength || written < 0) return;
    c.toClient.push(written === 0 ? bytes : bytes.subarray(written));
  }
  if (from !== null && !from.paused && c.toClient.bytes >= c.runtime.listener.config.highWaterBytes && from.socket !== null) {
    // Pause instead of buffering: on a shared connection this holds everyone's replies, which is the price of n:1.
    from.paused = true;
    from.socket.pause();
    c.pausedConn = from;
  }
}

/** closeClient flushes nothing more and closes the client socket; clientGone does the bookkeeping. */
export function closeClient(c: PoolClient): void {
  if (c.closed) return;
  if (c.toClient.bytes > 0) c.toClient.flushTo(c.socket as never);
  c.socket.end();
  clientGone(c);
}

/**
 * clientGone releases what a departed client held. A connection it owned goes
 * back to the pool only if clean: with replies outstanding, a pin (MULTI,
 * WATCH, SELECT, ...) or in pass-through it is closed instead. On a shared
 * connection its outstanding replies are read and dropped.
 */
export function clientGone(c: PoolClient): void {
  if (c.closed) return;
  c.closed = true;
  if (c.waiting && c.pool !== null) c.pool.unwait(c);
  resumePausedConn(c);
  const conn = c.conn;
  c.conn = null;
  if (conn !== null && conn.owner === c) {
    if (c.inFlight > 0 || c.pin !== 0 || conn.raw) destroyConn(conn);
    else {
      conn.owner = null;
      conn.pool.onFree();
    }
  }
  c.runtime.onClientGone(c);
}

/** resumePausedConn resumes a connection this client's slow reading had paused. */
export function resumePausedConn(c: PoolClient): void {
  const conn = c.pausedConn;
  if (conn === null) return;
  c.pausedConn = null;
  conn.paused = false;
  conn.socket?.resume();
}

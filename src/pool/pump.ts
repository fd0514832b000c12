import type { EndCode, FailureCode } from "../errors.ts";
import { sendToConn } from "./backend-writes.ts";
import { F_BLOCKING, F_RETIRE, moveClient, type Outgoing, type PoolClient } from "./client.ts";
import type { PooledConn } from "./conn.ts";
import { destroyConn } from "./conn-lifecycle.ts";
import { helloReply, warrenError } from "./local-commands.ts";

/*
 * The request side of the pool: moving a client's outbox onto a connection in order, binding and
 * releasing, and the error paths. Everything here runs from socket handlers and timers; nothing
 * allocates per chunk beyond the outbox entries.
 */

/**
 * pump moves the client's outbox forward: local replies once every earlier reply is delivered, requests
 * onto the bound connection (binding one first, exclusively when the mode, a pin or the request needs
 * it). It stops when the client must wait (for replies, for a connection, or for the backend to drain).
 */
export function pump(c: PoolClient): void {
  pumpOutbox(c);
  if (c.closed) return;
  if (c.readPaused && c.state === "open" && heldBytes(c) < c.config.highWaterBytes) {
    c.readPaused = false;
    c.socket.resume();
  } else if (c.readPaused) holdOnConn(c); // still over: its connection's drain must come back to it
  // A paused socket hides the client's FIN, and a client that leaves with a blocking command outstanding
  // must be seen leaving: one that is paused (draining after QUIT too) when its blocking command goes
  // out is closed instead (pauseReading), as Redis drops a client over its query-buffer limit.
  if (c.readPaused && c.blockingInFlight > 0) pauseReading(c);
  else if (c.state === "draining" || c.runtime.draining) closeIfIdle(c);
}

/**
 * heldBytes is what this process holds of a client's requests: its outbox and, while it streams a large
 * request, what of it still waits on the connection's write queue. Counting both keeps a streaming
 * client to about highWaterBytes plus one read, not twice that (8 clients each streaming 200 MiB:
 * the live part was 8 × 2 × (highWaterBytes + one 512 KiB read) when only the outbox counted).
 */
export function heldBytes(c: PoolClient): number {
  const conn = c.stream !== null ? c.conn : null;
  return conn === null ? c.outboxBytes : c.outboxBytes + conn.toBackend.bytes;
}

/** holdClient pauses a client over its high-water mark; a streaming one is resumed by its connection's drain. */
export function holdClient(c: PoolClient): void {
  holdOnConn(c);
  pauseReading(c);
}

/** holdOnConn has a streaming client's connection pump it once its write queue has drained. */
function holdOnConn(c: PoolClient): void {
  const conn = c.stream !== null ? c.conn : null;
  if (conn !== null && conn.toBackend.bytes > 0 && !conn.blocked.includes(c)) conn.blocked.push(c);
}

/**
 * pauseReading stops reading a client whose queued requests cannot move, so it cannot grow this
 * process's memory. Not while a blocking command of its is outstanding, though: a paused socket shows
 * no FIN (Bun holds it until resume), and a client that left during BLPOP must be noticed at once (its
 * connection closed, so Redis does not pop an element for nobody). Redis itself keeps reading a blocked
 * client, up to its query-buffer limit, and then drops it; warren's limit is highWaterBytes.
 */
export function pauseReading(c: PoolClient): void {
  if (c.blockingInFlight > 0) {
    c.endCode = "QUERY_BUFFER_FULL";
    c.endSide = "client";
    closeClient(c);
    return;
  }
  if (c.readPaused) return;
  c.readPaused = true;
  c.socket.pause();
}

/**
 * needsOwn says whether `item` must go to a connection the client holds alone: always in exclusive
 * mode; in multiplexed mode while the client is pinned, when the request pins, and for requests that
 * need a connection of their own (blocking, retiring, streamed).
 */
function needsOwn(c: PoolClient, item: Outgoing): boolean {
  return !c.runtime.config.multiplex || c.pin !== 0 || item.pinAfter !== 0 || item.rawAfter || item.exclusive;
}

/** pinning says whether writing `item` makes the connection pinned (a pin that starts, or a blocking command). */
function pinning(c: PoolClient, item: Outgoing): boolean {
  return (c.pin === 0 && item.pinAfter !== 0) || item.rawAfter || (item.flags & F_BLOCKING) !== 0;
}

function pumpOutbox(c: PoolClient): void {
  const highWater = c.runtime.listener.config.highWaterBytes;
  while (!c.closed && c.outbox.length > 0) {
    const item = c.outbox.peek()!;
    if (item.isLocal) {
      if (c.inFlight > 0) return; // emitted in order, after the replies before it
      if (!emitLocal(c, item)) return;
      continue;
    }
    const own = needsOwn(c, item);
    let conn = c.conn;
    if (
      conn !== null &&
      (conn.proto !== item.proto ||
        conn.retire ||
        (own && conn.owner !== c) ||
        (conn.owner !== c && conn.pool.lane(conn.proto).reserved === conn))
    ) {
      // The request needs another connection: move once this client's replies on this one are in.
      if (c.inFlight > 0) return;
      unbind(c);
      conn = null;
    }
    const pins = pinning(c, item) && (conn === null || !conn.pinned);
    if (conn === null) {
      if (c.waiting || c.waitingPin) return;
      const pool = c.pool ?? c.runtime.pick(c);
      if (pool === null) return;
      if (pins) {
        const refused = pool.addressRefusal(c);
        if (refused !== null) {
          c.pool = null;
          if (c.inFlight > 0) return;
          refusePinnedWait(c, refused);
          return;
        }
        if (pool.pinRefusal(c) !== null) {
          // Over the backend's pin cap for now: wait for a pin to end, as a request waits for a connection.
          c.pool = pool;
          pool.waitForPin(c);
          return;
        }
      }
      conn = pool.acquire(c, own, item.proto);
      if (conn === null) return;
    }
    if (pins && !conn.pinned) {
      const pool = conn.pool;
      const refused = pool.addressRefusal(c);
      if (refused !== null || pool.pinRefusal(c) !== null) {
        if (c.inFlight > 0) return;
        unbind(c);
        if (refused !== null) {
          refusePinnedWait(c, refused);
          return;
        }
        c.pool = pool;
        pool.waitForPin(c);
        return;
      }
      pool.setPinned(conn, c);
    }
    if (conn.toBackend.bytes >= highWater) {
      // The backend reads slower than clients write: hold this client until the connection drains.
      if (!conn.blocked.includes(c)) conn.blocked.push(c);
      return;
    }
    if (item.pieces !== null) {
      if (!writeStream(c, conn, item)) return;
      continue;
    }
    c.outbox.shift();
    c.outboxBytes -= item.bytes.byteLength;
    writeRequest(c, conn, item);
  }
  maybeRelease(c);
}

/** writeRequest forwards one request and applies its effect on the client's pins and the connection. */
function writeRequest(c: PoolClient, conn: PooledConn, item: Outgoing): void {
  register(c, conn, item);
  const n = item.bytes.byteLength;
  c.bytesToBackend += n;
  conn.pool.backend.bytesToBackend += n;
  sendToConn(conn, item.bytes);
}

/** register records a request's replies in the connection's FIFO and its effects, before its bytes are sent. */
function register(c: PoolClient, conn: PooledConn, item: Outgoing): void {
  c.pin = item.pinAfter;
  if (item.rawAfter && !conn.raw) {
    // From here on replies are not one per request (pushes, MONITOR lines): relay everything unframed
    // to the connection's only client, its earlier replies included, and stop counting.
    conn.raw = true;
    c.inFlight = 0;
    while (conn.fifo.length > 0) conn.fifo.shift();
    conn.fifoTail = null;
  }
  if (!conn.raw && item.count > 0) {
    c.inFlight += item.count;
    conn.expect(c, item.count, item.flags);
    if ((item.flags & F_BLOCKING) !== 0) {
      conn.blockingInFlight++;
      c.blockingInFlight++;
    }
  }
  if ((item.flags & F_RETIRE) !== 0) conn.retire = true;
  conn.pool.requests += item.count;
}

/**
 * writeStream moves the pieces of a streamed request onto its connection as they arrive; returns true
 * once the whole request is written (the entry leaves the outbox), false while more is to come.
 */
function writeStream(c: PoolClient, conn: PooledConn, item: Outgoing): boolean {
  const pieces = item.pieces!;
  if (!item.registered) {
    item.registered = true;
    register(c, conn, item);
  }
  while (pieces.length > 0) {
    const piece = pieces.shift()!;
    c.outboxBytes -= piece.byteLength;
    c.bytesToBackend += piece.byteLength;
    conn.pool.backend.bytesToBackend += piece.byteLength;
    sendToConn(conn, piece);
    if (conn.toBackend.bytes >= c.runtime.listener.config.highWaterBytes && pieces.length > 0) {
      if (!conn.blocked.includes(c)) conn.blocked.push(c);
      return false;
    }
  }
  if (!item.complete) return false;
  c.outbox.shift();
  // Multiplexed: once the last byte is out, other clients may share the connection again.
  if (c.runtime.config.multiplex && c.pin === 0 && !conn.raw && conn.owner === c) {
    conn.owner = null;
  }
  return true;
}

/** onReplyDone: a reply entry of `c` completed on `conn`; the client moves on, the connection may be free. */
export function onReplyDone(c: PoolClient, conn: PooledConn): void {
  if (c.inFlight === 0 && !c.closed) pump(c);
  if (conn.state !== "ready") return;
  if (conn.fifo.length === 0) {
    if (conn.retire && conn.owner === null) {
      destroyConn(conn, "retired after a command that may have changed it");
      return;
    }
    if (conn.owner === null) conn.pool.onFree(conn.pool.lane(conn.proto));
  }
}

/** maybeRelease returns the client's connection to the pool once nothing ties the client to it. */
export function maybeRelease(c: PoolClient): void {
  const conn = c.conn;
  if (conn === null || c.inFlight > 0 || c.pin !== 0 || conn.raw || c.stream !== null) return;
  if (c.outbox.length > 0 && !c.outbox.peek()!.isLocal) return;
  unbind(c);
  if (conn.state === "ready") conn.pool.onFree(conn.pool.lane(conn.proto));
}

/** unbind detaches the client from its connection; an owned connection becomes free (or is closed if retired). */
function unbind(c: PoolClient): void {
  const conn = c.conn!;
  const pool = conn.pool;
  if (conn.owner === c) {
    pool.setPinned(conn, null);
    conn.owner = null;
  }
  c.conn = null;
  c.pool = null;
  if (conn.fifo.length === 0 && (conn.retire || pool.retired))
    destroyConn(conn, conn.retire ? "retired after a command that may have changed it" : "backend removed");
}

/**
 * refusePinnedWait answers a pinning request the caps refuse: at once for maxPinnedPerClient, after
 * queueTimeoutMs of waiting in vain for maxPinnedPerBackend. A pin
 * that would outlive the request (MULTI, WATCH, SELECT…, SUBSCRIBE) also ends the client: what it sends
 * next assumes the state it asked for. A blocking command is only refused and the client goes on.
 */
export function refusePinnedWait(c: PoolClient, why: string): void {
  c.pool = null;
  const item = c.outbox.shift();
  if (item === undefined) return;
  c.outboxBytes -= item.bytes.byteLength;
  noteFailure(c, "PIN_REFUSED");
  sendToClient(c, warrenError(why));
  if ((item.flags & F_BLOCKING) !== 0 && item.pinAfter === 0 && !item.rawAfter) {
    pump(c);
    return;
  }
  c.endCode = "PIN_REFUSED";
  c.endSide = "client";
  closeClient(c);
}

/** emitLocal writes a reply made by warren once the replies before it are in; false while it must wait. */
function emitLocal(c: PoolClient, item: Outgoing): boolean {
  let bytes = item.bytes;
  if (item.helloProto !== 0) {
    const info = c.runtime.serverInfo();
    if (info === null) {
      // Redis's HELLO reply carries the server's own facts: wait for a pooled connection to learn them.
      c.runtime.waitForServerInfo(c);
      return false;
    }
    bytes = helloReply(c, item.helloProto, info);
  }
  c.outbox.shift();
  if (item.resetsPins) dropPins(c);
  if (bytes.byteLength > 0) sendToClient(c, bytes);
  if (item.closeAfter) closeClient(c);
  return true;
}

/** dropPins ends the client's pins for RESET: its pinned connection holds state nobody may inherit. */
function dropPins(c: PoolClient): void {
  const conn = c.conn;
  const pinned = c.pin !== 0;
  c.pin = 0;
  if (conn === null) return;
  if (pinned || conn.raw) {
    c.conn = null;
    c.pool = null;
    destroyConn(conn, "client reset its connection state");
    return;
  }
  unbind(c);
}

/** noteFailure counts one failed request of `c` by code, for stats and the access log. */
export function noteFailure(c: PoolClient, code: FailureCode): void {
  c.failedRequests++;
  c.lastFailure = code;
  c.runtime.countFailure(code);
}

/**
 * rejectQueued fails every request a client has not sent yet (it holds no connection): with RESP each
 * gets an error reply and the client stays; a framer without an error form closes the client.
 */
export function rejectQueued(c: PoolClient, code: FailureCode & EndCode, reason: string): void {
  noteFailure(c, code);
  if (!c.runtime.resp) {
    if (c.endCode === "ok") {
      c.endCode = "POOL_REJECTED";
      c.endSide = "internal";
    }
    closeClient(c);
    return;
  }
  const error = warrenError(reason);
  while (c.outbox.length > 0 && !c.closed) {
    const item = c.outbox.peek()!;
    if (item.isLocal) {
      if (!emitLocal(c, item)) break;
      continue;
    }
    c.outbox.shift();
    c.outboxBytes -= item.bytes.byteLength;
    if (item.pieces !== null) {
      // A streamed request cannot be answered before its last byte: the client is closed after the error.
      sendToClient(c, error);
      c.endCode = code;
      c.endSide = "internal";
      closeClient(c);
      return;
    }
    for (let i = 0; i < item.count; i++) sendToClient(c, error);
  }
  c.tail = null;
  if (c.readPaused && !c.closed && c.state === "open") {
    c.readPaused = false;
    c.socket.resume();
  }
  if (c.state === "draining" || c.runtime.draining) closeIfIdle(c);
}

/** failClient ends a client whose connection failed under it: one error per reply owed (RESP), then close. */
export function failClient(c: PoolClient, code: "BACKEND_LOST" | "REPLY_TIMEOUT" | "INTERNAL", reason: string, owed: number): void {
  if (c.closed) return;
  noteFailure(c, code === "INTERNAL" ? "BACKEND_LOST" : code);
  if (c.endCode === "ok") {
    c.endCode = code;
    c.endSide = code === "REPLY_TIMEOUT" || code === "BACKEND_LOST" ? "backend" : "internal";
  }
  c.conn = null;
  c.pool = null;
  c.inFlight = 0;
  c.blockingInFlight = 0;
  if (c.runtime.resp) {
    const error = warrenError(reason);
    for (let i = 0; i < owed; i++) sendToClient(c, error);
  }
  closeClient(c);
}

/** sendToClient writes reply bytes, queueing the rest; a slow client pauses the connection feeding it. */
export function sendToClient(c: PoolClient, bytes: Uint8Array, from: PooledConn | null = null): void {
  if (c.closed) return;
  c.bytesOut += bytes.byteLength;
  if (from !== null) c.bytesFromBackend += bytes.byteLength;
  if (c.toClient.bytes > 0) c.toClient.push(bytes);
  else {
    const written = c.socket.write(bytes);
    if (written === bytes.byteLength || written < 0) return;
    c.toClient.push(written === 0 ? bytes : bytes.subarray(written));
  }
  if (from !== null && from.socket !== null && c.toClient.bytes >= c.config.highWaterBytes && !c.pausedConns.includes(from)) {
    pauseFor(c, from);
  }
}

/**
 * pauseFor pauses `conn` because `c` reads slower than the backend answers: pause instead of buffering,
 * so a slow client cannot grow this process's memory. On a shared connection this holds everyone's
 * replies behind the slow one, which is the price of n:1; so a paused connection counts toward the pin
 * caps like a pinned one (no pinning request is granted on its account), each client that paused it is
 * tracked, it resumes only once the last of them has drained or left, it is never handed to anyone
 * meanwhile, and a client that keeps one paused for replyTimeoutMs is closed (sweep.ts).
 */
function pauseFor(c: PoolClient, conn: PooledConn): void {
  if (conn.pausedBy === 0 && !conn.pinned) {
    conn.pool.paused++;
    conn.heldPaused = true;
  }
  if (c.pausedConns.length === 0) c.pausedSince = performance.now();
  c.pausedConns.push(conn);
  if (conn.pausedBy++ === 0) conn.socket?.pause();
}

/** resumePausedConns releases the connections this client's slow reading paused. */
export function resumePausedConns(c: PoolClient): void {
  const paused = c.pausedConns;
  if (paused.length === 0) return;
  c.pausedConns = [];
  for (const conn of paused) {
    if (--conn.pausedBy > 0) continue;
    if (conn.heldPaused) {
      conn.heldPaused = false;
      conn.pool.paused--;
    }
    if (conn.state === "closed") continue;
    conn.socket?.resume();
    if (conn.state === "ready" && conn.owner === null) conn.pool.onFree(conn.pool.lane(conn.proto));
  }
}

/** closeClient flushes what it can and closes the client socket; clientGone does the bookkeeping. */
export function closeClient(c: PoolClient): void {
  if (c.closed) return;
  if (c.toClient.bytes > 0) c.toClient.flushTo(c.socket);
  c.socket.end();
  clientGone(c);
}

/**
 * closeIfIdle closes a draining client that has nothing in progress: no reply owed, no request queued or
 * being streamed, no reply bytes waiting for it. A request not read whole yet has reached no backend and
 * is owed nothing (it may never complete: Redis never answers an inline line with a NUL), so it is dropped.
 */
export function closeIfIdle(c: PoolClient): void {
  // A subscriber (pass-through) owes and is owed nothing countable: it is idle between pushes.
  if (c.closed || c.inFlight > 0 || c.outbox.length > 0 || c.stream !== null || c.toClient.bytes > 0) return;
  closeClient(c);
}

/**
 * clientGone releases what a departed client held. A connection it owned goes back to the pool only if
 * clean: with replies outstanding, a pin (MULTI, WATCH, SELECT, ...), a blocking command, a half-written
 * request or in pass-through it is closed instead — its state is unknown or belongs to this client. On a
 * shared connection its outstanding replies are read and dropped.
 */
export function clientGone(c: PoolClient): void {
  if (c.closed) return;
  moveClient(c, "closed");
  if (c.waiting && c.pool !== null) c.pool.unwait(c);
  if (c.waitingPin && c.pool !== null) c.pool.unwaitPin(c);
  c.runtime.stopWaitingForServerInfo(c);
  resumePausedConns(c);
  const conn = c.conn;
  c.conn = null;
  if (conn !== null && conn.owner === c) {
    if (c.inFlight > 0 || c.pin !== 0 || conn.raw || c.stream !== null || conn.blockingInFlight > 0) {
      destroyConn(conn, "its client left with the connection in use");
    } else {
      conn.pool.setPinned(conn, null);
      conn.owner = null;
      if (conn.retire || conn.pool.retired) destroyConn(conn, "retired");
      else conn.pool.onFree(conn.pool.lane(conn.proto));
    }
  }
  c.stream = null;
  c.partial.clear();
  c.runtime.onClientGone(c);
}

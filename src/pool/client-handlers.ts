import type { Socket, SocketHandler } from "bun";
import { INVALID, NEED_MORE, respCommandName } from "../framing/index.ts";
import type { ListenerRuntime } from "../proxy/listener.ts";
import { Outgoing, PoolClient } from "./client.ts";
import { clientGone, closeClient, closeIfIdle, errorReply, pump, resumePausedConn } from "./pump.ts";
import { RULE_NONE, RULE_QUIT, RULE_REFUSE, clientReplyMode, mayHaveRule, respRule } from "./resp-rules.ts";

/*
 * The client side of a pooled listener. A request is forwarded only once it is
 * complete, so a half-sent or malformed request can never reach a connection
 * another client may use next. Complete requests that arrive back to back in
 * one chunk are merged into one subarray (one write, no copy).
 */

const OK = new TextEncoder().encode("+OK\r\n");
const EMPTY = new Uint8Array(0);

/**
 * onClientOpen applies the listener's admission limits, as acceptClient does in
 * tunnel mode: listener full, address denied, too many clients from that address.
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
  const c = new PoolClient(runtime, socket, address, performance.now());
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
  if (c === null || c.closed || c.stopReading) return;
  c.runtime.bytesFromClients += chunk.byteLength;
  c.bytesIn += chunk.byteLength;
  const end = chunk.byteLength;
  let start = 0;
  while (start < end) {
    const r = c.scanner.feed(chunk, start, end);
    if (r === NEED_MORE) {
      // Keep the piece (chunks may be kept); the request is forwarded when it completes.
      c.partial.push(start === 0 ? chunk : chunk.subarray(start));
      c.partialBytes += end - start;
      break;
    }
    if (r === INVALID) {
      malformed(c);
      break;
    }
    if (c.partialBytes === 0) addRequest(c, chunk, start, r);
    else {
      c.partial.push(chunk.subarray(start, r));
      const whole = Buffer.concat(c.partial, c.partialBytes + (r - start));
      c.partial = [];
      c.partialBytes = 0;
      addRequest(c, whole, 0, whole.byteLength);
    }
    start = r;
    if (c.stopReading) break;
  }
  pump(c);
  if (!c.closed && !c.readPaused && c.outboxBytes >= c.runtime.listener.config.highWaterBytes) {
    c.readPaused = true;
    socket.pause();
  }
}

/** addRequest queues one complete request buf[start, end), merging it into the previous one when possible. */
function addRequest(c: PoolClient, buf: Uint8Array, start: number, end: number): void {
  const name = c.runtime.resp && mayHaveRule(buf, start, end) ? respCommandName(buf, start, end) : null;
  const rule = respRule(name);
  if (rule === RULE_QUIT) {
    c.stopReading = true;
    push(c, new Outgoing(OK, 0, rule, true, true));
    return;
  }
  if (rule === RULE_REFUSE) {
    push(c, new Outgoing(errorReply(`${name ?? "this command"} is not supported in pooled mode`), 0, rule, true, false));
    return;
  }
  if (name === "CLIENT") {
    const mode = clientReplyMode(buf, start, end);
    if (mode !== null) {
      // Replies are routed by counting one per request: a backend that skips replies would break it.
      const reply = mode === "ON" ? OK : errorReply("CLIENT REPLY is not supported in pooled mode");
      push(c, new Outgoing(reply, 0, RULE_NONE, true, false));
      return;
    }
  }
  const tail = c.tail;
  if (
    rule === RULE_NONE &&
    tail !== null &&
    c.outbox.length > 0 &&
    tail.rule === RULE_NONE &&
    !tail.local &&
    tail.bytes.buffer === buf.buffer &&
    tail.bytes.byteOffset + tail.bytes.byteLength === buf.byteOffset + start
  ) {
    // Back-to-back requests in one chunk: one subarray, one write.
    tail.bytes = new Uint8Array(buf.buffer, tail.bytes.byteOffset, tail.bytes.byteLength + (end - start));
    tail.count++;
    c.outboxBytes += end - start;
    return;
  }
  c.outboxBytes += end - start;
  push(c, new Outgoing(start === 0 && end === buf.byteLength ? buf : buf.subarray(start, end), 1, rule, false, false));
}

function push(c: PoolClient, item: Outgoing): void {
  c.outbox.push(item);
  c.tail = item;
}

/** malformed: the client gets an error (RESP) after its earlier replies, then is closed; nothing of the bad request is forwarded. */
function malformed(c: PoolClient): void {
  c.stopReading = true;
  c.partial = [];
  c.partialBytes = 0;
  c.runtime.countFailure("malformed request");
  c.endCode = "MALFORMED_REQUEST"; // counted in the listener's errors, like any other failed session
  push(c, new Outgoing(c.runtime.resp ? errorReply("malformed request") : EMPTY, 0, RULE_NONE, true, true));
}

function onClientDrain(socket: Socket<PoolClient>): void {
  const c = socket.data;
  if (c === null || c.closed || c.toClient.bytes === 0) return;
  if (c.toClient.flushTo(socket as never) !== 0) return;
  resumePausedConn(c);
  if (c.runtime.draining) closeIfIdle(c);
}

function onClientEnd(socket: Socket<PoolClient>): void {
  // allowHalfOpen is on for the listener: a client that half-closes after its requests still gets its replies.
  const c = socket.data;
  if (c === null || c.closed) return;
  c.stopReading = true;
  push(c, new Outgoing(EMPTY, 0, RULE_NONE, true, true));
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

import type { Socket, SocketHandler } from "bun";
import { type ClientInfo, nextSessionId } from "../listener/listener.ts";
import { moveClient, PoolClient } from "./client.ts";
import { onRequestBytes } from "./intake.ts";
import { clientGone, closeClient, heldBytes, holdClient, pauseReading, pump, resumePausedConns } from "./pump.ts";
import { type PoolRuntime, poolOf } from "./runtime.ts";

/*
 * The client side of a pooled listener: admission, then bytes into the intake (intake.ts) and replies
 * out. A request is forwarded only once it is complete (or streamed, when too large to buffer), so a
 * half-sent or malformed request can never reach a connection another client uses next.
 */

/** onClientOpen: the listener core admits the client (limits, CIDR lists), then it joins the pool. */
function onClientOpen(socket: Socket<PoolClient>): void {
  const runtime = poolOf(socket);
  if (runtime === undefined) return void socket.end(); // accepted as its listener closed
  const info = runtime.listener.accept(socket);
  if (info !== null) startClient(socket, info, null);
}

/** startClient serves an admitted client; `early` holds bytes the preamble stage read past its header. */
export function startClient(
  socket: Socket<PoolClient>,
  info: ClientInfo,
  early: Uint8Array | null,
  runtime: PoolRuntime | undefined = poolOf(socket),
): void {
  if (runtime === undefined) return void socket.end();
  const c = new PoolClient(nextSessionId(), runtime, socket, info, runtime.listener.config, performance.now());
  socket.data = c;
  runtime.clients.add(c);
  if (early !== null && early.byteLength > 0) onClientData(socket, early);
}

function onClientData(socket: Socket<PoolClient>, chunk: Uint8Array): void {
  const c = socket.data;
  if (c === null || c.state !== "open") return;
  c.bytesIn += chunk.byteLength;
  onRequestBytes(c, chunk);
  if (c.closed) return;
  pump(c);
  if (!c.closed && !c.readPaused && heldBytes(c) >= c.config.highWaterBytes) holdClient(c);
}

function onClientDrain(socket: Socket<PoolClient>): void {
  const c = socket.data;
  if (c === null || c.closed || c.toClient.bytes === 0) return;
  const left = c.toClient.flushTo(socket);
  if (left < 0) return;
  // Below half the mark: the connections this client's slow reading held may read again.
  if (left < c.config.highWaterBytes >> 1) resumePausedConns(c);
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
  moveClient(c, "draining");
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
} satisfies SocketHandler<PoolClient | null>;

import type { PoolClient } from "./client.ts";
import { moveConn, type PooledConn } from "./conn.ts";
import { connHandlers, connTlsHandlers } from "./conn-handlers.ts";
import { backendTlsOf } from "../edge/tls-load.ts";
import { bunConnectTls } from "../edge/tls-context.ts";
import { failClient, pump, closeClient } from "./pump.ts";

/*
 * Opening and losing pooled connections. Every way a connection ends goes through connLost exactly once:
 * a failed or timed-out connect or setup, the backend closing or resetting it, an invalid reply, a reply
 * timeout, or warren closing it on purpose (dirty, retired, shutting down). A connection whose state is
 * unknown is closed, never reused.
 */

/** Swallows the rejection of a connect whose failure connectError already handled. */
function ignore(): void {}

/** connectPooled starts the TCP connect; connectTimeoutMs bounds connect and setup together. */
export function connectPooled(conn: PooledConn): void {
  const { host, port, unix } = conn.pool.backend.address;
  const cfg = conn.pool.runtime.listener.config;
  conn.connectTimer = setTimeout(onConnectTimeout, cfg.connectTimeoutMs, conn);
  // backendTls: the same connect over TLS (connect timeout covering the handshake); the connection is set up once it is verified.
  const secure =
    cfg.backendTls === null ? null : { tls: bunConnectTls(backendTlsOf(cfg.backendTls), unix === undefined ? host : undefined) };
  const socket = secure === null ? connHandlers : connTlsHandlers;
  if (unix !== undefined) Bun.connect<PooledConn>({ unix, data: conn, socket, ...secure }).catch(ignore);
  else Bun.connect<PooledConn>({ hostname: host, port, data: conn, socket, ...secure }).catch(ignore);
}

/** A connect (or setup, or QUIT) that takes longer than connectTimeoutMs is abandoned: terminated if it ever opens. */
function onConnectTimeout(conn: PooledConn): void {
  conn.connectTimer = null;
  if (conn.state !== "connecting" && conn.state !== "setup" && conn.state !== "closing") return;
  const socket = conn.socket;
  const why =
    conn.state === "closing"
      ? "backend did not close after QUIT"
      : conn.state === "setup"
        ? "backend setup timeout"
        : "backend connect timeout";
  conn.failCode = conn.state === "setup" ? "SETUP_TIMEOUT" : "CONNECT_TIMEOUT";
  connLost(conn, "BACKEND_LOST", why, conn.state === "closing");
  socket?.terminate();
}

const QUIT = new TextEncoder().encode("*1\r\n$4\r\nQUIT\r\n");

/**
 * quitConn closes an idle connection politely to make room for another: it asks Redis to QUIT and keeps
 * its place in the pool until Redis has closed it (Redis frees the client before the FIN reaches us), so
 * the backend never counts more than maxPerBackend connections from this pool, even for a moment.
 */
export function quitConn(conn: PooledConn): void {
  if (conn.state !== "ready" || conn.socket === null) return;
  moveConn(conn, "closing");
  conn.socket.write(QUIT);
  conn.connectTimer = setTimeout(onConnectTimeout, conn.pool.runtime.listener.config.connectTimeoutMs, conn);
}

/** destroyConn closes a connection on purpose (dirty, retired, or closing); clients still on it are failed. */
export function destroyConn(conn: PooledConn, reason: string): void {
  if (conn.state === "closed") return;
  const socket = conn.socket;
  connLost(conn, "BACKEND_LOST", reason, true);
  socket?.terminate();
}

/**
 * connLost retires a connection. Each client bound to it is then handled by what it is owed:
 * - replies outstanding: one `-ERR warren: <reason>` per reply owed (RESP), then closed — its replies are
 *   gone and nothing else may be delivered in their place;
 * - a pinned or pass-through client with nothing outstanding: closed with a plain EOF, as a direct
 *   connection to Redis would be (no unsolicited reply);
 * - nothing outstanding and nothing pinned: rebound elsewhere, it never notices.
 */
export function connLost(conn: PooledConn, code: "BACKEND_LOST" | "REPLY_TIMEOUT" | "INTERNAL", reason: string, deliberate: boolean): void {
  if (conn.state === "closed") return;
  const was = conn.state;
  const pool = conn.pool;
  moveConn(conn, "closed");
  if (conn.connectTimer !== null) clearTimeout(conn.connectTimer);
  conn.connectTimer = null;
  const victims: PoolClient[] = [];
  const owner = conn.owner;
  if (owner !== null) victims.push(owner);
  while (conn.fifo.length > 0) {
    const entry = conn.fifo.shift()!;
    if (entry.client !== null && !victims.includes(entry.client)) victims.push(entry.client);
  }
  pool.setPinned(conn, null);
  if (conn.heldPaused) {
    conn.heldPaused = false;
    pool.paused--;
  }
  conn.owner = null;
  conn.fifoTail = null;
  conn.toBackend.clear();
  conn.blocked = [];
  conn.setupReply = [];
  pool.onLost(conn, was, deliberate || was === "closing", reason);
  for (const c of victims) {
    if (c.conn !== conn || c.closed) continue;
    if (c.inFlight > 0 || c.stream !== null) {
      failClient(c, code, reason, Math.max(1, c.inFlight));
      continue;
    }
    const pinned = c.pin !== 0 || conn.raw;
    c.conn = null;
    c.pool = null;
    c.blockingInFlight = 0;
    if (pinned) {
      c.endCode = "BACKEND_LOST";
      c.endSide = "backend";
      closeClient(c);
    } else pump(c);
  }
}

import type { EndCode } from "../errors.ts";
import type { PoolRuntime } from "./runtime.ts";
import { connLost } from "./conn-lifecycle.ts";
import { closeClient } from "./pump.ts";

/**
 * sweepPool runs on the server's coarse sweep, as sweepTimeouts does for tunnel sessions, and costs the
 * data path nothing: each check compares byte totals with what the previous sweep saw.
 * - idleTimeoutMs / maxLifetimeMs: as for tunnel sessions (idle: no byte either way between the client
 *   and warren; a client blocked in BLPOP counts as idle, as a quiet tunnel session does);
 * - pinnedIdleTimeoutMs: a client holding a pinned connection with nothing outstanding, idle that long,
 *   is closed (plain EOF) so the connection goes back: pins are the scarce resource of a pool;
 * - replyTimeoutMs: a connection whose outstanding replies have not progressed that long is closed and
 *   its clients get an error (blocking commands and paused connections are exempt), and a slow reader
 *   that has kept connections paused that long is closed.
 */
export function sweepPool(runtime: PoolRuntime, now: number): void {
  const pool = runtime.config;
  for (const c of runtime.clients) {
    const cfg = c.config; // each client's own idle and lifetime limits: the ones it connected under
    if (cfg.maxLifetimeMs > 0 && now - c.startedAt >= cfg.maxLifetimeMs) {
      end(c, "LIFETIME_EXCEEDED");
      continue;
    }
    if (pool.replyTimeoutMs > 0 && c.pausedConns.length > 0 && now - c.pausedSince >= pool.replyTimeoutMs) {
      c.endCode = "SLOW_READER";
      c.endSide = "client";
      c.toClient.clear(); // what it did not read in all that time is dropped with it
      closeClient(c);
      continue;
    }
    const activity = c.bytesIn + c.bytesOut;
    if (activity !== c.lastActivity) {
      c.lastActivity = activity;
      c.idleSince = now;
      continue;
    }
    const idleMs = now - c.idleSince;
    if (cfg.idleTimeoutMs > 0 && idleMs >= cfg.idleTimeoutMs) {
      end(c, "IDLE_TIMEOUT");
      continue;
    }
    const conn = c.conn;
    if (
      pool.pinnedIdleTimeoutMs > 0 &&
      idleMs >= pool.pinnedIdleTimeoutMs &&
      conn !== null &&
      conn.owner === c &&
      c.pin !== 0 &&
      !conn.raw &&
      c.inFlight === 0 &&
      c.outbox.length === 0
    ) {
      end(c, "PINNED_IDLE_TIMEOUT");
    }
  }
  if (pool.replyTimeoutMs <= 0) return;
  for (const backendPool of runtime.pools.values()) {
    for (const conn of [...backendPool.conns()]) {
      if (conn.state !== "ready") continue;
      if (conn.bytesIn !== conn.sweptBytes || conn.fifo.length === 0 || conn.raw || conn.pausedBy > 0 || conn.blockingInFlight > 0) {
        conn.sweptBytes = conn.bytesIn;
        conn.progressAt = now;
        continue;
      }
      if (now - conn.progressAt < pool.replyTimeoutMs) continue;
      const socket = conn.socket;
      connLost(conn, "REPLY_TIMEOUT", `backend reply timeout after ${pool.replyTimeoutMs} ms`, false);
      socket?.terminate();
    }
  }
}

function end(c: Parameters<typeof closeClient>[0], code: EndCode): void {
  c.endCode = code;
  c.endSide = "internal";
  closeClient(c);
}

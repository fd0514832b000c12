import { Ring } from "../util/ring.ts";
import type { PoolClient } from "./client.ts";
import type { PooledConn } from "./conn.ts";

/**
 * Lane is the part of a backend's pool that speaks one RESP protocol version: its connections and the
 * clients waiting for one. A client that said `HELLO 3` is served only from the RESP3 lane, so replies
 * are always encoded as the client asked and the two are never mixed on one connection. Other framers
 * use lane 2 only. The lanes of a backend share its size limit and pin cap (BackendPool).
 */
export class Lane {
  readonly conns = new Set<PooledConn>();
  /** Connections connecting or in setup (not ready yet). */
  connecting = 0;
  readonly waiters = new Ring<PoolClient>();
  /** Live waiters (the queue may hold clients that left or were served). */
  waiting = 0;
  /**
   * Multiplexed lanes at the pool's size limit: the connection kept from new shared requests so it
   * drains and can be handed to a waiter that needs one of its own. Null when no such waiter is queued.
   */
  reserved: PooledConn | null = null;
  /** Live waiters whose request needs a connection of its own. */
  exclusiveWaiting = 0;
  /** The waiter serveWaiters is handing a connection to now (it may pass other exclusive waiters: it is first). */
  serving: PoolClient | null = null;

  constructor(readonly proto: number) {}

  /** takeExclusive returns a free connection (ready, unowned, nothing in flight, not paused), or null. */
  takeExclusive(): PooledConn | null {
    for (const conn of this.conns) if (conn.free) return conn;
    return null;
  }

  /**
   * takeShared returns the shareable connection with the fewest replies outstanding, or null. The
   * reserved connection is skipped while an exclusive waiter needs it.
   */
  takeShared(): PooledConn | null {
    const reserved = this.reserved;
    let best: PooledConn | null = null;
    for (const conn of this.conns) {
      if (!conn.shareable || conn === reserved) continue;
      if (best === null || conn.fifo.length < best.fifo.length) best = conn;
      if (conn.fifo.length === 0) break;
    }
    return best;
  }

  /**
   * reserveFor keeps an exclusive waiter from starving when the pool is at its limit and every
   * connection is shared: under sustained multiplexed load a connection's reply queue may never empty,
   * so the least-loaded shared connection stops taking new shared requests (takeShared skips it, and
   * clients bound to it move elsewhere once their replies are in) and is handed over, in queue order,
   * when it drains. Shared clients lose one connection's worth of capacity for that long, which is the
   * price of the exclusive request being served at all.
   */
  reserveFor(): void {
    if (this.reserved !== null && this.reserved.state === "ready") return;
    let best: PooledConn | null = null;
    for (const conn of this.conns) {
      if (!conn.shareable) continue;
      if (best === null || conn.fifo.length < best.fifo.length) best = conn;
    }
    this.reserved = best;
  }

  /** idleConn returns a ready connection nobody uses (to close when the other lane needs room), or null. */
  idleConn(): PooledConn | null {
    for (const conn of this.conns) if (conn.free) return conn;
    return null;
  }
}

import type { Backend } from "../balance/backend.ts";
import { noteConnectFailure, noteConnectSuccess } from "../health/passive.ts";
import { WaitQueue } from "../proxy/wait-queue.ts";
import type { PoolClient } from "./client.ts";
import { CONN_CLOSED, CONN_CONNECTING, CONN_OPEN, PooledConn } from "./conn.ts";
import { connHandlers, connLost } from "./conn-handlers.ts";
import { pump, rejectQueued } from "./pump.ts";
import type { PoolRuntime } from "./runtime.ts";

/** Longest pause between reconnect attempts while a backend refuses. */
const MAX_BACKOFF_MS = 2000;
const MIN_BACKOFF_MS = 50;

/** Swallows the rejection of a connect whose failure connectError already handled. */
function ignore(): void {}

/** BackendPoolStats is the live view of one backend's pool. */
export interface BackendPoolStats {
  address: string;
  /** Connections open or connecting. */
  size: number;
  connecting: number;
  /** Open connections bound to a client or with replies outstanding. */
  inUse: number;
  idle: number;
  /** Clients waiting for a connection now. */
  waiters: number;
  pinnedClients: number;
  waitsTotal: number;
  waitTimeMsTotal: number;
  waitTimeMsMax: number;
  queueTimeouts: number;
  queueFull: number;
  requests: number;
  connectFailures: number;
  connectionsOpened: number;
  connectionsLost: number;
}

/**
 * BackendPool holds the pooled connections to one backend (at most
 * maxPerBackend, at least minIdlePerBackend idle ones kept open) and the FIFO of
 * clients waiting for one. It has at most a handful of connections, so finding
 * a free one is a scan, not an index.
 */
export class BackendPool {
  readonly conns = new Set<PooledConn>();
  connecting = 0;
  readonly waiters = new WaitQueue<PoolClient>();
  /** Live waiters (the queue may hold clients that left or were served). */
  waiting = 0;
  /** No new bindings: the backend left the config (or the listener closed). */
  retired = false;
  backoffMs = 0;
  /**
   * Multiplexed pools at their size limit: the connection kept from new shared
   * requests so it drains and can be handed to a waiter that needs one of its
   * own (see reserveFor). Null when no exclusive waiter is queued.
   */
  reserved: PooledConn | null = null;
  /** Live waiters whose request needs an exclusive connection. */
  exclusiveWaiting = 0;
  /** The waiter serveWaiters is handing a connection to now (it may pass other exclusive waiters: it is first). */
  private serving: PoolClient | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  waitsTotal = 0;
  waitTimeMsTotal = 0;
  waitTimeMsMax = 0;
  queueTimeouts = 0;
  queueFull = 0;
  requests = 0;
  connectFailures = 0;
  connectionsOpened = 0;
  connectionsLost = 0;

  constructor(
    readonly runtime: PoolRuntime,
    readonly backend: Backend,
  ) {}

  /** takeExclusive returns a free connection (none in flight, unowned), or null. */
  takeExclusive(): PooledConn | null {
    for (const conn of this.conns) if (conn.free) return conn;
    return null;
  }

  /**
   * takeShared returns the open unowned connection with the fewest replies
   * outstanding, or null. The reserved connection is skipped while an exclusive
   * waiter needs it.
   */
  takeShared(): PooledConn | null {
    const reserved = this.reserved;
    let best: PooledConn | null = null;
    for (const conn of this.conns) {
      if (conn.state !== CONN_OPEN || conn.owner !== null || conn === reserved) continue;
      if (best === null || conn.fifo.length < best.fifo.length) best = conn;
      if (conn.fifo.length === 0) break;
    }
    return best;
  }

  /**
   * acquire binds `client` to a connection (exclusively when asked), or queues
   * it; returns the connection, or null when the client waits or was refused.
   */
  acquire(client: PoolClient, exclusive: boolean): PooledConn | null {
    // An exclusive request queues behind earlier exclusive waiters instead of taking the connection drained for them.
    const queueFirst = exclusive && this.exclusiveWaiting > 0 && this.serving !== client;
    const conn = queueFirst ? null : exclusive ? this.takeExclusive() : this.takeShared();
    if (conn !== null) {
      client.conn = conn;
      client.pool = this;
      if (exclusive) {
        conn.owner = client;
        if (conn === this.reserved) this.reserved = null;
      }
      // Multiplexed: a busy connection still serves now, but a spare one is opened for the next burst.
      else if (conn.fifo.length > 0 && this.conns.size < this.max) this.open();
      return conn;
    }
    const cfg = this.runtime.config;
    if (this.waiting >= cfg.queueSize) {
      this.queueFull++;
      rejectQueued(client, "pool queue full");
      return null;
    }
    client.pool = this;
    client.waiting = true;
    client.waitExclusive = exclusive;
    client.waitingSince = performance.now();
    this.waiters.push(client);
    this.waiting++;
    if (this.conns.size < this.max && this.connecting < this.waiting) this.open();
    else if (exclusive) this.reserveFor();
    if (exclusive) this.exclusiveWaiting++;
    return null;
  }

  /**
   * reserveFor keeps an exclusive waiter from starving when the pool is at its
   * limit and every connection is shared: under sustained multiplexed load a
   * connection's reply queue may never empty, so the least-loaded shared
   * connection stops taking new shared requests (takeShared skips it, and
   * clients bound to it move elsewhere once their replies are in, see pump)
   * and is handed over, in queue order, when it drains. Shared clients lose
   * one connection's worth of capacity for that long, which is the price of
   * the exclusive request being served at all.
   */
  private reserveFor(): void {
    if (this.reserved !== null && this.reserved.state === CONN_OPEN) return;
    this.reserved = null;
    let best: PooledConn | null = null;
    for (const conn of this.conns) {
      if (conn.state !== CONN_OPEN || conn.owner !== null) continue;
      if (best === null || conn.fifo.length < best.fifo.length) best = conn;
    }
    this.reserved = best;
  }

  /** Whether `conn` is being drained for an exclusive waiter: no new shared requests may go to it. */
  holdsBack(conn: PooledConn): boolean {
    return conn === this.reserved;
  }

  /** The pool's size limit: maxPerBackend, or the backend's own maxConnections when that is lower. */
  get max(): number {
    const perBackend = this.runtime.config.maxPerBackend;
    const cap = this.backend.maxConnections;
    return cap > 0 && cap < perBackend ? cap : perBackend;
  }

  /** serveWaiters hands free connections to queued clients, in arrival order. */
  serveWaiters(): void {
    while (this.waiters.length > 0) {
      const c = this.waiters.peek()!;
      if (c.closed || !c.waiting) {
        this.waiters.shift();
        continue;
      }
      const available = c.waitExclusive ? this.takeExclusive() !== null : this.takeShared() !== null;
      if (!available) {
        // A connection opened for this waiter may have gone to shared requests meanwhile.
        if (c.waitExclusive && this.conns.size >= this.max) this.reserveFor();
        return;
      }
      this.waiters.shift();
      this.unwait(c);
      this.serving = c;
      pump(c);
      this.serving = null;
      if (c.waiting) return; // it queued again: nothing was really free
    }
  }

  /** unwait takes a client out of the waiting count and records how long it waited. */
  unwait(c: PoolClient): void {
    c.waiting = false;
    this.waiting--;
    if (c.waitExclusive && --this.exclusiveWaiting === 0) this.reserved = null;
    const waitedMs = performance.now() - c.waitingSince;
    this.waitsTotal++;
    this.waitTimeMsTotal += waitedMs;
    if (waitedMs > this.waitTimeMsMax) this.waitTimeMsMax = waitedMs;
  }

  /** expireWaiters fails the requests of clients that waited longer than queueTimeoutMs. */
  expireWaiters(now: number): void {
    const timeoutMs = this.runtime.config.queueTimeoutMs;
    while (this.waiters.length > 0) {
      const c = this.waiters.peek()!;
      if (c.closed || !c.waiting) {
        this.waiters.shift();
        continue;
      }
      if (now - c.waitingSince < timeoutMs) return;
      this.waiters.shift();
      this.unwait(c);
      this.queueTimeouts++;
      this.runtime.queueTimeouts++;
      c.pool = null;
      rejectQueued(c, `pool queue timeout after ${timeoutMs} ms`);
    }
  }

  /** open starts one more connection. */
  open(): void {
    if (this.retired || this.runtime.closing) return;
    const conn = new PooledConn(this);
    this.conns.add(conn);
    this.connecting++;
    // Backend.active counts pooled connections open or connecting: what the backend sees, as in tunnel mode.
    this.backend.active++;
    const { host, port } = this.backend.address;
    conn.connectTimer = setTimeout(onConnectTimeout, this.runtime.listener.config.connectTimeoutMs, conn);
    Bun.connect<PooledConn>({ hostname: host, port, data: conn, socket: connHandlers }).catch(ignore);
  }

  /** onOpen: a connection is ready; it serves waiters first, else stays idle. */
  onOpen(_conn: PooledConn): void {
    this.connecting--;
    this.connectionsOpened++;
    this.backoffMs = 0;
    noteConnectSuccess(this.backend);
    this.runtime.listener.noteBackendAvailable();
    this.onFree();
  }

  /** onFree: a connection may be free for someone: serve waiters, then keep the idle count right. */
  onFree(): void {
    this.serveWaiters();
    this.replenish();
  }

  /**
   * onLost: a connection closed or failed to connect. A refused connect with no
   * other connection alive fails the waiters at once (the backend is down:
   * waiting the queue timeout would help nobody); reconnects back off.
   */
  onLost(conn: PooledConn, wasConnecting: boolean, deliberate: boolean, reason: string): void {
    this.conns.delete(conn);
    this.backend.active--;
    if (this.reserved === conn) this.reserved = null;
    if (deliberate) {
      if (wasConnecting) this.connecting--;
    } else if (wasConnecting) {
      this.connecting--;
      this.connectFailures++;
      // Passive health, as for tunnel connects: enough failures in a row take the backend out of rotation.
      const listener = this.runtime.listener;
      const health = listener.config.health.passive;
      noteConnectFailure(this.backend, health, performance.now(), listener.log, { listener: listener.config.name }, reason);
      this.backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(MIN_BACKOFF_MS, this.backoffMs * 2));
      if (this.connecting === 0 && this.openCount() === 0) this.failWaiters("backend unavailable");
    } else {
      this.connectionsLost++;
    }
    if (this.retired || this.runtime.closing) return;
    if (this.waiting > 0 && this.conns.size < this.max && this.backoffMs === 0) this.open();
    this.scheduleReplenish();
  }

  openCount(): number {
    let n = 0;
    for (const conn of this.conns) if (conn.state === CONN_OPEN) n++;
    return n;
  }

  private failWaiters(reason: string): void {
    while (this.waiters.length > 0) {
      const c = this.waiters.shift()!;
      if (c.closed || !c.waiting) continue;
      this.unwait(c);
      c.pool = null;
      rejectQueued(c, reason);
    }
  }

  /** replenish opens connections until minIdlePerBackend are idle or connecting (now, or after the backoff). */
  replenish(): void {
    if (this.retired || this.runtime.closing || this.retryTimer !== null) return;
    let spare = this.connecting;
    for (const conn of this.conns) if (conn.free) spare++;
    const want = Math.min(this.runtime.config.minIdlePerBackend - spare, this.max - this.conns.size);
    for (let i = 0; i < want; i++) this.open();
  }

  private scheduleReplenish(): void {
    if (this.retryTimer !== null) return;
    if (this.backoffMs === 0) {
      this.replenish();
      return;
    }
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.replenish();
      if (this.waiting > 0 && this.conns.size < this.max && this.connecting === 0) this.open();
    }, this.backoffMs);
  }

  /** close ends every connection of this pool (the listener is closing or the backend was removed). */
  close(): void {
    this.retired = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.failWaiters("listener closing");
    for (const conn of [...this.conns]) destroyConn(conn);
  }

  /** retireIdle closes the connections nobody uses; used ones close when released. */
  retireIdle(): void {
    this.retired = true;
    for (const conn of [...this.conns]) if (conn.free || conn.state === CONN_CONNECTING) destroyConn(conn);
  }

  stats(pinnedClients: number): BackendPoolStats {
    let idle = 0;
    let inUse = 0;
    for (const conn of this.conns) {
      if (conn.free) idle++;
      else if (conn.state === CONN_OPEN) inUse++;
    }
    return {
      address: this.backend.key,
      size: this.conns.size,
      connecting: this.connecting,
      inUse,
      idle,
      waiters: this.waiting,
      pinnedClients,
      waitsTotal: this.waitsTotal,
      waitTimeMsTotal: Math.round(this.waitTimeMsTotal),
      waitTimeMsMax: Math.round(this.waitTimeMsMax),
      queueTimeouts: this.queueTimeouts,
      queueFull: this.queueFull,
      requests: this.requests,
      connectFailures: this.connectFailures,
      connectionsOpened: this.connectionsOpened,
      connectionsLost: this.connectionsLost,
    };
  }
}

/** A connect that takes longer than connectTimeoutMs is abandoned: terminated if it ever opens. */
function onConnectTimeout(conn: PooledConn): void {
  conn.connectTimer = null;
  if (conn.state !== CONN_CONNECTING) return;
  connLost(conn, "backend connect timeout", false);
}

/** destroyConn closes a connection on purpose (dirty, retired, or closing); clients still on it are failed. */
export function destroyConn(conn: PooledConn): void {
  if (conn.state === CONN_CLOSED) return;
  const socket = conn.socket;
  connLost(conn, "backend connection closed", true);
  socket?.terminate();
}

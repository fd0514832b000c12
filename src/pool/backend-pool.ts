import type { Backend } from "../balance/backend.ts";
import { endCooldown, noteConnectFailure, noteConnectSuccess } from "../health/passive.ts";
import type { BackendPoolStats } from "../stats.ts";
import type { PoolClient } from "./client.ts";
import { type ConnState, PooledConn } from "./conn.ts";
import { Lane } from "./lane.ts";
import { pump, refusePinnedWait, rejectQueued } from "./pump.ts";
import { Ring } from "../util/ring.ts";
import { Histogram, POOL_WAIT_BUCKETS } from "../metrics/histogram.ts";
import type { PoolRuntime } from "./runtime.ts";
import type { ServerInfo } from "./setup.ts";
import { connectPooled, destroyConn, quitConn } from "./conn-lifecycle.ts";

/** Longest pause between reconnect attempts while a backend refuses. */
const MAX_BACKOFF_MS = 2000;
const MIN_BACKOFF_MS = 50;

/**
 * BackendPool holds the pooled connections to one backend — at most maxPerBackend in all, of which at
 * most maxPinnedPerBackend pinned to a client, at least minIdlePerBackend idle RESP2 ones kept open —
 * in one Lane per RESP protocol version, each with the FIFO of clients waiting for one. It has at most a
 * handful of connections, so finding one is a scan, not an index.
 */
export class BackendPool {
  readonly lanes: readonly [Lane, Lane] = [new Lane(2), new Lane(3)];
  /** Connections pinned to a client now (counted by setPinned). */
  pinned = 0;
  /** Connections paused by slow readers that are not pinned: they count toward maxPinnedPerBackend too. */
  paused = 0;
  /** Idle connections told to QUIT to make room for the other lane, not closed yet. */
  private makingRoom = 0;
  /** Clients whose pinning request waits for the caps to allow it, in arrival order. */
  readonly pinWaiters = new Ring<PoolClient>();
  private pinWaiting = 0;
  private servingPins = false;
  /** No new bindings: the backend left the config (or the listener closed). */
  retired = false;
  backoffMs = 0;
  /** What the backend said about itself in its HELLO reply, for answering clients' HELLO. */
  serverInfo: ServerInfo | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  waitsTotal = 0;
  waitTimeMsTotal = 0;
  waitTimeMsMax = 0;
  queueTimeouts = 0;
  queueFull = 0;
  pinRefused = 0;
  requests = 0;
  connectFailures = 0;
  connectionsOpened = 0;
  connectionsLost = 0;
  /** Waits for a connection by duration in seconds, observed once per wait (unwait). */
  readonly waitDuration = new Histogram(POOL_WAIT_BUCKETS);

  constructor(
    readonly runtime: PoolRuntime,
    readonly backend: Backend,
  ) {}

  lane(proto: number): Lane {
    return proto === 3 ? this.lanes[1] : this.lanes[0];
  }

  /** Connections open or connecting, both lanes. */
  get size(): number {
    return this.lanes[0].conns.size + this.lanes[1].conns.size;
  }

  /** Clients waiting, both lanes and the pin queue. */
  get waiting(): number {
    return this.lanes[0].waiting + this.lanes[1].waiting + this.pinWaiting;
  }

  /** The pool's size limit: maxPerBackend, or the backend's own maxConnections when that is lower. */
  get max(): number {
    const perBackend = this.runtime.config.maxPerBackend;
    const cap = this.backend.maxConnections;
    return cap > 0 && cap < perBackend ? cap : perBackend;
  }

  /**
   * pinRefusal says why `client` may not pin one more connection here, or null when it may: the
   * backend's pinned connections are at maxPinnedPerBackend (at least one stays for shared traffic), or
   * its address holds maxPinnedPerClient.
   */
  pinRefusal(client: PoolClient): string | null {
    const cfg = this.runtime.config;
    if (this.pinned + this.paused >= cfg.maxPinnedPerBackend)
      return `too many pinned connections (maxPinnedPerBackend = ${cfg.maxPinnedPerBackend})`;
    return null;
  }

  /**
   * addressRefusal says why `client`'s address may not pin one more connection (maxPinnedPerClient), or
   * null. Unlike the backend's cap, this one is answered at once: it exists to stop one address from
   * hoarding pins, so making it wait would only let it queue more.
   */
  addressRefusal(client: PoolClient): string | null {
    const cfg = this.runtime.config;
    if (cfg.maxPinnedPerClient > 0 && this.runtime.pinnedBy(client.address) >= cfg.maxPinnedPerClient) {
      return `too many pinned connections for this client address (maxPinnedPerClient = ${cfg.maxPinnedPerClient})`;
    }
    return null;
  }

  /** setPinned counts `conn` as pinned to `client` (or no longer pinned, with null), once per change. */
  setPinned(conn: PooledConn, client: PoolClient | null): void {
    if (client !== null) {
      if (conn.pinned) return;
      conn.pinned = true;
      this.pinned++;
      if (conn.heldPaused) {
        conn.heldPaused = false; // counted once, as pinned
        this.paused--;
      }
      client.pinnedHeld++;
      this.runtime.addPinned(client.address);
      return;
    }
    if (!conn.pinned) return;
    conn.pinned = false;
    this.pinned--;
    if (conn.pausedBy > 0 && conn.state !== "closed") {
      conn.heldPaused = true; // still held by a slow reader
      this.paused++;
    }
    const holder = conn.owner;
    if (holder !== null) {
      holder.pinnedHeld--;
      this.runtime.removePinned(holder.address);
    }
    // Served after the current handler: a pin frees inside unbinds and losses that are not done yet.
    if (this.pinWaiting > 0 && !this.servingPins) {
      this.servingPins = true;
      queueMicrotask(() => this.servePinWaiters());
    }
  }

  /**
   * waitForPin queues a client whose pinning request the caps refuse for now: pins end (transactions
   * finish, blocking commands return, clients leave), and a transaction should wait its turn, like any
   * request waits for a connection, rather than fail. It fails with the cap's reason after queueTimeoutMs.
   */
  waitForPin(c: PoolClient): void {
    if (c.waitingPin) return;
    c.waitingPin = true;
    c.waitingSince = performance.now();
    this.pinWaiters.push(c);
    this.pinWaiting++;
  }

  /** unwaitPin takes a client out of the pin queue (served, expired, or gone). */
  unwaitPin(c: PoolClient): void {
    if (!c.waitingPin) return;
    c.waitingPin = false;
    this.pinWaiting--;
  }

  /** servePinWaiters lets queued pinning requests go on, in arrival order, while the caps allow. */
  private servePinWaiters(): void {
    this.servingPins = false;
    const q = this.pinWaiters;
    let passes = q.length;
    while (q.length > 0 && passes-- > 0) {
      const c = q.shift()!;
      if (c.closed || !c.waitingPin) continue;
      if (this.pinRefusal(c) !== null) {
        q.push(c); // its address is at maxPinnedPerClient, or the backend is full again: keep its place
        if (this.pinned + this.paused >= this.runtime.config.maxPinnedPerBackend) break;
        continue;
      }
      this.unwaitPin(c);
      pump(c);
    }
  }

  /**
   * acquire binds `client` to a connection of protocol `proto` (exclusively when asked), or queues it;
   * returns the connection, or null when the client waits or was refused.
   */
  acquire(client: PoolClient, exclusive: boolean, proto: number): PooledConn | null {
    const lane = this.lane(proto);
    // An exclusive request queues behind earlier exclusive waiters instead of taking the connection drained for them.
    const queueFirst = exclusive && lane.exclusiveWaiting > 0 && lane.serving !== client;
    const conn = queueFirst ? null : exclusive ? lane.takeExclusive() : lane.takeShared();
    if (conn !== null) {
      client.conn = conn;
      client.pool = this;
      client.lastBackend = this.backend.key;
      if (exclusive) {
        conn.owner = client;
        if (conn === lane.reserved) lane.reserved = null;
      }
      // Multiplexed: a busy connection still serves now, but a spare one is opened for the next burst.
      else if (conn.fifo.length > 0) this.grow(lane);
      return conn;
    }
    if (this.waiting >= this.runtime.config.queueSize) {
      this.queueFull++;
      rejectQueued(client, "QUEUE_FULL", "pool queue full");
      return null;
    }
    client.pool = this;
    client.waiting = true;
    client.waitExclusive = exclusive;
    client.waitProto = lane.proto;
    client.waitingSince = performance.now();
    lane.waiters.push(client);
    lane.waiting++;
    if (exclusive) lane.exclusiveWaiting++;
    const opened = lane.connecting < lane.waiting && this.grow(lane);
    if (!opened && exclusive) lane.reserveFor();
    return null;
  }

  /**
   * grow opens one more connection in `lane` if the pool has room, making room by closing an idle
   * connection of the other lane when it is full; returns whether one was opened.
   */
  private grow(lane: Lane): boolean {
    if (this.retired || this.runtime.closing) return false;
    if (this.size >= this.max) {
      // Full: an idle connection of the other protocol makes room, once Redis has closed it (onLost).
      if (this.makingRoom > 0) return false;
      const other = lane === this.lanes[0] ? this.lanes[1] : this.lanes[0];
      const idle = other.idleConn();
      if (idle === null) return false;
      this.makingRoom++;
      quitConn(idle);
      return false;
    }
    this.open(lane);
    return true;
  }

  /** serveWaiters hands connections to a lane's queued clients, in arrival order. */
  serveWaiters(lane: Lane): void {
    while (lane.waiters.length > 0) {
      const c = lane.waiters.peek()!;
      if (c.closed || !c.waiting) {
        lane.waiters.shift();
        continue;
      }
      const available = c.waitExclusive ? lane.takeExclusive() !== null : lane.takeShared() !== null;
      if (!available) {
        // A connection opened for this waiter may have gone to shared requests meanwhile.
        if (c.waitExclusive && this.size >= this.max) lane.reserveFor();
        return;
      }
      lane.waiters.shift();
      this.unwait(c);
      lane.serving = c;
      pump(c);
      lane.serving = null;
      if (c.waiting) return; // it queued again: nothing was really free
    }
  }

  /** unwait takes a client out of the waiting count and records how long it waited. */
  unwait(c: PoolClient): void {
    const lane = this.lane(c.waitProto);
    c.waiting = false;
    lane.waiting--;
    if (c.waitExclusive && --lane.exclusiveWaiting === 0) lane.reserved = null;
    const waitedMs = performance.now() - c.waitingSince;
    this.waitsTotal++;
    this.waitDuration.observe(waitedMs / 1000);
    this.waitTimeMsTotal += waitedMs;
    if (waitedMs > this.waitTimeMsMax) this.waitTimeMsMax = waitedMs;
  }

  /** expireWaiters fails the requests of clients that waited longer than queueTimeoutMs. */
  expireWaiters(now: number): void {
    const timeoutMs = this.runtime.config.queueTimeoutMs;
    while (this.pinWaiters.length > 0) {
      const c = this.pinWaiters.peek()!;
      if (c.closed || !c.waitingPin) {
        this.pinWaiters.shift();
        continue;
      }
      if (now - c.waitingSince < timeoutMs) break;
      this.pinWaiters.shift();
      this.unwaitPin(c);
      this.pinRefused++;
      refusePinnedWait(c, this.pinRefusal(c) ?? `pool queue timeout after ${timeoutMs} ms`);
    }
    for (const lane of this.lanes) {
      while (lane.waiters.length > 0) {
        const c = lane.waiters.peek()!;
        if (c.closed || !c.waiting) {
          lane.waiters.shift();
          continue;
        }
        if (now - c.waitingSince < timeoutMs) break;
        lane.waiters.shift();
        this.unwait(c);
        this.queueTimeouts++;
        this.runtime.queueTimeouts++;
        c.pool = null;
        rejectQueued(c, "QUEUE_TIMEOUT", `pool queue timeout after ${timeoutMs} ms`);
      }
    }
  }

  /** open starts one more connection in `lane`. */
  open(lane: Lane): void {
    if (this.retired || this.runtime.closing) return;
    const conn = new PooledConn(this, lane.proto, performance.now());
    lane.conns.add(conn);
    lane.connecting++;
    // Backend.active counts pooled connections open or connecting: what the backend sees, as in tunnel mode.
    this.backend.active++;
    connectPooled(conn);
  }

  /** onReady: a connection finished connecting and setup; it serves waiters first, else stays idle. */
  onReady(conn: PooledConn): void {
    const lane = this.lane(conn.proto);
    lane.connecting--;
    this.connectionsOpened++;
    this.backoffMs = 0;
    // A pooled connection that works is proof the backend is back: end its passive cool-down now.
    noteConnectSuccess(this.backend);
    endCooldown(this.backend, performance.now(), this.runtime.listener.log, { listener: this.runtime.listener.config.name });
    this.runtime.listener.noteBackendAvailable();
    this.runtime.onServerInfo(this);
    this.onFree(lane);
  }

  /** onFree: a connection of `lane` may be free for someone: serve waiters, then keep the idle count right. */
  onFree(lane: Lane): void {
    this.serveWaiters(lane);
    this.replenish();
  }

  /**
   * onLost: a connection closed or failed to connect (or set up). A failed connect with no other
   * connection alive fails the waiters at once (the backend is down: waiting the queue timeout would
   * help nobody); reconnects back off.
   */
  onLost(conn: PooledConn, was: ConnState, deliberate: boolean, reason: string): void {
    const lane = this.lane(conn.proto);
    lane.conns.delete(conn);
    this.backend.active--;
    if (lane.reserved === conn) lane.reserved = null;
    const connecting = was === "connecting" || was === "setup";
    if (connecting) lane.connecting--;
    if (was === "closing") this.makingRoom--;
    if (deliberate) {
      // Closed on purpose: not the backend's fault.
    } else if (connecting) {
      this.connectFailures++;
      // Passive health, as for tunnel connects: enough failures in a row take the backend out of rotation.
      const listener = this.runtime.listener;
      noteConnectFailure(
        this.backend,
        listener.config.health.passive,
        performance.now(),
        listener.log,
        { listener: listener.config.name },
        reason,
        conn.failCode,
      );
      this.backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(MIN_BACKOFF_MS, this.backoffMs * 2));
      if (lane.connecting === 0 && this.readyCount(lane) === 0) this.failWaiters(lane, "backend unavailable");
    } else {
      this.connectionsLost++;
    }
    if (this.retired || this.runtime.closing) return;
    // Either lane may have been waiting for this slot (a connection closed to make room for the other).
    for (const l of this.lanes) if (l.waiting > 0 && this.backoffMs === 0 && l.connecting < l.waiting) this.grow(l);
    this.scheduleReplenish();
  }

  readyCount(lane: Lane): number {
    let n = 0;
    for (const conn of lane.conns) if (conn.state === "ready") n++;
    return n;
  }

  private failWaiters(lane: Lane, reason: string): void {
    while (lane.waiters.length > 0) {
      const c = lane.waiters.shift()!;
      if (c.closed || !c.waiting) continue;
      this.unwait(c);
      c.pool = null;
      rejectQueued(c, "NO_BACKEND", reason);
    }
  }

  /** replenish opens RESP2 connections until minIdlePerBackend are idle or connecting (now, or after the backoff). */
  replenish(): void {
    if (this.retired || this.runtime.closing || this.retryTimer !== null) return;
    const lane = this.lanes[0];
    let spare = lane.connecting;
    for (const conn of lane.conns) if (conn.free) spare++;
    const want = Math.min(this.runtime.config.minIdlePerBackend - spare, this.max - this.size);
    for (let i = 0; i < want; i++) this.open(lane);
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
      for (const lane of this.lanes) if (lane.waiting > 0 && lane.connecting === 0) this.grow(lane);
    }, this.backoffMs);
  }

  /** close ends every connection of this pool (the listener is closing or the backend was removed). */
  close(): void {
    this.retired = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    while (this.pinWaiters.length > 0) {
      const c = this.pinWaiters.shift()!;
      if (c.closed || !c.waitingPin) continue;
      this.unwaitPin(c);
      rejectQueued(c, "NO_BACKEND", "listener closing");
    }
    for (const lane of this.lanes) {
      this.failWaiters(lane, "listener closing");
      for (const conn of [...lane.conns]) destroyConn(conn, "listener closing");
    }
  }

  /** retireIdle closes the connections nobody uses; used ones close when released. */
  retireIdle(): void {
    this.retired = true;
    for (const lane of this.lanes) {
      for (const conn of [...lane.conns]) if (conn.free || conn.state !== "ready") destroyConn(conn, "backend removed");
    }
  }

  /** conns iterates every connection of both lanes. */
  *conns(): Iterable<PooledConn> {
    yield* this.lanes[0].conns;
    yield* this.lanes[1].conns;
  }

  stats(pinnedClients: number): BackendPoolStats {
    let idle = 0;
    let inUse = 0;
    for (const conn of this.conns()) {
      if (conn.free) idle++;
      else if (conn.state === "ready") inUse++;
    }
    return {
      address: this.backend.key,
      size: this.size,
      resp3: this.lanes[1].conns.size,
      connecting: this.lanes[0].connecting + this.lanes[1].connecting,
      inUse,
      idle,
      pinned: this.pinned,
      waiters: this.waiting,
      pinnedClients,
      waitsTotal: this.waitsTotal,
      waitTimeMsTotal: Math.round(this.waitTimeMsTotal),
      waitTimeMsMax: Math.round(this.waitTimeMsMax),
      queueTimeouts: this.queueTimeouts,
      queueFull: this.queueFull,
      pinRefused: this.pinRefused,
      requests: this.requests,
      connectFailures: this.connectFailures,
      connectionsOpened: this.connectionsOpened,
      connectionsLost: this.connectionsLost,
      waitDuration: this.waitDuration.snapshot(),
    };
  }
}

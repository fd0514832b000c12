import type { Backend } from "../balance/backend.ts";
import type { ListenerRuntime } from "../proxy/listener.ts";
import { BackendPool, type BackendPoolStats } from "./backend-pool.ts";
import type { PoolClient } from "./client.ts";
import type { PoolConfig } from "./config.ts";
import { type Framers, framersFor } from "./prepare.ts";
import { warrenError } from "./local-commands.ts";
import { closeClient, closeIfIdle, noteFailure, pump, rejectQueued, sendToClient } from "./pump.ts";
import type { ServerInfo } from "./setup.ts";

/** PoolStats is the pooled-mode part of a listener's stats. */
export interface PoolStats {
  multiplex: boolean;
  clients: number;
  pinnedClients: number;
  queueTimeouts: number;
  /** Requests warren failed, by code: QUEUE_TIMEOUT, QUEUE_FULL, NO_BACKEND, BACKEND_LOST, REPLY_TIMEOUT, PIN_REFUSED, … */
  failures: Record<string, number>;
  backends: BackendPoolStats[];
}

/**
 * PoolRuntime is the pooled (n:1) mode of one listener: its clients, one BackendPool per backend, and
 * the timer that expires queued requests. The listener's balancer picks the backend each time a client
 * binds.
 */
export class PoolRuntime {
  readonly clients = new Set<PoolClient>();
  readonly pools = new Map<Backend, BackendPool>();
  readonly framers: Framers;
  /** Whether the framer is RESP: then failures are answered with `-ERR warren: ...` and the command table applies. */
  readonly resp: boolean;
  config: PoolConfig;
  /** Graceful close or listener removed: idle clients are closed, busy ones once their replies are in. */
  draining = false;
  closing = false;
  queueTimeouts = 0;
  private readonly failures = new Map<string, number>();
  /** Pinned connections held per client address, for maxPinnedPerClient. */
  private readonly pinnedByAddress = new Map<string, number>();
  /** Clients whose HELLO reply waits for a backend's facts (no pooled connection has been set up yet). */
  private readonly infoWaiters = new Map<PoolClient, number>();
  private readonly sweepTimer: ReturnType<typeof setInterval>;

  constructor(readonly listener: ListenerRuntime) {
    const config = listener.config.pool;
    if (config === null) throw new Error("PoolRuntime needs a listener in pool mode");
    this.config = config;
    this.framers = framersFor(config);
    this.resp = config.framer.kind === "resp";
    // Queue timeouts are checked on one coarse timer for all waiters: ~10 checks per timeout, 5..250 ms apart.
    const everyMs = Math.max(5, Math.min(250, Math.floor(config.queueTimeoutMs / 10)));
    this.sweepTimer = setInterval(() => this.expire(), everyMs);
    this.sweepTimer.unref();
    this.syncPools();
  }

  /**
   * pick chooses a backend with the listener's balancer; a client finding none gets an error. A backend
   * whose pool is at its maxConnections is not eligible for the balancer (Backend.active counts pooled
   * connections), but in pool mode a full pool still serves by queueing: when every usable backend is
   * full, the one with the fewest waiters is chosen.
   */
  pick(c: PoolClient): BackendPool | null {
    const listener = this.listener;
    const backend = listener.balancer.pick(c.address) ?? this.leastWaitedFull();
    const pool = backend === null ? undefined : this.pools.get(backend);
    if (pool === undefined || pool.retired) {
      listener.counters.rejectedNoBackend++;
      listener.noteNoBackend();
      rejectQueued(c, "NO_BACKEND", "no backend available");
      return null;
    }
    pool.backend.sessionsTotal++;
    return pool;
  }

  private leastWaitedFull(): Backend | null {
    let best: BackendPool | null = null;
    for (const pool of this.pools.values()) {
      const b = pool.backend;
      if (pool.retired || !b.healthy || b.drain || b.weight <= 0) continue;
      if (best === null || pool.waiting < best.waiting) best = pool;
    }
    return best === null ? null : best.backend;
  }

  /**
   * update applies a reload: new pool settings apply at once; removed backends' pools close their idle
   * connections, busy ones close when released. The framer cannot change on reload (ProxyServer.reload
   * rejects that), so the running factories stay.
   */
  update(): void {
    const config = this.listener.config.pool;
    if (config !== null) this.config = { ...config, framer: this.config.framer };
    this.syncPools();
  }

  private syncPools(): void {
    const current = new Set(this.listener.backends);
    for (const [backend, pool] of this.pools) {
      if (current.has(backend)) continue;
      pool.retireIdle();
      this.pools.delete(backend);
    }
    for (const backend of this.listener.backends) {
      let pool = this.pools.get(backend);
      if (pool === undefined) {
        pool = new BackendPool(this, backend);
        this.pools.set(backend, pool);
      }
      pool.replenish();
    }
  }

  private expire(): void {
    const now = performance.now();
    for (const pool of this.pools.values()) if (pool.waiting > 0) pool.expireWaiters(now);
    if (this.infoWaiters.size > 0) this.expireInfoWaiters(now);
  }

  countFailure(code: string): void {
    this.failures.set(code, (this.failures.get(code) ?? 0) + 1);
  }

  pinnedBy(address: string): number {
    return this.pinnedByAddress.get(address) ?? 0;
  }

  addPinned(address: string): void {
    this.pinnedByAddress.set(address, this.pinnedBy(address) + 1);
  }

  removePinned(address: string): void {
    const n = this.pinnedBy(address) - 1;
    if (n <= 0) this.pinnedByAddress.delete(address);
    else this.pinnedByAddress.set(address, n);
  }

  /** serverInfo returns what some backend of this listener said about itself, or null if none has yet. */
  serverInfo(): ServerInfo | null {
    for (const pool of this.pools.values()) if (pool.serverInfo !== null) return pool.serverInfo;
    return null;
  }

  /** waitForServerInfo parks a client whose HELLO reply needs the server's facts; a pooled connection is made for it. */
  waitForServerInfo(c: PoolClient): void {
    if (this.infoWaiters.has(c)) return;
    this.infoWaiters.set(c, performance.now());
    for (const pool of this.pools.values()) if (!pool.retired && pool.size === 0) pool.replenish();
  }

  stopWaitingForServerInfo(c: PoolClient): void {
    this.infoWaiters.delete(c);
  }

  /** onServerInfo: a pool learned its backend's facts; parked HELLO replies go out. */
  onServerInfo(pool: BackendPool): void {
    if (pool.serverInfo === null || this.infoWaiters.size === 0) return;
    const waiting = [...this.infoWaiters.keys()];
    this.infoWaiters.clear();
    for (const c of waiting) if (!c.closed) pump(c);
  }

  private expireInfoWaiters(now: number): void {
    for (const [c, since] of this.infoWaiters) {
      if (now - since < this.config.queueTimeoutMs) continue;
      this.infoWaiters.delete(c);
      // HELLO cannot be answered without a backend: fail it like a request that found none.
      const head = c.outbox.peek();
      if (head === undefined || head.helloProto === 0) continue;
      c.outbox.shift();
      noteFailure(c, "NO_BACKEND");
      sendToClient(c, warrenError("no backend available"));
      pump(c);
    }
  }

  /**
   * drain starts a graceful close: clients with nothing in progress are closed now, the others as soon
   * as their replies are delivered (closeIfIdle runs whenever a client may have become idle). Once the
   * last client is gone the pooled connections close too.
   */
  drain(): void {
    if (this.draining || this.closing) return;
    this.draining = true;
    for (const c of [...this.clients]) closeIfIdle(c);
    if (this.clients.size === 0) this.close();
  }

  /** onClientGone is clientGone's last step: the client leaves every count it was in. */
  onClientGone(c: PoolClient): void {
    this.clients.delete(c);
    this.infoWaiters.delete(c);
    const listener = this.listener;
    if (c.countedPerClient) listener.removeClient(c.address);
    listener.counters.countEnd(c.endCode, c.endCode !== "ok");
    listener.onPoolClientGone(c);
    if (this.draining && this.clients.size === 0) this.close();
  }

  /** close ends every client and pooled connection. */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    clearInterval(this.sweepTimer);
    for (const c of [...this.clients]) {
      if (c.endCode === "ok") {
        c.endCode = "SHUTDOWN";
        c.endSide = "internal";
      }
      closeClient(c);
    }
    for (const pool of this.pools.values()) pool.close();
  }

  stats(): PoolStats {
    const pinned = new Map<BackendPool, number>();
    let pinnedClients = 0;
    for (const c of this.clients) {
      if (c.pinnedHeld === 0 || c.pool === null) continue;
      pinnedClients++;
      pinned.set(c.pool, (pinned.get(c.pool) ?? 0) + 1);
    }
    return {
      multiplex: this.config.multiplex,
      clients: this.clients.size,
      pinnedClients,
      queueTimeouts: this.queueTimeouts,
      failures: Object.fromEntries(this.failures),
      backends: [...this.pools.values()].map((p) => p.stats(pinned.get(p) ?? 0)),
    };
  }
}

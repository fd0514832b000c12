import type { Socket, SocketListener, TCPSocketListener } from "bun";
import type { Backend } from "../balance/backend.ts";
import type { ListenerConfig } from "../config/schema.ts";
import type { EndCode, FailureCode } from "../errors.ts";
import type { Listener } from "../listener/listener.ts";
import type { BindOptions, LiveSession, Mode, ModeKind, ModeStats } from "../listener/mode.ts";
import type { PoolStats } from "../stats.ts";
import { BackendPool } from "./backend-pool.ts";
import { poolClientHandlers, startClient } from "./client-handlers.ts";
import type { PreambleState } from "../listener/preamble.ts";
import { type PoolClient, record } from "./client.ts";
import type { PoolConfig } from "../config/schema.ts";
import { warrenError } from "./local-commands.ts";
import { type Framers, framersFor } from "./prepare.ts";
import { closeClient, closeIfIdle, noteFailure, pump, rejectQueued, sendToClient } from "./pump.ts";
import { unreloadable } from "./reload.ts";
import type { ServerInfo } from "./setup.ts";
import { sweepPool } from "./sweep.ts";

/** Which pooled mode a listening socket belongs to, for an accepted socket's `open`. */
const byServer = new WeakMap<SocketListener<unknown>, PoolRuntime>();

/** poolOf returns the pooled mode whose listener accepted `socket`, or undefined once it is gone. */
export function poolOf<D>(socket: Socket<D>): PoolRuntime | undefined {
  const server = socket.listener;
  return server === undefined ? undefined : byServer.get(server);
}

/**
 * PoolRuntime is the pooled (n:1) mode of one listener: its clients and one BackendPool per backend.
 * The listener's balancer picks the backend each time a client binds a connection; queued requests and
 * every pool timeout are expired on the process's one sweep.
 */
export class PoolRuntime implements Mode {
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
  private readonly failures = new Map<FailureCode, number>();
  /** Pinned connections held per client address, for maxPinnedPerClient. */
  private readonly pinnedByAddress = new Map<string, number>();
  /** Clients whose HELLO reply waits for a backend's facts (no pooled connection has been set up yet). */
  private readonly infoWaiters = new Map<PoolClient, number>();

  constructor(readonly listener: Listener) {
    const config = listener.config.pool;
    if (config === null) throw new Error("PoolRuntime needs a listener in pool mode");
    this.config = config;
    this.framers = framersFor(config);
    this.resp = config.framer.kind === "resp";
    this.syncPools();
  }

  bind(options: BindOptions): TCPSocketListener<unknown> {
    // allowHalfOpen: a client that half-closes after its requests still gets its replies.
    // The runtime is passed, not looked up from the socket: a TLS socket (upgradeTLS) has no `listener`.
    const socket = this.listener.handlers(poolClientHandlers, (client: Socket<PoolClient>, info, early) =>
      startClient(client, info, early, this),
    );
    const server = Bun.listen<PoolClient | PreambleState | null>({
      ...(options as { hostname: string; port: number }),
      data: null,
      allowHalfOpen: true,
      socket,
    }); // or { unix }: Bun.listen takes either
    byServer.set(server, this);
    return server;
  }

  get liveCount(): number {
    return this.clients.size;
  }

  /** sweep expires queued requests and parked HELLOs, then the clients' and connections' timeouts. */
  sweep(now: number): void {
    for (const pool of this.pools.values()) if (pool.waiting > 0) pool.expireWaiters(now);
    if (this.infoWaiters.size > 0) this.expireInfoWaiters(now);
    sweepPool(this, now);
  }

  shortestTimeoutMs(): number {
    const c = this.listener.config;
    const p = this.config;
    let shortest = p.queueTimeoutMs;
    for (const ms of [c.idleTimeoutMs, c.maxLifetimeMs, p.pinnedIdleTimeoutMs, p.replyTimeoutMs])
      if (ms > 0) shortest = Math.min(shortest, ms);
    return shortest;
  }

  /** The pool's queues are served as connections free up (BackendPool), not on the listener's slot events. */
  onSlotFreed(): void {}

  closeAll(code: EndCode): void {
    this.close(code);
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
   * update applies a reload: the pool's own settings (sizes, pins, queue, timeouts) govern connections
   * every client shares, so they apply at once; removed backends' pools close their idle connections,
   * busy ones close when released. Clients keep the listener settings they started with (PoolClient.config).
   * The framer cannot change on reload (unreloadable), so the running factories stay.
   */
  update(config: ListenerConfig): void {
    if (config.pool !== null) this.config = { ...config.pool, framer: this.config.framer };
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

  countFailure(code: FailureCode): void {
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
    if (this.clients.size === 0) this.close("SHUTDOWN");
  }

  /** onClientGone is clientGone's last step: the client leaves every count it was in. */
  onClientGone(c: PoolClient): void {
    this.clients.delete(c);
    this.infoWaiters.delete(c);
    this.listener.ended(record(c));
    if (this.draining && this.clients.size === 0) this.close("SHUTDOWN");
  }

  /** close ends every client (counted under `code` unless it already failed) and every pooled connection. */
  close(code: EndCode): void {
    if (this.closing) return;
    this.closing = true;
    for (const c of [...this.clients]) {
      if (c.endCode === "ok") {
        c.endCode = code;
        c.endSide = "internal";
      }
      closeClient(c);
    }
    for (const pool of this.pools.values()) pool.close();
  }

  liveSessions(): LiveSession[] {
    return [...this.clients].map((c) => ({ record: record(c), state: c.state }));
  }

  stats(): ModeStats {
    let fromClients = 0;
    let fromBackends = 0;
    let queued = 0;
    for (const c of this.clients) {
      fromClients += c.bytesIn;
      fromBackends += c.bytesFromBackend;
      queued += c.toClient.bytes + c.outboxBytes;
    }
    return {
      queued: 0,
      liveBytesFromClients: fromClients,
      liveBytesFromBackends: fromBackends,
      queuedBytes: queued,
      peakQueuedBytes: 0,
      pool: this.poolStats(),
    };
  }

  poolStats(): PoolStats {
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

export const pool: ModeKind = {
  name: "pool",
  create: (listener) => new PoolRuntime(listener),
  unreloadable,
};

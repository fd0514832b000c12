import type { TCPSocketListener } from "bun";
import { Backend } from "../balance/backend.ts";
import type { Balancer } from "../balance/balancer.ts";
import { createBalancer } from "../balance/index.ts";
import { formatHostPort } from "../config/host-port.ts";
import type { ListenerConfig } from "../config/schema.ts";
import type { Logger } from "../log.ts";
import { clientHandlers } from "./client-handlers.ts";
import { AccessList } from "../access/cidr.ts";
import { HealthChecker } from "../health/checker.ts";
import { admitWaiting } from "./dispatch.ts";
import { finishSession } from "./lifecycle.ts";
import type { Session } from "./session.ts";
import { WaitQueue } from "./wait-queue.ts";
import { Counters, type ListenerStats } from "./stats.ts";
import { poolClientHandlers } from "../pool/client-handlers.ts";
import { PoolRuntime } from "../pool/runtime.ts";
import type { PoolClient } from "../pool/client.ts";

/**
 * ListenerRuntime is one listening socket with its live config, backends,
 * balancer and sessions. A reload swaps `config`, `backends` and `balancer`
 * in place; live sessions keep the Backend record they started with.
 */
export class ListenerRuntime {
  config: ListenerConfig;
  backends: Backend[] = [];
  balancer!: Balancer;
  readonly sessions = new Set<Session>();
  readonly counters = new Counters();
  server: TCPSocketListener<ListenerRuntime> | null = null;
  accepting = false;
  access: AccessList;
  /** Sessions waiting for a backend slot (every usable backend at maxConnections). */
  readonly waiting = new WaitQueue<Session>();
  /** Live sessions per client address, kept only while maxConnectionsPerClient is set. */
  private readonly perClient = new Map<string, number>();
  /** Set while clients are being refused for want of a backend, so the outage is logged once. */
  private outage = false;
  private sessionIds = 0;
  /** The pooled (n:1) mode's clients and connection pools; null in tunnel mode. */
  pool: PoolRuntime | null = null;
  /** Active health probes for this group (does nothing unless health.active.enabled). */
  readonly health: HealthChecker;

  constructor(
    config: ListenerConfig,
    readonly log: Logger,
    private readonly onFinished: (s: Session) => void,
    /** Called when a pooled client leaves, so the server can see the listener become idle. */
    private readonly onPoolClientFinished: (c: PoolClient) => void = () => {},
  ) {
    this.config = config;
    this.access = new AccessList(config.allow, config.deny);
    this.applyBackends(config, []);
    this.health = new HealthChecker(this.backends, config.health.active, log, { listener: config.name });
  }

  get address(): string {
    const s = this.server;
    return s === null ? formatHostPort(this.config.listen) : formatHostPort({ host: s.hostname, port: s.port });
  }

  /** Live clients: tunnel sessions plus pooled clients (each counts as one session). */
  get liveCount(): number {
    return this.sessions.size + (this.pool === null ? 0 : this.pool.clients.size);
  }

  /** A pooled client left (PoolRuntime.onClientGone). */
  onPoolClientGone(c: PoolClient): void {
    this.onPoolClientFinished(c);
  }

  nextSessionId(): number {
    return ++this.sessionIds;
  }

  /** listen binds the socket; throws (with the address) if the OS refuses. */
  listen(): void {
    const { host, port } = this.config.listen;
    const pooled = this.config.mode === "pool";
    if (pooled && this.pool === null) this.pool = new PoolRuntime(this);
    this.server = Bun.listen<ListenerRuntime>({
      hostname: host,
      port,
      data: this,
      allowHalfOpen: true,
      socket: (pooled ? poolClientHandlers : clientHandlers) as never,
    });
    this.accepting = true;
    this.health.start();
  }

  /** stopAccepting closes the listening socket; live sessions continue. */
  stopAccepting(): void {
    if (this.server !== null && this.accepting) this.server.stop(false);
    this.accepting = false;
    this.health.stop(); // no new sessions will come here, so nothing to check for
  }

  /**
   * update applies a reloaded config for the same address: new sessions see the
   * new settings and backends; a backend that stays keeps its record.
   */
  update(config: ListenerConfig): void {
    const previous = this.backends;
    this.config = config;
    this.access = new AccessList(config.allow, config.deny);
    this.applyBackends(config, previous);
    this.health.update(this.backends, config.health.active);
    this.pool?.update();
    this.onSlotFreed(); // new or larger backends may admit queued clients
  }

  clientCount(address: string): number {
    return this.perClient.get(address) ?? 0;
  }

  addClient(address: string): boolean {
    this.perClient.set(address, (this.perClient.get(address) ?? 0) + 1);
    return true;
  }

  removeClient(address: string): void {
    const n = (this.perClient.get(address) ?? 1) - 1;
    if (n <= 0) this.perClient.delete(address);
    else this.perClient.set(address, n);
  }

  /** Whether some backend would take sessions but for its maxConnections or maxConnectingPerBackend: worth queueing for. */
  anyBackendFull(): boolean {
    for (const b of this.backends) {
      if (b.takesSessions() && b.isFull()) return true;
    }
    return false;
  }

  /** A backend slot was freed (a session ended or moved): admit queued clients. */
  onSlotFreed(): void {
    if (this.waiting.length > 0) admitWaiting(this);
  }

  noteNoBackend(): void {
    if (this.outage) return;
    this.outage = true;
    this.log.warn("no backend available: refusing new clients", {
      listener: this.config.name,
      backends: this.backends.map((b) => `${b.key}${b.healthy ? "" : " (down)"}${b.drain ? " (drain)" : ""}`),
    });
  }

  noteBackendAvailable(): void {
    if (!this.outage) return;
    this.outage = false;
    this.log.info("backend available again: accepting clients", { listener: this.config.name });
  }

  private applyBackends(config: ListenerConfig, previous: readonly Backend[]): void {
    const byKey = new Map(previous.map((b) => [b.key, b]));
    this.backends = config.backends.map((bc) => {
      const key = formatHostPort(bc.address);
      const kept = byKey.get(key);
      const b = kept ?? new Backend(bc.address, bc.weight, bc.maxConnections, bc.drain);
      b.weight = bc.weight;
      b.maxConnections = bc.maxConnections;
      b.drain = bc.drain;
      b.maxConnecting = config.maxConnectingPerBackend;
      return b;
    });
    this.balancer = createBalancer(config.balance, this.backends);
  }

  /** Called by finishSession; writes the access-log line. */
  onSessionFinished(s: Session): void {
    this.notePeak(s);
    this.onFinished(s);
  }

  /** closeAll ends every live session (used after the drain timeout). */
  closeAll(code: string): void {
    for (const s of [...this.sessions]) finishSession(s, code, "internal");
    this.pool?.close();
  }

  stats(): ListenerStats {
    const c = this.counters;
    let queued = 0;
    let live = 0;
    let liveFromClients = 0;
    let liveFromBackends = 0;
    for (const s of this.sessions) {
      queued += s.toBackend.bytes + s.toClient.bytes;
      liveFromClients += s.bytesFromClient;
      liveFromBackends += s.bytesFromBackend;
      const peak = Math.max(s.toBackend.peakBytes, s.toClient.peakBytes);
      if (peak > live) live = peak;
    }
    if (live > this.peakQueued) this.peakQueued = live;
    return {
      name: this.config.name,
      address: this.address,
      accepting: this.accepting,
      sessions: this.liveCount,
      sessionsTotal: c.sessionsTotal,
      rejected: {
        maxConnections: c.rejectedMaxConnections,
        noBackend: c.rejectedNoBackend,
        denied: c.rejectedDenied,
        perClient: c.rejectedPerClient,
        queueFull: c.rejectedQueueFull,
      },
      queued: this.waiting.length,
      queueTimeouts: c.queueTimeouts,
      retries: c.retries,
      bytesFromClients: c.bytesFromClients + liveFromClients,
      bytesFromBackends: c.bytesFromBackends + liveFromBackends,
      queuedBytes: queued,
      peakSessionQueuedBytes: this.peakQueued,
      errors: Object.fromEntries(c.errors),
      ends: Object.fromEntries(c.ends),
      ...(this.pool === null ? {} : { pool: this.pool.stats() }),
      backends: this.backends.map((b) => ({
        address: b.key,
        weight: b.weight,
        drain: b.drain,
        healthy: b.healthy,
        active: b.active,
        connecting: b.connecting,
        sessionsTotal: b.sessionsTotal,
        connectFailures: b.connectFailures,
        bytesToBackend: b.bytesToBackend,
        bytesFromBackend: b.bytesFromBackend,
        downReason: b.downReason,
        lastCheckOk: b.lastCheckOk,
        lastCheckReason: b.lastCheckReason,
        lastCheckMs: b.lastCheckMs,
        checksTotal: b.checksTotal,
        checksFailed: b.checksFailed,
      })),
    };
  }

  /** The largest per-session queue seen, folded in as sessions end. */
  peakQueued = 0;

  notePeak(s: Session): void {
    const peak = Math.max(s.toBackend.peakBytes, s.toClient.peakBytes);
    if (peak > this.peakQueued) this.peakQueued = peak;
  }
}


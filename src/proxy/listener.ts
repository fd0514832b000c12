import type { TCPSocketListener } from "bun";
import { Backend } from "../balance/backend.ts";
import type { Balancer } from "../balance/balancer.ts";
import { createBalancer } from "../balance/index.ts";
import { formatHostPort } from "../config/host-port.ts";
import type { ListenerConfig } from "../config/schema.ts";
import type { Logger } from "../log.ts";
import { clientHandlers } from "./client-handlers.ts";
import { finishSession } from "./lifecycle.ts";
import type { Session } from "./session.ts";
import { Counters, type ListenerStats } from "./stats.ts";

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
  private sessionIds = 0;

  constructor(
    config: ListenerConfig,
    readonly log: Logger,
    private readonly onFinished: (s: Session) => void,
  ) {
    this.config = config;
    this.applyBackends(config, []);
  }

  get address(): string {
    const s = this.server;
    return s === null ? formatHostPort(this.config.listen) : formatHostPort({ host: s.hostname, port: s.port });
  }

  nextSessionId(): number {
    return ++this.sessionIds;
  }

  /** listen binds the socket; throws (with the address) if the OS refuses. */
  listen(): void {
    const { host, port } = this.config.listen;
    this.server = Bun.listen<ListenerRuntime>({
      hostname: host,
      port,
      data: this,
      allowHalfOpen: true,
      socket: clientHandlers as never,
    });
    this.accepting = true;
  }

  /** stopAccepting closes the listening socket; live sessions continue. */
  stopAccepting(): void {
    if (this.server !== null && this.accepting) this.server.stop(false);
    this.accepting = false;
  }

  /**
   * update applies a reloaded config for the same address: new sessions see the
   * new settings and backends; a backend that stays keeps its record.
   */
  update(config: ListenerConfig): void {
    const previous = this.backends;
    this.config = config;
    this.applyBackends(config, previous);
  }

  private applyBackends(config: ListenerConfig, previous: readonly Backend[]): void {
    const byKey = new Map(previous.map((b) => [b.key, b]));
    this.backends = config.backends.map((bc) => {
      const key = formatHostPort(bc.address);
      const kept = byKey.get(key) ?? byKey.get(`${bc.address.host}:${bc.address.port}`);
      const b = kept ?? new Backend(bc.address, bc.weight, bc.maxConnections, bc.drain);
      b.weight = bc.weight;
      b.maxConnections = bc.maxConnections;
      b.drain = bc.drain;
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
      sessions: this.sessions.size,
      sessionsTotal: c.sessionsTotal,
      rejected: { maxConnections: c.rejectedMaxConnections, noBackend: c.rejectedNoBackend },
      bytesFromClients: c.bytesFromClients + liveFromClients,
      bytesFromBackends: c.bytesFromBackends + liveFromBackends,
      queuedBytes: queued,
      peakSessionQueuedBytes: this.peakQueued,
      errors: Object.fromEntries(c.errors),
      ends: Object.fromEntries(c.ends),
      backends: this.backends.map((b) => ({
        address: b.key,
        weight: b.weight,
        drain: b.drain,
        healthy: b.healthy,
        active: b.active,
        sessionsTotal: b.sessionsTotal,
        connectFailures: b.connectFailures,
        bytesToBackend: b.bytesToBackend,
        bytesFromBackend: b.bytesFromBackend,
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


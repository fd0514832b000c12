import type { Socket, SocketHandler, SocketListener, TCPSocketListener } from "bun";
import { AccessList } from "../access/cidr.ts";
import { type AdminState, Backend } from "../balance/backend.ts";
import type { Balancer } from "../balance/balancer.ts";
import { createBalancer } from "../balance/index.ts";
import { formatHostPort } from "../config/host-port.ts";
import type { ListenerConfig } from "../config/schema.ts";
import { HealthChecker } from "../health/checker.ts";
import type { Logger } from "../log.ts";
import type { ListenerStats } from "../stats.ts";
import { Counters } from "./counters.ts";
import type { Mode, ModeKind, SessionRecord } from "./mode.ts";
import { probeHeader } from "../edge/proxy-encode.ts";
import type { Endpoint, ProxyHeader } from "../edge/proxy-header.ts";
import { type Preamble, type PreambleDone, type PreambleHost, type PreambleState, withPreamble } from "./preamble.ts";
import { RefusalLog } from "./refusals.ts";
import { backendTlsOf, serverTlsOf } from "../edge/tls-load.ts";
import type { ProbeTls } from "../health/probe.ts";
import { rawHandlers, TlsStage } from "./tls-stage.ts";
import type { ServerTls } from "../edge/tls-context.ts";
import { type BackendGroup, Route, RouteTable } from "./routes.ts";
import { bindUnix, chmodUnixSocket, clearStaleSocket, removeUnixSocket, type UnixBinding } from "./unix-socket.ts";
import { Discovery } from "../discovery/discovery.ts";
import type { DnsClient } from "../discovery/dns.ts";
import type { ResolvedBackend } from "../discovery/expand.ts";

/**
 * ClientInfo is what admission learned about a client: its address (the one a PROXY header told, or the
 * socket's own), whether it counts per address, and what the preamble told about the connection.
 */
export interface ClientInfo {
  readonly address: string;
  readonly port: number;
  /** Counted toward its address's maxConnectionsPerClient: released when the client ends. */
  readonly countedPerClient: boolean;
  /** The socket's own peer, when a preamble told another client address (the proxy in front); else null. */
  readonly peer: Endpoint | null;
  /** The address the client connected to, as a PROXY header told it; null: this listener's own. */
  readonly destination: Endpoint | null;
  /** The host name the client asked for (PROXY v2 AUTHORITY, later TLS SNI), or null. */
  readonly authority: string | null;
  /** The PROXY header the client's connection began with, TLVs included, or null. */
  readonly proxyHeader: ProxyHeader | null;
  /** The UNIQUE_ID that header carried (the proxy in front's id of the connection) as text, or null. */
  readonly upstreamId: string | null;
  /** The SNI host name of the client's ClientHello (listeners with routes only), or null. */
  readonly sni: string | null;
  /** The SNI route picked for it, or null: the listener's own backends (the default route). */
  readonly route: Route | null;
}

/** ListenerEvents is how a listener tells its server about ended clients (access log, drain). */
export interface ListenerEvents {
  onEnded(listener: Listener, record: SessionRecord): void;
}

/** Which listener accepted a socket: Bun hands `open` the socket, whose `listener` is the server it came from. */
const byServer = new WeakMap<SocketListener<unknown>, Listener>();

let sessionIds = 0;

/** nextSessionId numbers sessions and pooled clients once per process, so an id names one client in every log. */
export function nextSessionId(): number {
  return ++sessionIds;
}

/** listenerOf returns the listener that accepted `socket`, or undefined once that listener is gone. */
export function listenerOf<D>(socket: Socket<D>): Listener | undefined {
  const server = socket.listener;
  return server === undefined ? undefined : byServer.get(server);
}

/**
 * Listener is the core of one listening socket, whatever its mode: the binding, admission of accepted
 * clients (listener limit, CIDR lists, per-client limit), the counters, the backends with their balancer
 * and health checks. Its Mode serves the clients it admits. A reload swaps `config`, `backends` and
 * `balancer` in place; live clients keep the Backend record they started with.
 */
export class Listener implements BackendGroup {
  config: ListenerConfig;
  /** SNI routes (listeners with `routes`), or null. */
  routes: RouteTable | null = null;
  backends: Backend[] = [];
  balancer!: Balancer;
  access: AccessList;
  readonly counters = new Counters();
  server: TCPSocketListener<unknown> | null = null;
  /** Bind with SO_REUSEPORT (set by the server before listen, when warren runs several workers). */
  reusePort = false;
  /** The socket file this listener bound (a `unix:` listen address), removed when it stops; else null. */
  private unixBinding: UnixBinding | null = null;
  accepting = false;
  /** Active health probes for this group (does nothing unless health.active.enabled). */
  readonly health: HealthChecker;
  readonly mode: Mode;
  /** Live clients per client address, kept only while maxConnectionsPerClient is set. */
  private readonly perClient = new Map<string, number>();
  /** Set while clients are being refused for want of a backend, so the outage is logged once. */
  private outage = false;
  /** Connections whose preamble is being read (only with a preamble). */
  private readonly preambles = new Set<PreambleState>();
  /** The mode's own handlers and start, kept so a reload can put the preamble stage in front of them. */
  private bound: { own: SocketHandler<never>; start: (socket: Socket<never>, info: ClientInfo, early: Uint8Array | null) => void } | null =
    null;
  /** TLS termination (listeners with `tls`): upgrades each accepted socket; null without tls. */
  private tlsStage: TlsStage<never> | null = null;
  /** Whether the listening socket runs the preamble stage's handlers (once it has, it keeps them). */
  private staged = false;
  /** Refused clients, logged at most once per reason per second (the counters count every one). */
  private readonly refusals: RefusalLog;
  /** Keeps backends named by host name or SRV resolved; null while every backend is an IP address. */
  private discovery: Discovery | null = null;

  constructor(
    config: ListenerConfig,
    readonly log: Logger,
    readonly kind: ModeKind,
    private readonly events: ListenerEvents,
    /** What clients send before the mode's stream (PROXY header, ClientHello), or null: none. */
    public preamble: Preamble | null = null,
    /** The process's DNS client, for backends named by host name or SRV (the server's, which a reload may replace). */
    private readonly dns: (() => DnsClient) | null = null,
  ) {
    this.config = config;
    this.refusals = new RefusalLog(log, () => this.config.name);
    this.access = new AccessList(config.allow, config.deny);
    this.trackNames(config);
    this.applyBackends(config, []);
    this.health = new HealthChecker(
      this.backends,
      config.health.active,
      log,
      { listener: config.name },
      probeHeader(config.sendProxy),
      probeTlsOf(config.backendTls),
    );
    this.applyRoutes(config);
    this.mode = kind.create(this);
  }

  get address(): string {
    const s = this.server;
    return s === null || this.config.listen.unix !== undefined
      ? formatHostPort(this.config.listen)
      : formatHostPort({ host: s.hostname, port: s.port });
  }

  /** Clients alive now, in whatever mode. */
  get liveCount(): number {
    return this.mode.liveCount;
  }

  /** listen binds the socket (through the mode, whose handlers it uses); throws if the OS refuses. */
  listen(): void {
    const { host, port, unix } = this.config.listen;
    let server: TCPSocketListener<unknown>;
    if (unix !== undefined) {
      // A socket file left by a dead process is removed, once a connect shows nothing listens there.
      if (clearStaleSocket(unix)) this.log.info("removed a stale socket file", { listener: this.config.name, path: unix });
      const bound = bindUnix(unix, this.config.socketMode, () => this.mode.bind({ unix }));
      server = bound.server;
      this.unixBinding = bound.binding;
    } else {
      server = this.mode.bind(this.reusePort ? { hostname: host, port, reusePort: true } : { hostname: host, port });
    }
    byServer.set(server, this);
    this.server = server;
    this.accepting = true;
    this.health.start();
    for (const r of this.routes?.routes ?? []) r.health.start();
  }

  /** stopAccepting closes the listening socket; live clients continue. */
  stopAccepting(): void {
    if (this.server !== null && this.accepting) this.server.stop(false);
    if (this.unixBinding !== null) removeUnixSocket(this.unixBinding);
    this.unixBinding = null;
    this.accepting = false;
    this.health.stop(); // no new clients will come here, so nothing to check for
    for (const r of this.routes?.routes ?? []) r.health.stop();
  }

  /**
   * accept admits a newly accepted socket, or closes it at once and counts why: listener full, address
   * denied, too many clients from that address. Checks run before any backend is touched. Returns what
   * the mode needs to serve the client, or null when it was refused.
   */
  accept<D>(socket: Socket<D>, told: PreambleDone | null = null, route: Route | null = null): ClientInfo | null {
    const cfg = this.config;
    const c = this.counters;
    const client = told?.client ?? null;
    // A unix peer has no address: it goes by the listener's socket path ("unix:/run/warren.sock"), and the
    // rules made of IP addresses (allow/deny, maxConnectionsPerClient) do not apply to it; who may
    // connect is the socket file's mode. A PROXY header's address is an IP address like any other.
    const unixPeer = client === null && this.config.listen.unix !== undefined;
    const address = client?.address ?? (unixPeer ? this.address : socket.remoteAddress);
    if (this.mode.liveCount >= cfg.maxConnections) {
      c.rejectedMaxConnections++;
      this.refusals.refused("maxConnections", address, performance.now());
      return refuse(socket);
    }
    if (!unixPeer && !this.access.permits(address)) {
      c.rejectedDenied++;
      this.refusals.refused("denied", address, performance.now());
      return refuse(socket);
    }
    const perClient = cfg.maxConnectionsPerClient > 0 && !unixPeer;
    if (perClient && (this.perClient.get(address) ?? 0) >= cfg.maxConnectionsPerClient) {
      c.rejectedPerClient++;
      this.refusals.refused("perClient", address, performance.now());
      return refuse(socket);
    }
    if (perClient) this.perClient.set(address, (this.perClient.get(address) ?? 0) + 1);
    c.sessionsTotal++;
    if (!cfg.noDelay) socket.setNoDelay(false);
    if (cfg.keepAliveMs > 0) socket.setKeepAlive(true, cfg.keepAliveMs);
    if (route !== null) route.sessionsTotal++;
    if (told === null)
      return {
        address,
        port: socket.remotePort ?? 0,
        countedPerClient: perClient,
        peer: null,
        destination: null,
        authority: null,
        proxyHeader: null,
        upstreamId: null,
        sni: null,
        route: null,
      };
    const sni = told.serverName ?? null;
    return {
      address,
      port: client?.port ?? socket.remotePort ?? 0,
      countedPerClient: perClient,
      peer: client === null ? null : { address: socket.remoteAddress ?? this.address, port: socket.remotePort ?? 0 },
      destination: told.destination ?? null,
      // The name the client asked for: a PROXY header's AUTHORITY, else the SNI (sendProxy v2 passes it on).
      authority: told.authority ?? sni,
      proxyHeader: told.header ?? null,
      upstreamId: idText(told.header?.tlvs.uniqueId ?? null),
      sni,
      route,
    };
  }

  /**
   * handlers returns the socket handlers a mode binds with: its own, or, with a preamble, its own behind
   * the preamble stage; `start` begins serving an admitted client with the bytes that followed its
   * preamble (the mode's open handler does the same, with none, when there is no preamble).
   */
  handlers<D extends object>(
    own: SocketHandler<D | null>,
    start: (socket: Socket<D>, info: ClientInfo, early: Uint8Array | null) => void,
  ): SocketHandler<D | null> | SocketHandler<D | PreambleState | null> {
    this.bound = {
      own: own as SocketHandler<never>,
      start: start as (socket: Socket<never>, info: ClientInfo, early: Uint8Array | null) => void,
    };
    if (this.config.tls !== null) {
      // The TLS stage is the only one: validation refuses tls beside a PROXY header, and routes behind tls
      // go by the terminated handshake's SNI (preambleFor builds no ClientHello stage for them).
      const stage = new TlsStage(this.loadTls(this.config.tls), own, this.preambleHost(start));
      this.tlsStage = stage as TlsStage<never>;
      return rawHandlers((raw) => this.beginTls(stage, raw)) as SocketHandler<D | null>;
    }
    if (this.preamble === null) return own;
    this.staged = true;
    return this.stageHandlers(own, start);
  }

  private stageHandlers<D extends object>(
    own: SocketHandler<D | null>,
    start: (socket: Socket<D>, info: ClientInfo, early: Uint8Array | null) => void,
  ): SocketHandler<D | PreambleState | null> {
    return withPreamble(own, this.preambleHost(start));
  }

  /** preambleHost is what a stage (preamble or TLS) calls back: admission and the mode's start when done, counting when failed. */
  private preambleHost<D extends object>(start: (socket: Socket<D>, info: ClientInfo, early: Uint8Array | null) => void): PreambleHost<D> {
    return {
      current: () => this.preamble,
      began: (state) => {
        this.preambles.add(state);
      },
      done: (socket, state, result) => {
        if (state !== null) {
          if (state.settled) return;
          state.settled = true;
          this.preambles.delete(state);
          this.counters.preamblesDone++;
        } else {
          this.counters.preamblesBypassed++;
        }
        // The route is picked before admission: a name no route takes, with no default route, is refused.
        let route: Route | null = null;
        if (this.routes !== null) {
          route = this.routes.match(result.serverName ?? null);
          if (route === null && this.config.backends.length === 0) {
            this.counters.countPreambleFailure("SNI_NO_ROUTE");
            this.log.debug("no route", {
              listener: this.config.name,
              client: socket.remoteAddress,
              sni: result.serverName ?? null,
              tls: result.tls ?? null,
            });
            socket.end();
            return;
          }
        }
        // The same socket, handed to the mode: its data is null until `start` sets the mode's own.
        const adopted = socket as Socket<D | null>;
        adopted.data = null;
        const info = this.accept(adopted, result, route);
        if (info !== null) start(adopted as Socket<D>, info, result.rest);
      },
      failed: (socket, state, code, reason) => {
        if (state !== null) {
          if (state.settled) return;
          state.settled = true;
          this.preambles.delete(state);
        }
        if (code !== "ok") {
          this.counters.countPreambleFailure(code);
          // A peer's bad preamble is routine (debug); a preamble that threw is a bug in warren (error).
          const fields = { listener: this.config.name, client: socket.remoteAddress, code, reason };
          if (code === "INTERNAL") this.log.error("preamble failed", fields);
          else this.log.debug("preamble failed", fields);
        }
        socket.end();
      },
    };
  }

  /** loadTls is the listener's certificates as validation loaded them, logged (serials, expiry) so a rotation can be seen to apply. */
  private loadTls(cfg: NonNullable<ListenerConfig["tls"]>, name = this.config.name): ServerTls {
    const material = serverTlsOf(cfg);
    this.log.info("tls certificates", { listener: name, certificates: material.loaded });
    return material;
  }

  /**
   * beginTls upgrades an accepted socket, unless the listener is full: a handshake holds a TLS socket
   * (~40 KB of native memory in Bun) for up to handshakeTimeoutMs before admission counts it, so
   * handshakes in progress count toward maxConnections here, and a flood of silent clients cannot hold
   * more sockets than the listener would serve.
   */
  private beginTls(stage: TlsStage<never>, raw: Socket<unknown>): void {
    if (this.mode.liveCount + this.preambles.size >= this.config.maxConnections) {
      this.counters.rejectedMaxConnections++;
      this.refusals.refused("maxConnections", raw.remoteAddress, performance.now());
      return void raw.end();
    }
    stage.begin(raw);
  }

  /**
   * setPreamble applies a reload's preamble: new connections use it, connections in their preamble keep
   * the one they began with. A listener that had none gets the preamble stage in front of its mode's
   * handlers now (Bun's reload swaps the handlers of every socket of the listener; the stage passes
   * every event of a socket that is past its preamble straight to the mode).
   */
  setPreamble(preamble: Preamble | null): void {
    this.preamble = preamble;
    if (preamble === null || this.staged || this.server === null || this.bound === null) return;
    this.staged = true;
    this.server.reload({
      socket: this.stageHandlers(this.bound.own as SocketHandler<object | null>, this.bound.start) as SocketHandler<unknown>,
    });
  }

  /** ended is every client's last step: it leaves the per-address count and the counters, and is logged. */
  ended(record: SessionRecord): void {
    if (record.countedPerClient) {
      const n = (this.perClient.get(record.clientAddress) ?? 1) - 1;
      if (n <= 0) this.perClient.delete(record.clientAddress);
      else this.perClient.set(record.clientAddress, n);
    }
    const c = this.counters;
    c.sessionDuration.observe((performance.now() - record.startedAt) / 1000);
    c.bytesFromClients += record.bytesFromClient;
    c.bytesFromBackends += record.bytesFromBackend;
    c.countEnd(record.endCode, record.endSide);
    this.events.onEnded(this, record);
  }

  /**
   * update applies a reloaded config for the same address: new clients see the new settings and
   * backends; a backend that stays keeps its record.
   */
  update(config: ListenerConfig, preamble: Preamble | null = this.preamble): void {
    this.setPreamble(preamble);
    // Certificates rotate here: new connections take the files as read for this reload; live ones keep theirs.
    if (this.tlsStage !== null && config.tls !== null) this.tlsStage.material = this.loadTls(config.tls, config.name);
    // The socket file stays (a reload keeps the listener); a new socketMode applies to it at once.
    if (this.unixBinding !== null && config.socketMode !== null && config.socketMode !== this.config.socketMode)
      chmodUnixSocket(this.unixBinding, config.socketMode);
    const previous = this.backends;
    this.config = config;
    this.access = new AccessList(config.allow, config.deny);
    this.trackNames(config);
    this.applyBackends(config, previous);
    this.health.update(this.backends, config.health.active, probeHeader(config.sendProxy), probeTlsOf(config.backendTls));
    this.applyRoutes(config);
    this.mode.update(config);
    this.mode.onSlotFreed(); // new or larger backends may admit queued clients
  }

  /** sweep is the process sweep's call for this listener: health cool-downs and outages, then the mode's timeouts. */
  sweep(now: number): void {
    if (this.preambles.size > 0) this.expirePreambles(now);
    this.health.sweep(now);
    for (const r of this.routes?.routes ?? []) r.health.sweep(now);
    this.refusals.sweep(now);
    if (this.accepting) this.discovery?.sweep(now); // a retired listener takes no new sessions: nothing to resolve for
    this.mode.onSlotFreed(); // a revived backend may take queued clients
    this.mode.sweep(now);
  }

  /** The shortest timeout this listener enforces on the sweep (its mode's, its preamble's), in ms. */
  shortestTimeoutMs(): number {
    let shortest = this.mode.shortestTimeoutMs();
    if (this.preamble !== null) shortest = Math.min(shortest, this.preamble.timeoutMs);
    if (this.config.tls !== null) shortest = Math.min(shortest, this.config.tls.handshakeTimeoutMs);
    return shortest;
  }

  /** Whether some backend would take clients but for its maxConnections or maxConnectingPerBackend: worth queueing for. */
  anyBackendFull(): boolean {
    for (const b of this.backends) {
      if (b.takesSessions() && b.isFull()) return true;
    }
    return false;
  }

  private expirePreambles(now: number): void {
    for (const state of this.preambles) {
      if (now - state.startedAt < state.timeoutMs) continue;
      state.settled = true;
      this.preambles.delete(state);
      const code = state.parser.timeoutCode ?? "PREAMBLE_TIMEOUT";
      this.counters.countPreambleFailure(code);
      this.log.debug("preamble failed", {
        listener: this.config.name,
        client: state.socket.remoteAddress,
        code,
        reason: `not complete after ${state.timeoutMs} ms (${state.bytes} bytes)`,
      });
      state.socket.end();
    }
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

  /** trackNames starts, updates or stops resolving the config's named backends. */
  private trackNames(config: ListenerConfig): void {
    if (!Discovery.needed(config) || this.dns === null) {
      this.discovery?.stop();
      this.discovery = null;
      return;
    }
    if (this.discovery === null) this.discovery = new Discovery(config, this.dns, this.log, (list) => this.onResolved(list));
    else this.discovery.update(config);
  }

  /**
   * onResolved applies a changed DNS answer as a reload applies a backend list: servers that appeared
   * join (and are health-checked), servers that went take no new sessions while their live ones finish.
   */
  private onResolved(resolved: readonly ResolvedBackend[]): void {
    const previous = this.backends;
    this.applyBackends(this.config, previous);
    const before = new Set(previous.map((b) => b.key));
    const after = new Set(this.backends.map((b) => b.key));
    this.log.info("backends resolved", {
      listener: this.config.name,
      backends: resolved.map((b) => formatHostPort(b.address)),
      added: [...after].filter((k) => !before.has(k)),
      removed: [...before].filter((k) => !after.has(k)),
    });
    this.health.update(this.backends, this.config.health.active);
    this.mode.update(this.config);
    this.mode.onSlotFreed();
  }

  /** The servers to balance over: the config's, with named entries as last resolved. */
  private resolvedBackends(config: ListenerConfig): readonly ResolvedBackend[] {
    if (this.discovery !== null) return this.discovery.current();
    // No DNS client (a listener made without a server) or no names: every entry stands for itself.
    return config.backends.map((bc) => ({
      address: bc.address,
      weight: bc.weight,
      maxConnections: bc.maxConnections,
      drain: bc.drain,
      from: null,
    }));
  }

  /**
   * applyRoutes builds the SNI routes of a new or reloaded config: a route whose pattern stays keeps its
   * Route (its backends' records and health); a route that went stops its health checks, while sessions
   * already on it finish with the backends they have. New sessions see the new table.
   */
  private applyRoutes(config: ListenerConfig): void {
    const previous = new Map((this.routes?.routes ?? []).map((r) => [r.sni, r]));
    const routes = config.routes.map((rc) => {
      const kept = previous.get(rc.sni);
      previous.delete(rc.sni);
      if (kept === undefined) {
        const r = new Route(rc.sni, config, rc, this.log, probeHeader(config.sendProxy), probeTlsOf(config.backendTls));
        if (this.accepting) r.health.start();
        return r;
      }
      kept.apply(config, rc);
      kept.health.update(kept.backends, config.health.active, probeHeader(config.sendProxy), probeTlsOf(config.backendTls));
      return kept;
    });
    for (const gone of previous.values()) gone.health.stop();
    this.routes = routes.length === 0 ? null : new RouteTable(routes);
  }

  private applyBackends(config: ListenerConfig, previous: readonly Backend[]): void {
    const byKey = new Map(previous.map((b) => [b.key, b]));
    this.backends = this.resolvedBackends(config).map((rb) => {
      const key = formatHostPort(rb.address);
      const kept = byKey.get(key);
      const b = kept ?? new Backend(rb.address, rb.weight, rb.maxConnections, rb.drain);
      b.weight = rb.weight;
      b.maxConnections = rb.maxConnections;
      b.maxConnecting = config.maxConnectingPerBackend;
      b.drain = rb.drain;
      b.from = rb.from;
      return b;
    });
    this.balancer = createBalancer(config.balance, this.backends);
  }

  /**
   * setAdminState sets the runtime admin state of every backend record at `address` (the default
   * route's and each SNI route's) and says how many there were; re-enabling one may admit queued clients.
   */
  setAdminState(address: string, state: AdminState): number {
    let n = 0;
    for (const b of this.backends) if (b.key === address) (b.adminState = state), n++;
    for (const r of this.routes?.routes ?? []) for (const b of r.backends) if (b.key === address) (b.adminState = state), n++;
    if (n > 0 && state === "ready") this.mode.onSlotFreed();
    return n;
  }

  stats(): ListenerStats {
    const c = this.counters;
    const m = this.mode.stats();
    return {
      name: this.config.name,
      address: this.address,
      accepting: this.accepting,
      maxConnections: this.config.maxConnections,
      sessions: this.mode.liveCount,
      sessionsTotal: c.sessionsTotal,
      rejected: {
        maxConnections: c.rejectedMaxConnections,
        noBackend: c.rejectedNoBackend,
        denied: c.rejectedDenied,
        perClient: c.rejectedPerClient,
        queueFull: c.rejectedQueueFull,
      },
      queued: m.queued,
      queueTimeouts: c.queueTimeouts,
      retries: c.retries,
      bytesFromClients: c.bytesFromClients + m.liveBytesFromClients,
      bytesFromBackends: c.bytesFromBackends + m.liveBytesFromBackends,
      queuedBytes: m.queuedBytes,
      peakSessionQueuedBytes: m.peakQueuedBytes,
      errors: Object.fromEntries(c.errors),
      ends: Object.fromEntries(c.ends),
      endsBySide: Object.fromEntries(c.endsBySide),
      sessionDuration: c.sessionDuration.snapshot(),
      preambleFailures: Object.fromEntries(c.preambleFailures),
      preambles: { live: this.preambles.size, done: c.preamblesDone, bypassed: c.preamblesBypassed },
      discovery: this.discovery?.stats() ?? null,
      ...(m.pool === undefined ? {} : { pool: m.pool }),
      ...(this.routes === null
        ? {}
        : {
            routes: this.routes.routes.map((r) => ({ sni: r.sni, sessionsTotal: r.sessionsTotal, backends: r.backends.map(backendStats) })),
          }),
      backends: this.backends.map(backendStats),
    };
  }
}

/** backendStats is one backend's part of the stats (a listener's own, or a route's). */
function backendStats(b: Backend): ListenerStats["backends"][number] {
  return {
    address: b.key,
    from: b.from,
    weight: b.weight,
    drain: b.drain,
    adminState: b.adminState,
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
    connectErrors: Object.fromEntries(b.connectErrors),
    downTransitions: b.downTransitions,
    downtimeMs: b.downtimeMsTotal + (!b.healthy && b.downSince > 0 ? Math.max(0, performance.now() - b.downSince) : 0),
    connectDuration: b.connectDuration.snapshot(),
  };
}

/** idText shows an opaque UNIQUE_ID as it is when it is printable ASCII (HAProxy's unique-id-format is), else as hex. */
function idText(id: Uint8Array | null): string | null {
  if (id === null) return null;
  const printable = id.every((b) => b >= 0x20 && b < 0x7f);
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString(printable ? "latin1" : "hex");
}

/** probeTlsOf is what the health probes of a listener with backendTls need: its TLS client options, loaded. */
function probeTlsOf(cfg: ListenerConfig["backendTls"]): ProbeTls | null {
  if (cfg === null) return null;
  const bt = backendTlsOf(cfg);
  return { options: bt.options as Record<string, unknown>, serverName: bt.serverName, verify: bt.verify };
}

/** refuse closes a socket the listener will not serve; its `data` stays the mode's empty value. */
function refuse<D>(socket: Socket<D>): null {
  socket.end();
  return null;
}

import { formatHostPort } from "../config/host-port.ts";
import type { ListenerConfig, WarrenConfig } from "../config/schema.ts";
import { asValidConfig } from "../config/validate.ts";
import { ConfigErrors, listenErrorCode, ProxyError } from "../errors.ts";
import { Listener } from "../listener/listener.ts";
import type { LiveSession, SessionRecord } from "../listener/mode.ts";
import type { AdminState } from "../balance/backend.ts";
import type { Preamble } from "../listener/preamble.ts";
import { preambleFor } from "../listener/proxy-preamble.ts";
import { Logger } from "../log.ts";
import type { ProxyStats } from "../stats.ts";
import { writeAccessLine } from "./access-log.ts";
import { MODES } from "./modes.ts";
import { holdsAddress, matchListeners, unreloadable } from "./reload.ts";
import { Sweep } from "./sweep.ts";
import { DnsClient } from "../discovery/dns.ts";

/** ServerOptions are the library's seams that the config file does not reach. */
export interface ServerOptions {
  /** Bind every listener with SO_REUSEPORT, so worker processes share its address (src/workers). */
  reusePort?: boolean;
  /**
   * The preamble stage of a listener (what clients send before the mode's stream), or null for none.
   * Default: what the listener's config asks for (a PROXY header with `proxyProtocol`).
   */
  preambleFor?: (listener: ListenerConfig) => Preamble | null;
}

/** One listening address as reported after start. */
export interface ListeningAddress {
  name: string;
  host: string;
  port: number;
  /** The socket file of a unix listener (then host is "" and port 0). */
  unix?: string;
  backends: string[];
}

/**
 * ProxyServer owns the listeners, the one sweep timer and the one access-log writer. It is what
 * `startProxy` returns: the library API used by the CLI and the tests.
 */
export class ProxyServer {
  private config: WarrenConfig;
  private readonly listeners = new Map<string, Listener>();
  /** Listeners removed by a reload (or stopped by close) whose clients still run. */
  private readonly retired = new Set<Listener>();
  private readonly sweep = new Sweep(() => this.allListeners());
  private closing: Promise<void> | null = null;
  /** Set when close starts (before `closing`): retired listeners are kept for the final stats. */
  private stopping = false;
  private idleWaiters: (() => void)[] = [];
  private readonly events = { onEnded: (l: Listener, r: SessionRecord) => this.onEnded(l, r) };
  /** Resolves backend names for every listener; replaced when a reload changes [dns]. */
  private dns: DnsClient;

  private constructor(
    config: WarrenConfig,
    readonly log: Logger,
    /** Whether the logger was made from the config (then a reload may change its level). */
    private readonly ownLogger: boolean,
    private readonly options: ServerOptions,
  ) {
    this.config = config;
    this.dns = new DnsClient(config.dns);
  }

  /** start binds every listener; if one cannot bind, the others are closed and it throws. */
  static start(config: WarrenConfig, log?: Logger, options: ServerOptions = {}): ProxyServer {
    const server = new ProxyServer(config, log ?? Logger.fromConfig(config.log), log === undefined, options);
    try {
      for (const lc of config.listeners) server.listeners.set(lc.name, server.bind(lc));
    } catch (err) {
      for (const l of server.listeners.values()) l.stopAccepting();
      if (log === undefined) server.log.close();
      throw err;
    }
    server.sweep.schedule(false);
    return server;
  }

  /** The listening addresses (with the real port when the config said 0). */
  get addresses(): ListeningAddress[] {
    return [...this.listeners.values()].map((l) => ({
      name: l.config.name,
      host: l.server?.hostname ?? l.config.listen.host,
      port: l.server?.port ?? l.config.listen.port,
      ...(l.config.listen.unix === undefined ? {} : { unix: l.config.listen.unix }),
      backends: l.config.backends.map((b) => formatHostPort(b.address)),
    }));
  }

  /** Live sessions across all listeners, including retired ones. */
  get sessionCount(): number {
    let n = 0;
    for (const l of this.allListeners()) n += l.liveCount;
    return n;
  }

  stats(): ProxyStats {
    const listeners = [...this.allListeners()].map((l) => l.stats());
    const errors: Record<string, number> = {};
    let sessions = 0;
    let sessionsTotal = 0;
    let fromClients = 0;
    let fromBackends = 0;
    for (const l of listeners) {
      sessions += l.sessions;
      sessionsTotal += l.sessionsTotal;
      fromClients += l.bytesFromClients;
      fromBackends += l.bytesFromBackends;
      for (const [code, n] of Object.entries(l.errors)) errors[code] = (errors[code] ?? 0) + n;
    }
    return {
      sessions,
      sessionsTotal,
      bytesFromClients: fromClients,
      bytesFromBackends: fromBackends,
      errors,
      eventLoopDelayMs: this.sweep.loopDelayMs,
      listeners,
    };
  }

  /**
   * setBackendState sets a backend's runtime admin state (src/admin): "drain" or "maint" take it out of
   * rotation for new sessions (live ones continue), "ready" puts it back. It lives on the backend's
   * record, so it survives reloads while the backend stays in the config. An unknown listener or address
   * is an error value, not a throw.
   */
  setBackendState(
    listener: string,
    address: string,
    state: AdminState,
  ): { backends: number } | { code: "NO_SUCH_LISTENER" | "NO_SUCH_BACKEND"; message: string } {
    const l = this.listeners.get(listener);
    if (l === undefined)
      return {
        code: "NO_SUCH_LISTENER",
        message: `no listener named ${JSON.stringify(listener)}; listeners: ${[...this.listeners.keys()].join(", ")}`,
      };
    const n = l.setAdminState(address, state);
    if (n === 0)
      return {
        code: "NO_SUCH_BACKEND",
        message: `listener ${JSON.stringify(listener)} has no backend ${JSON.stringify(address)}; backends: ${l.backends.map((b) => b.key).join(", ")}`,
      };
    this.log.info("backend state set", { listener, backend: address, state });
    return { backends: n };
  }

  /** liveSessions lists the live clients of one listener, or of every listener (retired ones too), by listener name. */
  liveSessions(listener?: string): { listener: string; session: LiveSession }[] {
    const out: { listener: string; session: LiveSession }[] = [];
    for (const l of this.allListeners()) {
      if (listener !== undefined && l.config.name !== listener) continue;
      for (const session of l.mode.liveSessions()) out.push({ listener: l.config.name, session });
    }
    return out;
  }

  /** readiness is null when every listener is bound and warren is not shutting down, else why not (for /readyz). */
  readiness(): string | null {
    if (this.stopping) return "draining: warren is shutting down";
    for (const l of this.listeners.values()) if (!l.accepting) return `listener ${JSON.stringify(l.config.name)} is not accepting`;
    return null;
  }

  /**
   * reload applies a new config (parseConfig's result, or a raw object shaped like the config file,
   * validated first: ConfigErrors if invalid): new listeners start, removed ones stop accepting (their
   * sessions continue), kept ones — same name and address, or renamed on the same address
   * (matchListeners in server/reload.ts) — take the new settings and backends for new sessions (live sessions keep the settings they started with).
   * If a new listener cannot bind, or a kept listener's mode or pool framer would change
   * (RELOAD_REJECTED), nothing changes and the error is thrown. A custom framer must be prepared first
   * (prepareFramers); built-in framers need nothing.
   */
  reload(input: WarrenConfig | unknown): void {
    if (this.closing !== null) throw new ProxyError("SHUTTING_DOWN", "internal", "cannot reload while shutting down");
    const next = asValidConfig(input); // a raw object is validated as startProxy does: ConfigErrors, not a TypeError
    if (next instanceof ConfigErrors) throw next;
    const kept = matchListeners(this.listeners, next.listeners);
    // Reject before changing anything: what a kept listener cannot take live (server/reload.ts).
    for (const [i, lc] of next.listeners.entries()) {
      const current = kept.get(lc);
      if (current === undefined) continue;
      const problem = unreloadable(current, lc, i);
      if (problem !== null) throw new ProxyError("RELOAD_REJECTED", "internal", `reload rejected: ${problem}`);
    }
    const keptListeners = new Set(kept.values());
    const started: Listener[] = [];
    try {
      for (const lc of next.listeners) {
        if (kept.has(lc)) continue;
        // Free the port first if a listener that is not kept holds it (moved to another address).
        if (lc.listen.port !== 0 || lc.listen.unix !== undefined) {
          for (const other of this.listeners.values()) if (!keptListeners.has(other) && holdsAddress(other, lc)) other.stopAccepting();
        }
        started.push(this.bind(lc));
      }
    } catch (err) {
      for (const l of started) l.stopAccepting();
      for (const l of this.listeners.values()) if (!l.accepting) l.listen();
      throw err;
    }
    // Listeners kept below resolve with the new [dns] from now on; queries out on the old client finish there.
    if (!this.dns.sameAs(next.dns)) this.dns = new DnsClient(next.dns);
    const listeners = new Map<string, Listener>();
    for (const lc of next.listeners) {
      const current = kept.get(lc);
      if (current === undefined) continue;
      if (current.config.name !== lc.name)
        this.log.info("listener renamed", { from: current.config.name, to: lc.name, address: current.address });
      current.update(lc, this.preambleOf(lc));
      listeners.set(lc.name, current);
    }
    for (const current of this.listeners.values()) {
      if (keptListeners.has(current)) continue;
      current.stopAccepting();
      this.retire(current);
    }
    for (const l of started) listeners.set(l.config.name, l);
    this.listeners.clear();
    for (const lc of next.listeners) this.listeners.set(lc.name, listeners.get(lc.name)!); // in the file's order
    this.config = next;
    const logProblem = this.ownLogger ? this.log.apply(next.log) : null; // level, format and log.file
    if (logProblem !== null) this.log.error("log.file not changed", { error: logProblem });
    // Live sessions keep the timeouts they started with, so the tick does not get coarser while they live.
    this.sweep.schedule(this.sessionCount > 0);
    for (const a of this.addresses) {
      this.log.info("listening", { listener: a.name, address: formatHostPort(a), backends: a.backends });
    }
  }

  /**
   * close stops accepting at once. Graceful: live sessions may finish on their own for up to
   * `drainTimeoutMs` (default: the config's), then the rest are closed. Not graceful: every session is
   * closed now.
   */
  close(options: { graceful?: boolean; drainTimeoutMs?: number } = {}): Promise<void> {
    const graceful = options.graceful ?? true;
    if (this.closing !== null) {
      // A forced close during a graceful one cuts the drain short.
      if (!graceful) for (const wake of this.idleWaiters.splice(0)) wake();
      return this.closing;
    }
    const drainMs = options.drainTimeoutMs ?? this.config.shutdown.drainTimeoutMs;
    for (const [name, l] of this.listeners) {
      l.stopAccepting();
      this.listeners.delete(name);
      this.retired.add(l);
    }
    this.stopping = true;
    // Clients with nothing in progress leave now (pooled ones with no reply owed); the others when done.
    if (graceful) for (const l of this.retired) l.mode.drain();
    this.closing = (async () => {
      if (graceful && this.sessionCount > 0) {
        this.log.info("draining", { sessions: this.sessionCount, drainTimeoutMs: drainMs });
        await this.waitIdle(drainMs);
      }
      for (const l of this.retired) l.mode.closeAll("SHUTDOWN");
      this.sweep.stop();
      this.dns.cancel(); // resolutions still out: nothing is left to apply them to
      if (this.ownLogger) this.log.close(); // a log.file this server opened
    })();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close({ graceful: false });
  }

  private bind(lc: ListenerConfig): Listener {
    const l = new Listener(lc, this.log, MODES[lc.mode], this.events, this.preambleOf(lc), () => this.dns);
    l.reusePort = this.options.reusePort === true;
    try {
      l.listen();
    } catch (err) {
      const code = listenErrorCode(err);
      throw new ProxyError(code, "internal", `listener "${lc.name}": cannot listen on ${formatHostPort(lc.listen)}: ${code}`, {
        cause: err,
      });
    }
    return l;
  }

  private preambleOf(lc: ListenerConfig): Preamble | null {
    return (this.options.preambleFor ?? preambleFor)(lc);
  }

  private retire(l: Listener): void {
    if (l.liveCount > 0) this.retired.add(l);
    // A removed listener drains: pooled clients get the replies they wait for, then leave.
    l.mode.drain();
  }

  private *allListeners(): Iterable<Listener> {
    yield* this.listeners.values();
    yield* this.retired;
  }

  /** onEnded: a client of `l` ended: one access-log line, then forget a drained retired listener, wake a waiting close. */
  private onEnded(l: Listener, r: SessionRecord): void {
    if (this.config.log.access) writeAccessLine(this.log, l, r);
    if (l.liveCount === 0 && this.retired.has(l) && !this.stopping) this.retired.delete(l);
    if (this.idleWaiters.length > 0 && this.sessionCount === 0) {
      for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  private waitIdle(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

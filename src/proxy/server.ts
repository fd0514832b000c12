import { formatHostPort } from "../config/host-port.ts";
import type { ListenerConfig, WarrenConfig } from "../config/schema.ts";
import { asValidConfig } from "../config/validate.ts";
import { ConfigErrors, ProxyError } from "../errors.ts";
import { Logger } from "../log.ts";
import type { PoolClient } from "../pool/client.ts";
import { unreloadable } from "../pool/reload.ts";
import { ListenerRuntime } from "./listener.ts";
import { holdsAddress } from "./reload-match.ts";
import { END_OK, type Session } from "./session.ts";
import type { ProxyStats } from "./stats.ts";
import { sweepIntervalMs, sweepTimeouts } from "./sweeper.ts";

/** One listening address as reported after start. */
export interface ListeningAddress {
  name: string;
  host: string;
  port: number;
  backends: string[];
}

/**
 * ProxyServer owns the listeners, the timeout sweep and the access log. It is
 * what `startProxy` returns: the library API used by the CLI and the tests.
 */
export class ProxyServer {
  private config: WarrenConfig;
  private readonly listeners = new Map<string, ListenerRuntime>();
  /** Listeners removed by a reload (or stopped by close) whose sessions still run. */
  private readonly retired = new Set<ListenerRuntime>();
  private sweepTimer: ReturnType<typeof setInterval> | null = null;
  private sweepEveryMs = 0;
  private closing: Promise<void> | null = null;
  /** Set when close starts (before `closing`): retired listeners are kept for the final stats. */
  private stopping = false;
  private idleWaiters: (() => void)[] = [];

  private constructor(
    config: WarrenConfig,
    readonly log: Logger,
    /** Whether the logger was made from the config (then a reload may change its level). */
    private readonly ownLogger: boolean,
  ) {
    this.config = config;
  }

  /** start binds every listener; if one cannot bind, the others are closed and it throws. */
  static start(config: WarrenConfig, log?: Logger): ProxyServer {
    const server = new ProxyServer(config, log ?? Logger.fromConfig(config.log), log === undefined);
    try {
      for (const lc of config.listeners) server.addListener(lc);
    } catch (err) {
      for (const l of server.listeners.values()) l.stopAccepting();
      if (log === undefined) server.log.close();
      throw err;
    }
    server.rescheduleSweep();
    return server;
  }

  /** The listening addresses (with the real port when the config said 0). */
  get addresses(): ListeningAddress[] {
    return [...this.listeners.values()].map((l) => ({
      name: l.config.name,
      host: l.server?.hostname ?? l.config.listen.host,
      port: l.server?.port ?? l.config.listen.port,
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
    return { sessions, sessionsTotal, bytesFromClients: fromClients, bytesFromBackends: fromBackends, errors, listeners };
  }

  /**
   * reload applies a new config (parseConfig's result, or a raw object shaped
   * like the config file, validated first: ConfigErrors if invalid): new
   * listeners start, removed ones stop accepting (their sessions continue),
   * kept ones — same name, same address (src/proxy/reload-match.ts) — take the
   * new settings and backends for new sessions. If a new listener cannot bind,
   * or a kept listener's mode or pool framer would change (RELOAD_REJECTED),
   * nothing changes and the error is thrown. A custom framer must be prepared
   * first (prepareFramers); built-in framers need nothing.
   */
  reload(input: WarrenConfig | unknown): void {
    if (this.closing !== null) throw new ProxyError("SHUTTING_DOWN", "internal", "cannot reload while shutting down");
    const next = asValidConfig(input); // a raw object is validated as startProxy does: ConfigErrors, not a TypeError
    if (next instanceof ConfigErrors) throw next;
    const nextByName = new Map(next.listeners.map((l) => [l.name, l]));
    // Reject before changing anything: a kept listener's mode and pool framer are fixed (src/pool/reload.ts).
    for (const [i, lc] of next.listeners.entries()) {
      const current = this.listeners.get(lc.name);
      if (current === undefined || !holdsAddress(current, lc)) continue;
      const problem = unreloadable(current.config, lc, i);
      if (problem !== null) throw new ProxyError("RELOAD_REJECTED", "internal", `reload rejected: ${problem}`);
    }
    const started: ListenerRuntime[] = [];
    try {
      for (const lc of next.listeners) {
        const current = this.listeners.get(lc.name);
        if (current !== undefined && holdsAddress(current, lc)) continue;
        // Free the port first if a listener that is not kept holds it (moved or renamed).
        if (lc.listen.port !== 0) {
          for (const other of this.listeners.values()) {
            const kept = nextByName.get(other.config.name);
            const keptAsIs = kept !== undefined && holdsAddress(other, kept);
            if (!keptAsIs && holdsAddress(other, lc)) other.stopAccepting();
          }
        }
        started.push(this.bind(lc));
      }
    } catch (err) {
      for (const l of started) l.stopAccepting();
      for (const l of this.listeners.values()) if (!l.accepting) l.listen();
      throw err;
    }
    for (const [name, current] of [...this.listeners]) {
      const lc = nextByName.get(name);
      if (lc !== undefined && holdsAddress(current, lc)) {
        current.update(lc);
        continue;
      }
      current.stopAccepting();
      this.listeners.delete(name);
      this.retire(current);
    }
    for (const l of started) this.listeners.set(l.config.name, l);
    this.config = next;
    const logProblem = this.ownLogger ? this.log.apply(next.log) : null; // level, format and log.file
    if (logProblem !== null) this.log.error("log.file not changed", { error: logProblem });
    this.rescheduleSweep();
    for (const a of this.addresses) {
      this.log.info("listening", { listener: a.name, address: formatHostPort(a), backends: a.backends });
    }
  }

  /**
   * close stops accepting at once. Graceful: live sessions may finish on their
   * own for up to `drainTimeoutMs` (default: the config's), then the rest are
   * closed. Not graceful: every session is closed now.
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
    // Pooled clients with nothing in flight leave now; the others once their replies are in.
    if (graceful) for (const l of this.retired) l.pool?.drain();
    this.closing = (async () => {
      if (graceful && this.sessionCount > 0) {
        this.log.info("draining", { sessions: this.sessionCount, drainTimeoutMs: drainMs });
        await this.waitIdle(drainMs);
      }
      for (const l of this.retired) l.closeAll("SHUTDOWN");
      if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
      this.sweepTimer = null;
      if (this.ownLogger) this.log.close(); // a log.file this server opened
    })();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close({ graceful: false });
  }

  private addListener(lc: ListenerConfig): void {
    this.listeners.set(lc.name, this.bind(lc));
  }

  private bind(lc: ListenerConfig): ListenerRuntime {
    const l: ListenerRuntime = new ListenerRuntime(
      lc,
      this.log,
      (s) => this.onSessionFinished(s),
      (c) => this.onPoolClientFinished(l, c),
    );
    try {
      l.listen();
    } catch (err) {
      const code = (err as { code?: string }).code ?? "LISTEN_FAILED";
      throw new ProxyError(code, "internal", `listener "${lc.name}": cannot listen on ${formatHostPort(lc.listen)}: ${code}`, {
        cause: err,
      });
    }
    return l;
  }

  private retire(l: ListenerRuntime): void {
    if (l.liveCount > 0) this.retired.add(l);
    // A removed pooled listener drains: its clients get the replies they wait for, then leave.
    l.pool?.drain();
  }

  private *allListeners(): Iterable<ListenerRuntime> {
    yield* this.listeners.values();
    yield* this.retired;
  }

  private onSessionFinished(s: Session): void {
    if (this.config.log.access) {
      const failed = s.endCode !== END_OK;
      const fields = {
        session: s.id,
        listener: s.listener.config.name,
        client: `${s.clientAddress}:${s.clientPort}`,
        backend: s.target?.key ?? null,
        bytesFromClient: s.bytesFromClient,
        bytesFromBackend: s.bytesFromBackend,
        durationMs: Math.round(s.endedAt - s.startedAt),
        end: s.endCode,
        side: s.endSide,
        firstFin: s.firstFin,
      };
      if (failed) this.log.warn("session failed", fields);
      else this.log.info("session", fields);
    }
    this.onIdleMaybe(s.listener);
  }

  /** A pooled client left: one access-log line, as for a tunnel session, then the idle check. */
  private onPoolClientFinished(l: ListenerRuntime, c: PoolClient): void {
    if (this.config.log.access) {
      const fields = {
        session: c.id,
        listener: l.config.name,
        mode: "pool",
        client: c.address,
        clientPort: c.port,
        bytesFromClient: c.bytesIn,
        bytesToClient: c.bytesOut,
        durationMs: Math.round(performance.now() - c.startedAt),
        end: c.endCode,
        side: c.endSide,
        failedRequests: c.failedRequests,
        lastFailure: c.lastFailure,
      };
      if (c.endCode === END_OK) this.log.info("pooled session", fields);
      else this.log.warn("pooled session failed", fields);
    }
    this.onIdleMaybe(l);
  }

  /** onIdleMaybe: a session or pooled client ended; forget a drained retired listener, wake a waiting close. */
  private onIdleMaybe(l: ListenerRuntime): void {
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

  private rescheduleSweep(): void {
    const every = sweepIntervalMs(this.allListeners());
    if (this.sweepTimer !== null && every === this.sweepEveryMs) return;
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    this.sweepEveryMs = every;
    this.sweepTimer = setInterval(() => {
      const now = performance.now();
      for (const l of this.allListeners()) sweepTimeouts(l, now);
    }, every);
    this.sweepTimer.unref();
  }
}

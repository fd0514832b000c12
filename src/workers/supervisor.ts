import type { Subprocess } from "bun";
import type { CliArgs } from "../cli/args.ts";
import { configDir, type Prepared, prepareRun } from "../cli/prepare.ts";
import { statsSummary } from "../cli/stats-line.ts";
import { ConfigErrors } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { ProxyStats } from "../stats.ts";
import type { ProcessSample } from "../metrics/process.ts";
import type { AdminState } from "../balance/backend.ts";
import type { AdminError } from "../admin/runtime.ts";
import { configErrorBody } from "../cli/reload-run.ts";
import { aggregateStats } from "../util/aggregate-stats.ts";
import { type FromWorker, type ToWorker, WORKER_ENV } from "./messages.ts";

/** A worker that dies is restarted after RESTART_MIN_MS, doubling each time it dies again soon, up to RESTART_MAX_MS. */
export const RESTART_MIN_MS = 100;
export const RESTART_MAX_MS = 10_000;
/** A worker that ran this long before dying starts the backoff over. */
const STABLE_MS = 10_000;
/** How long the supervisor waits for every worker's answer (start, reload, stats). */
const ANSWER_MS = 15_000;

/** Where one worker slot is: its process (null while waiting to restart), and its backoff. */
class Slot {
  proc: Subprocess<"ignore", "inherit", "inherit"> | null = null;
  pid = 0;
  startedAt = 0;
  restarts = 0;
  backoffMs = 0;
  timer: ReturnType<typeof setTimeout> | null = null;
  constructor(readonly index: number) {}
}

/** The command that runs this program again: a compiled binary is its own entry point. */
function selfCommand(): string[] {
  return Bun.main.startsWith("/$bunfs/") ? [process.execPath] : [process.execPath, Bun.main];
}

/**
 * Supervisor runs `workers` worker processes (src/workers/worker.ts), each serving every listener on the
 * same ports with SO_REUSEPORT, and owns everything that is one per warren: the signals, reloads (the
 * config is validated once here, then every worker reloads, all or none), the stats of the group, and
 * restarting a worker that dies (with exponential backoff, logged with its exit status).
 */
export class Supervisor {
  private readonly slots: Slot[];
  private current: Prepared;
  private stopping = false;
  private graceful = true;
  private nextId = 0;
  private readonly waiting = new Map<number, { left: Set<number>; answers: Map<number, FromWorker>; done: () => void }>();
  private resolveExit: ((code: number) => void) | null = null;

  constructor(
    private readonly args: CliArgs,
    prepared: Prepared,
    private readonly log: Logger,
  ) {
    this.current = prepared;
    this.slots = Array.from({ length: prepared.config.workers }, (_, i) => new Slot(i));
  }

  get workers(): number {
    return this.slots.length;
  }

  /** The pids of the running workers, by worker index (0 while one is restarting). */
  get pids(): number[] {
    return this.slots.map((s) => s.pid);
  }

  /** start spawns every worker and resolves once all have bound their listeners, or with the first failure. */
  async start(): Promise<{ exitCode: number; error: string } | null> {
    const results = await Promise.all(this.slots.map((slot) => this.spawn(slot)));
    const failed = results.find((r) => r !== null) ?? null;
    if (failed !== null) {
      this.stopping = true;
      for (const slot of this.slots) slot.proc?.kill("SIGKILL");
    }
    return failed;
  }

  /** run installs the signal handlers and resolves with the exit code once every worker has stopped. */
  run(): Promise<number> {
    const stop = (signal: string): void => {
      if (this.stopping) {
        this.log.warn("second signal: closing every session now", { signal });
        this.graceful = false;
        this.broadcast({ type: "stop", graceful: false });
        return;
      }
      this.stopping = true;
      this.log.info("shutting down", { signal, workers: this.workers });
      this.broadcast({ type: "stop", graceful: true });
      void this.waitAllExited().then(() => {
        this.log.info("stopped");
        this.resolveExit?.(0);
      });
    };
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGHUP", () => {
      if (!this.stopping) void this.reload();
    });
    process.on("SIGUSR1", () => {
      const problem = this.log.reopen();
      if (problem !== null) this.log.error("cannot reopen the log file", { error: problem });
      this.broadcast({ type: "reopen-log" });
    });
    process.on("SIGUSR2", () => {
      void this.stats().then((s) => {
        if (s !== null)
          this.log.info("stats", {
            ...statsSummary(s.total, performance.now() - this.startedAt),
            workers: s.perWorker.map((w) => ({ worker: w.worker, sessions: w.stats.sessions, sessionsTotal: w.stats.sessionsTotal })),
          });
      });
    });
    return new Promise<number>((resolve) => {
      this.resolveExit = resolve;
    });
  }

  private readonly startedAt = performance.now();

  /** stats asks every running worker for its stats: their sum, and each one's (with its process figures). */
  async stats(): Promise<{ total: ProxyStats; perWorker: { worker: number; stats: ProxyStats; process: ProcessSample }[] } | null> {
    const answers = await this.request((id) => ({ type: "stats", id }));
    // In worker order, whatever order the answers came in; a worker restarting just now is left out.
    const perWorker = [...answers]
      .sort(([a], [b]) => a - b)
      .flatMap(([index, a]) => (a.type === "stats" ? [{ worker: index, stats: a.stats, process: a.process }] : []));
    return perWorker.length === 0 ? null : { total: aggregateStats(perWorker.map((w) => w.stats)), perWorker };
  }

  /** request sends one question to every running worker (a fresh id each time) and resolves with their answers, by worker index. */
  request(make: (id: number) => ToWorker): Promise<Map<number, FromWorker>> {
    const id = ++this.nextId;
    return this.ask(id, make(id));
  }

  /** Backend states set over the admin API, by listener and address: a worker that restarts gets them again. */
  private readonly adminStates = new Map<string, { listener: string; address: string; state: AdminState }>();

  /**
   * setBackendState has every worker set a backend's admin state; the first error any worker gives is
   * the answer (they all run the same config, so they agree). Remembered for workers that restart.
   */
  async setBackendState(listener: string, address: string, state: AdminState): Promise<{ backends: number } | AdminError> {
    const answers = await this.request((id) => ({ type: "backend-state", id, listener, address, state }));
    let backends = 0;
    for (const a of answers.values()) {
      if (a.type !== "backend-state") continue;
      if ("code" in a.result) return a.result;
      backends += a.result.backends;
    }
    if (answers.size === 0) return { code: "NO_WORKERS", message: "no worker is running just now (restarting); try again" };
    const key = `${listener}\0${address}`;
    if (state === "ready") this.adminStates.delete(key);
    else this.adminStates.set(key, { listener, address, state });
    return { backends };
  }

  /** Whether SIGTERM (or SIGINT) has started the drain, for /readyz. */
  get isStopping(): boolean {
    return this.stopping;
  }

  /** Workers running now. */
  get running(): number {
    return this.slots.filter((s) => s.proc !== null && s.pid !== 0).length;
  }

  /**
   * reload re-reads the config, validates it once, and has every worker apply it. All or none: if one
   * worker rejects it, the others are given the running config back.
   */
  async reload(): Promise<{ listeners: string[] } | AdminError> {
    const next = await prepareRun(this.args);
    if (next instanceof ConfigErrors) {
      this.log.error("reload rejected: config invalid, keeping the running config", {
        source: next.source,
        errors: next.errors.map((e) => e.message),
      });
      if (!this.log.json) process.stderr.write(`${next.message}\n`);
      return configErrorBody(next);
    }
    if (next.config.workers !== this.workers) {
      this.log.error("reload rejected: workers cannot change on reload; restart warren to change it", {
        running: this.workers,
        new: next.config.workers,
      });
      return {
        code: "RELOAD_REJECTED",
        message: `workers cannot change on reload (running ${this.workers}, the file says ${next.config.workers}); restart warren to change it`,
      };
    }
    const id = ++this.nextId;
    const baseDir = configDir(this.args.configPath);
    const answers = await this.ask(id, { type: "reload", id, input: next.input, source: next.source, baseDir });
    const failed = [...answers].filter(([, a]) => a.type !== "reloaded" || a.error !== null);
    if (failed.length > 0) {
      const errors = failed.map(([i, a]) => ({ worker: i, error: a.type === "reloaded" ? a.error : "no answer" }));
      const back = [...answers].filter(([, a]) => a.type === "reloaded" && a.error === null).map(([i]) => i);
      this.log.error("reload failed, keeping the running config in every worker", { errors });
      const undo = ++this.nextId;
      await this.ask(undo, { type: "reload", id: undo, input: this.current.input, source: this.current.source, baseDir }, back);
      return { code: "RELOAD_FAILED", message: errors.map((e) => `worker ${e.worker}: ${e.error}`).join("; ") };
    }
    this.current = next;
    const problem = this.log.apply(next.config.log);
    if (problem !== null) this.log.error("log.file not changed", { error: problem });
    this.log.info("reloaded", { workers: this.workers, listeners: next.config.listeners.map((l) => l.name) });
    return { listeners: next.config.listeners.map((l) => l.name) };
  }

  private spawn(slot: Slot): Promise<{ exitCode: number; error: string } | null> {
    return new Promise((resolve) => {
      let settled = false;
      const settle = (r: { exitCode: number; error: string } | null): void => {
        if (!settled) (settled = true), resolve(r);
      };
      const proc = Bun.spawn([...selfCommand(), ...process.argv.slice(2)], {
        env: { ...process.env, [WORKER_ENV]: `${slot.index}/${this.workers}` },
        stdio: ["ignore", "inherit", "inherit"],
        ipc: (m: FromWorker) => {
          if (m.type === "started") {
            slot.pid = m.pid;
            slot.startedAt = performance.now();
            if (slot.restarts > 0) this.log.info("worker restarted", { worker: slot.index, pid: m.pid, restarts: slot.restarts });
            else this.log.info("worker started", { worker: slot.index, pid: m.pid });
            // A restarted worker starts from the config: give it the backend states set at runtime (id 0: no answer awaited).
            for (const a of this.adminStates.values()) proc.send({ type: "backend-state", id: 0, ...a } satisfies ToWorker);
            return settle(null);
          }
          if (m.type === "failed") return settle({ exitCode: m.exitCode, error: `worker ${slot.index}: ${m.error}` });
          this.answer(slot.index, m);
        },
      });
      slot.proc = proc;
      proc.send({
        type: "start",
        index: slot.index,
        workers: this.workers,
        input: this.current.input,
        source: this.current.source,
        baseDir: configDir(this.args.configPath),
      } satisfies ToWorker);
      void proc.exited.then((code) => {
        settle({ exitCode: 1, error: `worker ${slot.index} exited (${code ?? proc.signalCode}) before it started` });
        this.onExit(slot, proc);
      });
    });
  }

  private onExit(slot: Slot, proc: Subprocess<"ignore", "inherit", "inherit">): void {
    if (slot.proc !== proc) return;
    slot.proc = null;
    slot.pid = 0;
    for (const w of this.waiting.values()) if (w.left.delete(slot.index) && w.left.size === 0) w.done();
    if (this.stopping) {
      this.checkAllExited();
      return;
    }
    const ran = performance.now() - slot.startedAt;
    slot.backoffMs =
      slot.startedAt > 0 && ran >= STABLE_MS
        ? RESTART_MIN_MS
        : Math.min(RESTART_MAX_MS, slot.backoffMs === 0 ? RESTART_MIN_MS : slot.backoffMs * 2);
    this.log.warn("worker exited; restarting", {
      worker: slot.index,
      pid: proc.pid,
      exitCode: proc.exitCode,
      signal: proc.signalCode,
      ranMs: Math.round(ran),
      restartInMs: slot.backoffMs,
    });
    slot.timer = setTimeout(() => {
      slot.timer = null;
      if (this.stopping) return;
      slot.restarts++;
      void this.spawn(slot).then((failed) => {
        if (failed !== null) this.log.error("worker failed to restart", { worker: slot.index, error: failed.error });
      });
    }, slot.backoffMs);
  }

  private readonly exitWaiters: (() => void)[] = [];

  private checkAllExited(): void {
    if (!this.slots.every((s) => s.proc === null)) return;
    for (const s of this.slots) if (s.timer !== null) clearTimeout(s.timer);
    for (const wake of this.exitWaiters.splice(0)) wake();
  }

  private waitAllExited(): Promise<void> {
    if (this.slots.every((s) => s.proc === null)) return Promise.resolve();
    return new Promise((resolve) => this.exitWaiters.push(resolve));
  }

  private broadcast(m: ToWorker): void {
    for (const s of this.slots) s.proc?.send(m);
  }

  /** ask sends `m` to the running workers (or `only` those) and resolves with their answers, by index, within ANSWER_MS. */
  private ask(id: number, m: ToWorker, only?: number[]): Promise<Map<number, FromWorker>> {
    const targets = this.slots.filter((s) => s.proc !== null && (only === undefined || only.includes(s.index)));
    return new Promise((resolve) => {
      const answers = new Map<number, FromWorker>();
      const left = new Set(targets.map((s) => s.index));
      const timer = setTimeout(() => done(), ANSWER_MS);
      const done = (): void => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(answers);
      };
      if (left.size === 0) return done();
      this.waiting.set(id, { left, answers, done });
      for (const s of targets) s.proc!.send(m);
    });
  }

  private answer(index: number, m: FromWorker): void {
    if (m.type !== "reloaded" && m.type !== "stats" && m.type !== "sessions" && m.type !== "backend-state") return;
    const w = this.waiting.get(m.id);
    if (w === undefined) return;
    w.answers.set(index, m);
    if (w.left.delete(index) && w.left.size === 0) w.done();
  }
}

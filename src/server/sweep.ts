import type { Listener } from "../listener/listener.ts";

/**
 * Sweep is the process's one timer for every timeout: connects, queues, idle sessions, lifetimes, pool
 * queues and pinned clients, health cool-downs. Each tick asks every listener (core, then its mode),
 * rather than keeping a timer per session or per pool. The tick is fine enough for the shortest timeout
 * configured (at most 10% late), between 10 ms and 1 s.
 */
export class Sweep {
  private timer: ReturnType<typeof setInterval> | null = null;
  private everyMs = 0;
  /*
   * The event loop's delay, measured on this timer rather than on one of its own: a tick that comes
   * later than its interval was held up by other work. The gauge is the largest lateness of the last
   * whole second (or of the last tick, when ticks are a second apart).
   */
  private lastTickAt = 0;
  private windowStartedAt = 0;
  private windowMaxMs = 0;
  private lastWindowMaxMs = 0;

  constructor(private readonly listeners: () => Iterable<Listener>) {}

  /**
   * schedule (re)starts the timer for the listeners' current timeouts. After a reload the tick only ever
   * gets finer while `keepFine` says sessions of the old settings live on (they keep their own limits).
   */
  schedule(keepFine: boolean): void {
    let every = intervalMs(this.listeners());
    if (keepFine && this.everyMs > 0) every = Math.min(every, this.everyMs);
    if (this.timer !== null && every === this.everyMs) return;
    this.stop();
    this.everyMs = every;
    this.lastTickAt = performance.now();
    this.windowStartedAt = this.lastTickAt;
    this.timer = setInterval(() => {
      const now = performance.now();
      this.noteTick(now);
      for (const l of this.listeners()) l.sweep(now);
    }, every);
    this.timer.unref();
  }

  /** The event loop's recent delay in ms: the largest lateness of this timer over the last second. */
  get loopDelayMs(): number {
    return Math.max(this.lastWindowMaxMs, this.windowMaxMs);
  }

  private noteTick(now: number): void {
    const lateMs = now - this.lastTickAt - this.everyMs;
    this.lastTickAt = now;
    if (lateMs > this.windowMaxMs) this.windowMaxMs = lateMs;
    if (now - this.windowStartedAt >= 1000) {
      this.lastWindowMaxMs = this.windowMaxMs;
      this.windowMaxMs = 0;
      this.windowStartedAt = now;
    }
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}

/** intervalMs picks a tick fine enough for the shortest timeout any listener enforces (≤10% late). */
export function intervalMs(listeners: Iterable<Listener>): number {
  let shortest = Infinity;
  for (const l of listeners) shortest = Math.min(shortest, l.shortestTimeoutMs());
  return Math.min(1000, Math.max(10, Math.floor(shortest / 10)));
}

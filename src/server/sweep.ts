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
    this.timer = setInterval(() => {
      const now = performance.now();
      for (const l of this.listeners()) l.sweep(now);
    }, every);
    this.timer.unref();
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

import type { Backend } from "../balance/backend.ts";
import type { Logger } from "../log.ts";
import { applyProbeResult } from "./active.ts";
import type { ActiveHealthConfig } from "../config/schema.ts";
import { GroupWatch } from "./group.ts";
import { type HealthContext, noteUp, reviveExpired } from "./passive.ts";
import { probe, type ProbeResult, type ProbeTls } from "./probe.ts";

/** Slot is the checker's schedule for one backend; a dropped slot ignores its in-flight probe. */
class Slot {
  timer: ReturnType<typeof setTimeout> | null = null;
  startedAt = 0;
  dropped = false;
  constructor(readonly backend: Backend) {}
}

/**
 * HealthChecker actively probes every backend of one group (one listener):
 * one probe per backend at a time, the next starting `intervalMs` after the
 * previous one started (or at once if it took longer), first probes spread
 * over one interval so a group is not probed in a burst. Verdicts follow the
 * rise/fall thresholds (applyProbeResult). The health state lives on the
 * Backend records, so a reload that keeps a record keeps its state.
 *
 * Probes run only between start() and stop() and while `cfg.enabled`; a
 * checker for a group without active checks costs nothing, so the proxy can
 * make one per listener unconditionally.
 */
export class HealthChecker {
  private backends: readonly Backend[];
  private cfg: ActiveHealthConfig;
  private readonly slots = new Map<Backend, Slot>();
  private started = false;
  readonly group = new GroupWatch();

  constructor(
    backends: readonly Backend[],
    cfg: ActiveHealthConfig,
    private readonly log: Logger,
    private readonly context: HealthContext,
    /** Bytes every probe sends first: the PROXY header (v2 LOCAL, v1 UNKNOWN) of a group with `sendProxy`. */
    private prefix: Uint8Array | null = null,
    /** TLS for the probes of a group with backendTls, or null. */
    private tls: ProbeTls | null = null,
  ) {
    this.backends = backends;
    this.cfg = cfg;
  }

  /** Whether probes are running now. */
  get running(): boolean {
    return this.slots.size > 0;
  }

  start(): void {
    this.started = true;
    this.reconcile(false);
  }

  /**
   * stop cancels every scheduled probe and hands the backends back to passive
   * health: active verdicts are cleared (nobody would ever lift them), quietly,
   * since the group is going away or being replaced. A probe in flight finishes
   * on its own within timeoutMs and its result is dropped.
   */
  stop(): void {
    this.started = false;
    this.reconcile(false);
  }

  /** Disposing stops the checker, so tests can write `using checker = …`. */
  [Symbol.dispose](): void {
    this.stop();
  }

  /**
   * update applies a reload: backends that stay keep their state and schedule,
   * new ones start healthy and are probed within one interval, removed ones are
   * released. Turning active checks off brings back up, with a log line, any
   * backend only the checker held down.
   */
  update(
    backends: readonly Backend[],
    cfg: ActiveHealthConfig,
    prefix: Uint8Array | null = this.prefix,
    tls: ProbeTls | null = this.tls,
  ): void {
    this.backends = backends;
    this.cfg = cfg;
    this.prefix = prefix;
    this.tls = tls;
    this.reconcile(true);
    this.group.observe(backends, this.log, this.context);
  }

  /**
   * sweep is the proxy's periodic call for this group: it returns passively
   * downed backends whose cooldown has passed (reviveExpired) and notices the
   * group going all down or coming back, also when only passive health runs.
   */
  sweep(now: number): void {
    reviveExpired(this.backends, now, this.log, this.context);
    this.group.observe(this.backends, this.log, this.context);
  }

  private reconcile(logReleases: boolean): void {
    const wanted = this.started && this.cfg.enabled ? this.backends : [];
    const keep = new Set(wanted);
    for (const [b, slot] of this.slots) {
      if (keep.has(b)) continue;
      this.slots.delete(b);
      slot.dropped = true;
      if (slot.timer !== null) clearTimeout(slot.timer);
      slot.timer = null;
      // A backend still in the group (checks turned off) deserves a line; a removed one does not.
      this.release(b, logReleases && this.backends.includes(b));
    }
    const n = wanted.length;
    for (let i = 0; i < n; i++) {
      const b = wanted[i]!;
      if (this.slots.has(b)) continue;
      const slot = new Slot(b);
      this.slots.set(b, slot);
      b.activeChecks = true;
      b.activeDown = false; // optimistic: up until `fall` failures
      b.checkSuccesses = 0;
      b.checkFailures = 0;
      this.schedule(slot, Math.floor((this.cfg.intervalMs * i) / n));
    }
  }

  private release(b: Backend, logIt: boolean): void {
    b.activeChecks = false;
    b.activeDown = false;
    b.checkSuccesses = 0;
    b.checkFailures = 0;
    if (!b.refreshHealthy() || !logIt) return;
    this.log.info("backend up", {
      listener: this.context.listener,
      backend: b.key,
      reason: "active checks turned off",
      source: "active",
    });
    noteUp(b, performance.now());
  }

  private schedule(slot: Slot, delayMs: number): void {
    const timer = setTimeout(runSlot, delayMs, this, slot);
    timer.unref(); // the listeners keep the process alive, not the health checks
    slot.timer = timer;
  }

  /** @internal run starts one probe of the slot's backend. */
  run(slot: Slot): void {
    slot.timer = null;
    if (slot.dropped) return;
    slot.startedAt = performance.now();
    void probe(slot.backend.address, this.cfg, this.prefix, this.tls).then((result) => this.finished(slot, result));
  }

  private finished(slot: Slot, result: ProbeResult): void {
    if (slot.dropped) return;
    const now = performance.now();
    applyProbeResult(slot.backend, result, this.cfg, now, this.log, this.context);
    this.group.observe(this.backends, this.log, this.context);
    this.schedule(slot, Math.max(0, this.cfg.intervalMs - (now - slot.startedAt)));
  }
}

function runSlot(checker: HealthChecker, slot: Slot): void {
  checker.run(slot);
}

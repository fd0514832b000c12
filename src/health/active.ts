import type { Backend } from "../balance/backend.ts";
import type { Logger } from "../log.ts";
import type { ActiveHealthConfig } from "../config/schema.ts";
import { type HealthContext, logDown, noteUp } from "./passive.ts";
import type { ProbeResult } from "./probe.ts";
import { nextState } from "./thresholds.ts";

/**
 * applyProbeResult records one probe of `b` and moves its active verdict by
 * the rise/fall thresholds, logging each change of `healthy` with its reason.
 * It also lifts a passive mark-down once `rise` probes in a row have passed
 * since the mark (noteConnectFailure resets the run), which is how a group
 * with active checks revives passively-downed backends. The HealthChecker
 * calls it; it is separate so the rules are tested without sockets or timers.
 */
export function applyProbeResult(
  b: Backend,
  result: ProbeResult,
  cfg: ActiveHealthConfig,
  now: number,
  log: Logger,
  context: HealthContext,
): void {
  b.checksTotal++;
  b.lastCheckAt = now;
  b.lastCheckOk = result.ok;
  if (result.ok) {
    b.lastCheckMs = result.ms;
    b.lastCheckReason = "ok";
  } else {
    b.checksFailed++;
    b.lastCheckMs = 0;
    b.lastCheckReason = result.reason;
  }
  const state = nextState({ up: !b.activeDown, successes: b.checkSuccesses, failures: b.checkFailures }, result.ok, cfg.rise, cfg.fall);
  b.checkSuccesses = state.successes;
  b.checkFailures = state.failures;
  b.activeDown = !state.up;
  if (b.passiveDown && state.successes >= cfg.rise) b.passiveDown = false;

  if (!b.refreshHealthy()) {
    if (!b.healthy && !result.ok) b.downReason = result.reason; // still down: keep the freshest cause
    return;
  }
  if (!b.healthy) {
    const reason = result.ok ? (b.downReason ?? "marked down") : result.reason;
    logDown(b, now, reason, log, context, { source: "active", consecutive: state.failures });
    return;
  }
  log.info("backend up", {
    listener: context.listener,
    backend: b.key,
    reason: "check passed",
    source: "active",
    consecutive: state.successes,
    ms: result.ok ? result.ms : 0,
    downForMs: Math.round(now - b.downSince),
  });
  noteUp(b, now);
}

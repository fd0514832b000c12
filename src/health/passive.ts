import type { Backend } from "../balance/backend.ts";
import type { Logger } from "../log.ts";
import type { PassiveHealthConfig } from "../config/schema.ts";

/** Where a health event happened, for the log line. */
export interface HealthContext {
  readonly listener: string;
}

/*
 * Passive health: the proxy reports the outcome of every backend connect of a
 * real session, and a backend whose connects keep failing is taken out of
 * rotation for a cooldown. These are plain functions over the Backend record
 * with the clock passed in, so the proxy's connect path pays two field writes
 * and tests need no sockets.
 */

/**
 * noteConnectFailure counts one failed backend connect (refused, reset, timed
 * out) and, at `cfg.failures` in a row, marks the backend down for
 * `cfg.cooldownMs`. It replaces the proxy's own `connectFailures++` and
 * `consecutiveFailures++`. While the backend is already down, failures of
 * connects that started before the mark-down are counted but change nothing.
 */
/**
 * logDown records why and since when a backend went down and writes the one
 * "backend down" line for that transition; passive and active marks share it.
 */
export function logDown(
  b: Backend,
  now: number,
  reason: string,
  log: Logger,
  context: HealthContext,
  fields: Record<string, unknown>,
): void {
  b.downReason = reason;
  b.downSince = now;
  b.downTransitions++;
  log.warn("backend down", { listener: context.listener, backend: b.key, reason, ...fields });
}

export function noteConnectFailure(
  b: Backend,
  cfg: PassiveHealthConfig,
  now: number,
  log: Logger,
  context: HealthContext,
  reason: string,
  /** The failure's code for metrics (ECONNREFUSED, CONNECT_TIMEOUT, …); the reason when that is a code already. */
  code: string = reason,
): void {
  b.connectFailures++;
  b.countConnectError(code);
  b.consecutiveFailures++;
  if (cfg.failures <= 0 || b.consecutiveFailures < cfg.failures || b.passiveDown) return;
  b.passiveDown = true;
  b.passiveDownUntil = now + cfg.cooldownMs;
  // With active checks on, the checker must see `rise` fresh successes before this mark is lifted.
  if (b.activeChecks) b.checkSuccesses = 0;
  const wasHealthy = b.healthy;
  b.refreshHealthy();
  if (!wasHealthy) return; // the checker already holds it down and logged why
  logDown(b, now, reason, log, context, {
    source: "passive",
    consecutive: b.consecutiveFailures,
    retry: b.activeChecks ? "after active checks pass" : `in ${cfg.cooldownMs} ms`,
  });
}

/**
 * noteConnectSuccess resets the run of connect failures. It does not lift a
 * passive mark-down: a connect that succeeds after the mark started before it.
 */
export function noteConnectSuccess(b: Backend): void {
  b.consecutiveFailures = 0;
}

/**
 * reviveExpired returns passively-downed backends whose cooldown has passed to
 * rotation; called from the proxy's periodic sweep. A revived backend keeps its
 * failure run, so it is on probation: its first failed connect marks it down
 * again rather than costing `failures` more clients. Backends under active
 * checks are skipped: their checker lifts the mark after `rise` good probes.
 * Returns how many backends came back up.
 */
export function reviveExpired(backends: readonly Backend[], now: number, log: Logger, context: HealthContext): number {
  let revived = 0;
  for (const b of backends) {
    if (!b.passiveDown || b.activeChecks || now < b.passiveDownUntil) continue;
    b.passiveDown = false;
    if (!b.refreshHealthy()) continue; // still held down by the active checker
    revived++;
    log.info("backend up", {
      listener: context.listener,
      backend: b.key,
      reason: "cooldown elapsed, retrying",
      source: "passive",
      downForMs: Math.round(now - b.downSince),
    });
    noteUp(b, now);
  }
  return revived;
}

/**
 * endCooldown lifts a passive mark-down at once. A pooled listener keeps reconnecting in the background,
 * so a connection that just connected and set up is proof the backend serves again: waiting out the
 * rest of the cool-down would refuse clients for nothing. (A tunnel connect cannot be taken as such
 * proof: it may have started before the mark-down.)
 */
export function endCooldown(b: Backend, now: number, log: Logger, context: HealthContext): void {
  if (!b.passiveDown) return;
  b.passiveDown = false;
  b.passiveDownUntil = 0;
  if (!b.refreshHealthy()) return; // still held down by the active checker
  log.info("backend up", {
    listener: context.listener,
    backend: b.key,
    reason: "pooled connection established",
    source: "passive",
    downForMs: Math.round(now - b.downSince),
  });
  noteUp(b, now);
}

/**
 * markDownNow takes a backend out of rotation for `cfg.cooldownMs` at once, without waiting for
 * `cfg.failures` in a row: used when the failure is not a blip (a pooled connection's AUTH was refused),
 * so every further attempt would fail the same way.
 */
export function markDownNow(
  b: Backend,
  cfg: PassiveHealthConfig,
  now: number,
  log: Logger,
  context: HealthContext,
  reason: string,
  code = "SETUP_FAILED",
): void {
  b.connectFailures++;
  b.countConnectError(code);
  b.consecutiveFailures++;
  b.passiveDownUntil = now + cfg.cooldownMs;
  if (b.passiveDown) return;
  b.passiveDown = true;
  if (b.activeChecks) b.checkSuccesses = 0;
  const wasHealthy = b.healthy;
  b.refreshHealthy();
  if (!wasHealthy) return;
  logDown(b, now, reason, log, context, {
    source: "passive",
    retry: b.activeChecks ? "after active checks pass" : `in ${cfg.cooldownMs} ms`,
  });
}

/** noteUp closes a backend's outage: its time down is added to downtimeMsTotal, and the reason cleared. Every down → up transition calls it once. */
export function noteUp(b: Backend, now: number): void {
  if (b.downSince > 0) b.downtimeMsTotal += Math.max(0, now - b.downSince);
  b.downReason = null;
}

import { sweepPool } from "../pool/sweep.ts";
import { retryOrFail } from "./dispatch.ts";
import { finishSession } from "./lifecycle.ts";
import type { ListenerRuntime } from "./listener.ts";
import { SessionState } from "./session.ts";

/**
 * sweepTimeouts enforces connect, idle and lifetime limits for every session
 * of a listener. It runs on one coarse interval for the whole process rather
 * than a timer per session, and it costs the data path nothing: idleness is
 * seen as "the session's byte total has not changed since the last sweep".
 */
export function sweepTimeouts(listener: ListenerRuntime, now: number): void {
  const cfg = listener.config;
  listener.health.sweep(now); // passive cool-downs end, group outage/recovery is logged
  if (listener.waiting.length > 0) listener.onSlotFreed(); // a revived backend may take queued clients
  if (listener.pool !== null) sweepPool(listener.pool, now);
  for (const s of listener.sessions) {
    if (s.state === SessionState.Connecting) {
      if (now - s.phaseStartedAt >= cfg.connectTimeoutMs) retryOrFail(s, "CONNECT_TIMEOUT");
      continue;
    }
    if (s.state === SessionState.Queued) {
      if (now - s.phaseStartedAt >= cfg.queueTimeoutMs) {
        listener.counters.queueTimeouts++;
        finishSession(s, "QUEUE_TIMEOUT", "internal");
      }
      continue;
    }
    if (cfg.maxLifetimeMs > 0 && now - s.startedAt >= cfg.maxLifetimeMs) {
      finishSession(s, "LIFETIME_EXCEEDED", "internal");
      continue;
    }
    if (cfg.idleTimeoutMs > 0) {
      const activity = s.bytesFromClient + s.bytesFromBackend;
      if (activity !== s.lastActivity) {
        s.lastActivity = activity;
        s.idleSince = now;
      } else if (now - s.idleSince >= cfg.idleTimeoutMs) {
        finishSession(s, "IDLE_TIMEOUT", "internal");
      }
    }
  }
}

/** sweepIntervalMs picks a tick fine enough for the shortest configured timeout (≤10% late). */
export function sweepIntervalMs(listeners: Iterable<ListenerRuntime>): number {
  let shortest = Infinity;
  for (const l of listeners) {
    const c = l.config;
    shortest = Math.min(shortest, c.connectTimeoutMs, c.queueTimeoutMs);
    if (c.idleTimeoutMs > 0) shortest = Math.min(shortest, c.idleTimeoutMs);
    if (c.maxLifetimeMs > 0) shortest = Math.min(shortest, c.maxLifetimeMs);
    if (c.pool !== null && c.pool.pinnedIdleTimeoutMs > 0) shortest = Math.min(shortest, c.pool.pinnedIdleTimeoutMs);
    if (c.pool !== null && c.pool.replyTimeoutMs > 0) shortest = Math.min(shortest, c.pool.replyTimeoutMs);
  }
  return Math.min(1000, Math.max(10, Math.floor(shortest / 10)));
}

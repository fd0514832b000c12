import { finishSession } from "./lifecycle.ts";
import { retryOrFail } from "./dispatch.ts";
import type { TunnelMode } from "./mode.ts";

/**
 * sweepSessions enforces connect, queue, idle and lifetime limits for every session of a tunnel
 * listener, each by the settings the session started with. It runs on one coarse interval for the
 * whole process rather than a timer per session, and it costs the data path nothing: idleness is seen
 * as "the session's byte total has not changed since the last sweep".
 */
export function sweepSessions(mode: TunnelMode, now: number): void {
  for (const s of mode.sessions) {
    const cfg = s.config;
    if (s.state === "connecting") {
      if (now - s.phaseStartedAt >= cfg.connectTimeoutMs) retryOrFail(s, "CONNECT_TIMEOUT");
      continue;
    }
    if (s.state === "queued") {
      if (now - s.phaseStartedAt >= cfg.queueTimeoutMs) {
        mode.listener.counters.queueTimeouts++;
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

import type { PoolRuntime } from "./runtime.ts";
import { closeClient } from "./pump.ts";

/**
 * sweepPoolClients applies the listener's idleTimeoutMs and maxLifetimeMs to
 * pooled clients, on the server's coarse sweep, the way sweepTimeouts does for
 * tunnel sessions: idle means no byte moved either way between the client and
 * warren for idleTimeoutMs (a client blocked in BLPOP counts as idle, as a
 * quiet tunnel session does). A client closed with replies outstanding gives
 * its connection up as clientGone decides (closed if owned, replies dropped if shared).
 */
export function sweepPoolClients(runtime: PoolRuntime, now: number): void {
  const cfg = runtime.listener.config;
  if (cfg.idleTimeoutMs <= 0 && cfg.maxLifetimeMs <= 0) return;
  for (const c of runtime.clients) {
    if (cfg.maxLifetimeMs > 0 && now - c.startedAt >= cfg.maxLifetimeMs) {
      c.endCode = "LIFETIME_EXCEEDED";
      closeClient(c);
      continue;
    }
    if (cfg.idleTimeoutMs <= 0) continue;
    const activity = c.bytesIn + c.bytesOut;
    if (activity !== c.lastActivity) {
      c.lastActivity = activity;
      c.idleSince = now;
    } else if (now - c.idleSince >= cfg.idleTimeoutMs) {
      c.endCode = "IDLE_TIMEOUT";
      closeClient(c);
    }
  }
}

import type { ProxyStats } from "../stats.ts";

/**
 * statsSummary is what SIGUSR2 logs: one line with the totals and, per
 * listener, its live and total sessions, refused clients and healthy
 * backends. The full picture is `proxy.stats()` in the library API.
 */
export function statsSummary(stats: ProxyStats, uptimeMs: number): Record<string, unknown> {
  const listeners: Record<string, unknown> = {};
  for (const l of stats.listeners) {
    const refused = Object.values(l.rejected).reduce((a, b) => a + b, 0);
    const up = l.backends.filter((b) => b.healthy && !b.drain).length;
    listeners[l.name] = {
      accepting: l.accepting,
      sessions: l.sessions,
      sessionsTotal: l.sessionsTotal,
      refused,
      backendsUp: `${up}/${l.backends.length}`,
    };
  }
  return {
    uptimeS: Math.round(uptimeMs / 1000),
    sessions: stats.sessions,
    sessionsTotal: stats.sessionsTotal,
    bytesFromClients: stats.bytesFromClients,
    bytesFromBackends: stats.bytesFromBackends,
    errors: stats.errors,
    listeners,
  };
}

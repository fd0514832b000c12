import { stateOf } from "../metrics/render.ts";
import type { HistogramStats, ProxyStats } from "../stats.ts";

/**
 * DashboardSnapshot is what the dashboard's event stream sends each second: just the figures it draws,
 * cumulative (the page turns counters into rates), so a missed event loses nothing.
 */
export interface DashboardSnapshot {
  readonly time: number;
  readonly listeners: readonly {
    readonly name: string;
    readonly address: string;
    readonly sessions: number;
    readonly sessionsTotal: number;
    readonly bytesFromClients: number;
    readonly bytesFromBackends: number;
    readonly ends: Record<string, number>;
    readonly backends: readonly {
      readonly address: string;
      readonly state: string;
      readonly adminState: string;
      readonly active: number;
      readonly sessionsTotal: number;
      readonly errors: number;
      /** Mean connect time so far, in ms (null before the first connect). */
      readonly connectMs: number | null;
    }[];
    readonly pool: readonly {
      readonly address: string;
      readonly inUse: number;
      readonly idle: number;
      readonly waiters: number;
      readonly waitMs: number | null;
    }[];
  }[];
}

const meanMs = (h: HistogramStats): number | null => (h.count === 0 ? null : (h.sum / h.count) * 1000);

export function dashboardSnapshot(s: ProxyStats): DashboardSnapshot {
  const seen = new Set<string>();
  return {
    time: Date.now(),
    listeners: s.listeners.flatMap((l) => {
      if (seen.has(l.name)) return []; // a retired listener under a reused name: the live one is first
      seen.add(l.name);
      return [
        {
          name: l.name,
          address: l.address,
          sessions: l.sessions,
          sessionsTotal: l.sessionsTotal,
          bytesFromClients: l.bytesFromClients,
          bytesFromBackends: l.bytesFromBackends,
          ends: l.ends,
          backends: l.backends.map((b) => ({
            address: b.address,
            state: stateOf(b),
            adminState: b.adminState,
            active: b.active,
            sessionsTotal: b.sessionsTotal,
            errors: b.connectFailures,
            connectMs: meanMs(b.connectDuration),
          })),
          pool: (l.pool?.backends ?? []).map((p) => ({
            address: p.address,
            inUse: p.inUse,
            idle: p.idle,
            waiters: p.waiters,
            waitMs: meanMs(p.waitDuration),
          })),
        },
      ];
    }),
  };
}

import type { BackendConfig, ListenerConfig, PoolConfig, WarrenConfig } from "../config/schema.ts";
import { trustDerived } from "../config/validate.ts";

/**
 * shareOf is worker `index`'s part of a total split across `workers`: floor(total / workers), and one
 * more for the first (total mod workers) workers, so the parts add up to the total exactly. 0 (no limit)
 * stays 0. Validation (config/validate-workers.ts) has made sure a non-zero total gives each at least 1.
 */
export function shareOf(total: number, index: number, workers: number): number {
  if (total === 0 || workers <= 1) return total;
  return Math.floor(total / workers) + (index < total % workers ? 1 : 0);
}

/**
 * workerConfig is the config worker `index` of `workers` runs: the same listeners and settings, with
 * every total in SPLIT_LIMITS replaced by its share, so the process group as a whole never exceeds what
 * the file says (Redis never sees more pooled connections than maxPerBackend). A pool's pin cap is
 * split too, and kept below the worker's own maxPerBackend so each worker keeps a shared connection.
 */
export function workerConfig(config: WarrenConfig, index: number, workers: number): WarrenConfig {
  if (workers <= 1) return config;
  const share = (n: number): number => shareOf(n, index, workers);
  const listeners = config.listeners.map(
    (l): ListenerConfig => ({
      ...l,
      maxConnections: share(l.maxConnections),
      maxConnectionsPerClient: share(l.maxConnectionsPerClient),
      maxConnectingPerBackend: share(l.maxConnectingPerBackend),
      queueSize: share(l.queueSize),
      backends: l.backends.map((b): BackendConfig => ({ ...b, maxConnections: share(b.maxConnections) })),
      routes: l.routes.map((r) => ({
        ...r,
        backends: r.backends.map((b): BackendConfig => ({ ...b, maxConnections: share(b.maxConnections) })),
      })),
      pool: l.pool === null ? null : poolShare(l.pool, share),
    }),
  );
  return trustDerived({ ...config, listeners });
}

function poolShare(p: PoolConfig, share: (n: number) => number): PoolConfig {
  const maxPerBackend = share(p.maxPerBackend);
  return {
    ...p,
    maxPerBackend,
    minIdlePerBackend: Math.min(maxPerBackend, share(p.minIdlePerBackend)),
    queueSize: share(p.queueSize),
    maxPinnedPerBackend: Math.min(share(p.maxPinnedPerBackend), Math.max(0, maxPerBackend - 1)),
    maxPinnedPerClient: share(p.maxPinnedPerClient),
  };
}

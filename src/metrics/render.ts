import type { BackendStats, ListenerStats, ProxyStats } from "../stats.ts";
import { DENIED_REASONS, METRICS, POOL_CONNECTION_STATES, SERVER_STATES, type ServerState } from "./names.ts";
import { type ProcessSample, sampleProcess } from "./process.ts";
import { labelPairs, TextWriter } from "./text.ts";
import { aggregateStats } from "../util/aggregate-stats.ts";

/** RenderOptions: how a scrape is labelled. */
export interface RenderOptions {
  /**
   * Add `worker="<index>"` to every listener, backend and server series, when this process is one of
   * several workers (WARREN_WORKER, src/workers), so each worker's series stay apart. Default false.
   */
  perWorker?: boolean;
}

/** What one exposition is made from: the proxy's stats and the process's figures, both read at scrape time. */
export interface MetricsSnapshot {
  readonly stats: ProxyStats;
  readonly process: ProcessSample;
  /** An extra label for every listener, backend and server series (e.g. worker="1"), or none. */
  readonly extraLabels?: { readonly names: readonly string[]; readonly values: readonly string[] };
  /**
   * Several stats in one exposition, each with its own extra labels (a supervisor's `?per_worker=1`:
   * one part per worker, labelled worker="i"); each family is written once with every part's series.
   * When given, `stats` and `extraLabels` are used only for the process families.
   */
  readonly parts?: readonly {
    readonly stats: ProxyStats;
    readonly extraLabels: { readonly names: readonly string[]; readonly values: readonly string[] };
  }[];
}

/**
 * renderMetrics is the body of `GET /metrics` (text format 0.0.4, served as CONTENT_TYPE): the server's
 * stats() and this process's figures, rendered now. Nothing is kept between scrapes: counters are the
 * fields the data path increments, histograms the buckets it observes.
 */
export function renderMetrics(server: { stats(): ProxyStats }, opts: RenderOptions = {}): string {
  const worker = opts.perWorker === true ? workerIndex() : null;
  return renderSnapshot({
    stats: server.stats(),
    process: sampleProcess(),
    ...(worker === null ? {} : { extraLabels: { names: ["worker"], values: [worker] } }),
  });
}

/** The index of this worker process ("1" of WARREN_WORKER="1/4"), or null when warren runs as one process. */
function workerIndex(): string | null {
  const env = process.env.WARREN_WORKER;
  if (env === undefined || env === "") return null;
  return env.split("/")[0] ?? null;
}

/** A listener's labels, and each of its servers', rendered once per scrape. */
interface Labelled {
  readonly l: ListenerStats;
  readonly labels: string;
  readonly servers: readonly { readonly b: BackendStats; readonly labels: string }[];
}

/** renderSnapshot renders one exposition from a snapshot (a supervisor can pass its workers' aggregated stats). */
export function renderSnapshot(snap: MetricsSnapshot): string {
  const listeners: Labelled[] = [];
  for (const part of snap.parts ?? [{ stats: snap.stats, extraLabels: snap.extraLabels }]) {
    const extraNames = part.extraLabels?.names ?? [];
    const extraValues = part.extraLabels?.values ?? [];
    const seen = new Set<string>();
    for (const l of part.stats.listeners) {
      // A listener retired by a reload may share its name with the one that replaced it: the live one is listed first and wins.
      if (seen.has(l.name)) continue;
      seen.add(l.name);
      const labels = labelPairs(["proxy", ...extraNames], [l.name, ...extraValues]);
      const servers = serversOf(l).map((b) => ({
        b,
        labels: labelPairs(["proxy", "server", ...extraNames], [l.name, b.address, ...extraValues]),
      }));
      listeners.push({ l, labels, servers });
    }
  }
  const w = new TextWriter();
  frontend(w, listeners);
  backend(w, listeners);
  servers(w, listeners);
  pools(w, listeners);
  processFamilies(w, snap);
  return w.text();
}

function frontend(w: TextWriter, listeners: readonly Labelled[]): void {
  const each = (m: (typeof METRICS)[keyof typeof METRICS], value: (l: ListenerStats) => number): void => {
    w.family(m);
    for (const { l, labels } of listeners) w.sample(m.name, labels, value(l));
  };
  each(METRICS.frontendCurrentSessions, (l) => l.sessions);
  each(METRICS.frontendSessionsTotal, (l) => l.sessionsTotal);
  each(METRICS.frontendBytesIn, (l) => l.bytesFromClients);
  each(METRICS.frontendBytesOut, (l) => l.bytesFromBackends);
  each(METRICS.frontendLimitSessions, (l) => l.maxConnections);
  const denied = METRICS.frontendDenied;
  w.family(denied);
  for (const { l, labels } of listeners) {
    for (const reason of DENIED_REASONS) w.sample(denied.name, `${labels},reason="${reason}"`, l.rejected[reason]);
  }
  const ends = METRICS.frontendSessionEnds;
  w.family(ends);
  for (const { l, labels } of listeners) {
    for (const [key, n] of Object.entries(l.endsBySide)) {
      const space = key.lastIndexOf(" ");
      w.sample(ends.name, `${labels},${labelPairs(["code", "side"], [key.slice(0, space), key.slice(space + 1)])}`, n);
    }
  }
  const duration = METRICS.frontendSessionDuration;
  w.family(duration);
  for (const { l, labels } of listeners) w.histogram(duration.name, labels, l.sessionDuration);
}

function backend(w: TextWriter, listeners: readonly Labelled[]): void {
  const each = (m: (typeof METRICS)[keyof typeof METRICS], value: (l: ListenerStats) => number): void => {
    w.family(m);
    for (const { l, labels } of listeners) w.sample(m.name, labels, value(l));
  };
  each(METRICS.backendCurrentSessions, (l) => sum(serversOf(l), (b) => b.active));
  each(METRICS.backendActiveServers, (l) => sum(serversOf(l), (b) => (stateOf(b) === "UP" && b.weight > 0 ? 1 : 0)));
  each(METRICS.backendCurrentQueue, (l) => l.queued + (l.pool === undefined ? 0 : sum(l.pool.backends, (p) => p.waiters)));
  each(METRICS.backendConnectionErrors, (l) => sum(serversOf(l), (b) => b.connectFailures));
}

function servers(w: TextWriter, listeners: readonly Labelled[]): void {
  const each = (m: (typeof METRICS)[keyof typeof METRICS], value: (b: BackendStats) => number): void => {
    w.family(m);
    for (const { servers } of listeners) for (const s of servers) w.sample(m.name, s.labels, value(s.b));
  };
  const status = METRICS.serverStatus;
  w.family(status);
  for (const { servers } of listeners) {
    for (const s of servers) {
      const state = stateOf(s.b);
      for (const st of SERVER_STATES) w.sample(status.name, `${s.labels},state="${st}"`, st === state ? 1 : 0);
    }
  }
  each(METRICS.serverCurrentSessions, (b) => b.active);
  each(METRICS.serverSessionsTotal, (b) => b.sessionsTotal);
  const errors = METRICS.serverConnectionErrors;
  w.family(errors);
  for (const { servers } of listeners) {
    for (const s of servers)
      for (const [code, n] of Object.entries(s.b.connectErrors)) w.sample(errors.name, `${s.labels},${labelPairs(["code"], [code])}`, n);
  }
  each(METRICS.serverCheckFailures, (b) => b.checksFailed);
  each(METRICS.serverCheckUpDown, (b) => b.downTransitions);
  each(METRICS.serverDowntime, (b) => b.downtimeMs / 1000);
  const connect = METRICS.serverConnectDuration;
  w.family(connect);
  for (const { servers } of listeners) for (const s of servers) w.histogram(connect.name, s.labels, s.b.connectDuration);
}

function pools(w: TextWriter, listeners: readonly Labelled[]): void {
  const pooled = listeners.filter((x) => x.l.pool !== undefined);
  if (pooled.length === 0) return;
  // Pool series carry the same proxy/server labels as the server series of the same backend.
  const rows = pooled.flatMap(({ l, servers }) => {
    const byAddress = new Map(servers.map((s) => [s.b.address, s.labels] as const));
    return l.pool!.backends.flatMap((p) => {
      const labels = byAddress.get(p.address);
      return labels === undefined ? [] : [{ p, labels }];
    });
  });
  const conns = METRICS.poolConnections;
  w.family(conns);
  for (const { p, labels } of rows) {
    const byState = { in_use: p.inUse, idle: p.idle, connecting: p.connecting };
    for (const st of POOL_CONNECTION_STATES) w.sample(conns.name, `${labels},state="${st}"`, byState[st]);
  }
  w.family(METRICS.poolWaitingRequests);
  for (const { p, labels } of rows) w.sample(METRICS.poolWaitingRequests.name, labels, p.waiters);
  w.family(METRICS.poolPinnedClients);
  for (const { p, labels } of rows) w.sample(METRICS.poolPinnedClients.name, labels, p.pinnedClients);
  w.family(METRICS.poolRequests);
  for (const { p, labels } of rows) w.sample(METRICS.poolRequests.name, labels, p.requests);
  w.family(METRICS.poolWaitDuration);
  for (const { p, labels } of rows) w.histogram(METRICS.poolWaitDuration.name, labels, p.waitDuration);
}

function processFamilies(w: TextWriter, snap: MetricsSnapshot): void {
  const p = snap.process;
  const one = (m: (typeof METRICS)[keyof typeof METRICS], value: number | null): void => {
    if (value === null) return; // not known on this OS: left out rather than reported as 0
    w.family(m);
    w.sample(m.name, "", value);
  };
  one(METRICS.processStartTime, p.startTimeSeconds);
  one(METRICS.processResidentMemory, p.residentMemoryBytes);
  one(METRICS.processOpenFds, p.openFds);
  one(METRICS.processMaxFds, p.maxFds);
  one(METRICS.processCpu, p.cpuSeconds);
  one(METRICS.processEventLoopDelay, snap.stats.eventLoopDelayMs / 1000);
  w.family(METRICS.buildInfo);
  w.sample(METRICS.buildInfo.name, labelPairs(["version", "bun"], [p.version, p.bunVersion]), 1);
}

/**
 * stateOf is the server's state as HAProxy names it: MAINT (disabled over the admin API) wins over
 * everything, then DOWN over DRAIN (the config's `drain` or the admin API's), as in HAProxy.
 */
export function stateOf(b: BackendStats): ServerState {
  if (b.adminState === "maint") return "MAINT";
  if (!b.healthy) return "DOWN";
  if (b.drain || b.adminState === "drain") return "DRAIN";
  return "UP";
}

function sum<T>(items: readonly T[], value: (item: T) => number): number {
  let n = 0;
  for (const item of items) n += value(item);
  return n;
}

/**
 * serversOf is every server a listener sends to: its own backends (the default route) and, with SNI
 * routing, each route's. A server named in several routes is one series: its numbers added up
 * (aggregateStats adds counters and histograms and keeps a server healthy only where all find it so).
 */
function serversOf(l: ListenerStats): BackendStats[] {
  if (l.routes === undefined || l.routes.length === 0) return l.backends;
  const byAddress = new Map<string, BackendStats[]>();
  for (const b of [...l.backends, ...l.routes.flatMap((r) => r.backends)]) {
    const list = byAddress.get(b.address);
    if (list === undefined) byAddress.set(b.address, [b]);
    else list.push(b);
  }
  return [...byAddress.values()].map((same) => (same.length === 1 ? same[0]! : aggregateStats(same)));
}

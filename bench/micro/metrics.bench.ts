/**
 * Metrics: what the data path pays per event, and what a scrape pays to render.
 * Run: node_modules/.bin/bun bench/micro/metrics.bench.ts
 *
 * - observe: one histogram observation (a connect, a session end, a pool wait), against the bare
 *   counter increment it comes with, and performance.now() that feeds it.
 * - render: the whole exposition of a listener with 100 backends from a stats snapshot (no sockets):
 *   the scrape's own CPU, without stats() and the HTTP response.
 */
import { bench, do_not_optimize, group, run, summary } from "mitata";
import { CONNECT_BUCKETS, Histogram, SESSION_BUCKETS } from "../../src/metrics/histogram.ts";
import { renderSnapshot } from "../../src/metrics/render.ts";
import { sampleProcess } from "../../src/metrics/process.ts";
import type { BackendStats, ListenerStats, ProxyStats } from "../../src/stats.ts";

const connect = new Histogram(CONNECT_BUCKETS);
const session = new Histogram(SESSION_BUCKETS);
const counter = { n: 0 };
let i = 0;

group("per event (data path)", () => {
  summary(() => {
    bench("counter++", () => {
      counter.n++;
    });
    bench("performance.now()", () => do_not_optimize(performance.now()));
    bench("observe: connect, ~0.3 ms", () => connect.observe(0.0003 + (i++ & 7) * 1e-5));
    bench("observe: session, ~40 s (walks most bounds)", () => session.observe(40 + (i++ & 7)));
  });
});

function backendStats(n: number): BackendStats {
  const h = new Histogram(CONNECT_BUCKETS);
  for (let k = 0; k < 100; k++) h.observe(k * 1e-4);
  return {
    address: `10.0.${n >> 8}.${n & 255}:6379`,
    from: null,
    weight: 1,
    drain: false,
    adminState: "ready",
    healthy: true,
    active: 100,
    connecting: 0,
    sessionsTotal: 12345,
    connectFailures: 3,
    bytesToBackend: 1e9,
    bytesFromBackend: 2e9,
    downReason: null,
    lastCheckOk: null,
    lastCheckReason: null,
    lastCheckMs: null,
    checksTotal: 0,
    checksFailed: 0,
    connectErrors: { ECONNREFUSED: 3 },
    downTransitions: 1,
    downtimeMs: 1234,
    connectDuration: h.snapshot(),
  };
}

const listener = {
  name: "bench",
  address: "127.0.0.1:7000",
  accepting: true,
  maxConnections: 20000,
  sessions: 10000,
  sessionsTotal: 1e6,
  rejected: { maxConnections: 0, noBackend: 0, denied: 0, perClient: 0, queueFull: 0 },
  queued: 0,
  queueTimeouts: 0,
  retries: 0,
  bytesFromClients: 1e9,
  bytesFromBackends: 2e9,
  queuedBytes: 0,
  peakSessionQueuedBytes: 0,
  errors: {},
  ends: { ok: 1e6 },
  endsBySide: { "ok client": 9e5, "ok backend": 1e5, "ECONNRESET client": 10 },
  sessionDuration: session.snapshot(),
  preambleFailures: {},
  preambles: { live: 0, done: 0, bypassed: 0 },
  discovery: null,
  backends: Array.from({ length: 100 }, (_, n) => backendStats(n)),
} satisfies ListenerStats;
const stats: ProxyStats = {
  sessions: 10000,
  sessionsTotal: 1e6,
  bytesFromClients: 1e9,
  bytesFromBackends: 2e9,
  errors: {},
  eventLoopDelayMs: 1,
  listeners: [listener],
};
const process = sampleProcess();

group("per scrape", () => {
  bench("renderSnapshot: 1 listener, 100 backends", () => do_not_optimize(renderSnapshot({ stats, process })));
  bench("sampleProcess (/proc reads, rss, cpu)", () => do_not_optimize(sampleProcess()));
});

await run();

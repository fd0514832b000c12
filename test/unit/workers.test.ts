/**
 * The pure parts of workers (src/workers): how a total is split so the parts add up to it, which
 * configs cannot run with several workers, and how the workers' stats add up.
 */
import { describe, expect, test } from "bun:test";
import { validateConfig } from "../../src/config/validate.ts";
import { SPLIT_LIMITS } from "../../src/config/validate-workers.ts";
import { ConfigErrors } from "../../src/errors.ts";
import { aggregateStats } from "../../src/util/aggregate-stats.ts";
import { shareOf, workerConfig } from "../../src/workers/share.ts";

describe("shareOf", () => {
  test.each([
    [10, 2, [5, 5]],
    [7, 2, [4, 3]],
    [8, 3, [3, 3, 2]],
    [3, 3, [1, 1, 1]],
    [0, 4, [0, 0, 0, 0]],
  ])("%p over %p workers → %p", (total, workers, parts) => {
    const got = Array.from({ length: workers }, (_, i) => shareOf(total, i, workers));
    expect(got).toEqual(parts);
    expect(got.reduce((a, b) => a + b, 0)).toBe(total);
  });
});

const pooled = (pool: Record<string, unknown>, more: Record<string, unknown> = {}) => ({
  listeners: [
    {
      listen: "127.0.0.1:7000",
      backends: [{ address: "127.0.0.1:6379", maxConnections: 9 }],
      mode: "pool",
      pool: { framer: { kind: "resp" }, ...pool },
      ...more,
    },
  ],
});

describe("workerConfig: every total is split, and the parts add up to the file's", () => {
  test("each limit in SPLIT_LIMITS, set to 7 over 2 workers, is 4 + 3", () => {
    const input = pooled(
      { maxPerBackend: 7, queueSize: 7, maxPinnedPerClient: 7 },
      {
        maxConnections: 7,
        maxConnectionsPerClient: 7,
        maxConnectingPerBackend: 7,
        queueSize: 7,
        backends: [{ address: "127.0.0.1:6379", maxConnections: 7 }],
      },
    );
    const config = validateConfig({ workers: 2, ...input });
    if (config instanceof ConfigErrors) throw new Error(config.message);
    const parts = [0, 1].map((i) => workerConfig(config, i, 2).listeners[0]!);
    for (const limit of SPLIT_LIMITS) {
      expect([limit.path, ...parts.map((p) => limit.get(p)[0]![1])]).toEqual([limit.path, 4, 3]);
    }
  });

  test("a pool's pin cap stays below each worker's maxPerBackend, so each keeps a shared connection", () => {
    const config = validateConfig({ workers: 2, ...pooled({ maxPerBackend: 4 }) });
    if (config instanceof ConfigErrors) throw new Error(config.message);
    const pools = [0, 1].map((i) => workerConfig(config, i, 2).listeners[0]!.pool!);
    expect(pools.map((p) => [p.maxPerBackend, p.maxPinnedPerBackend, p.minIdlePerBackend])).toEqual([
      [2, 1, 1],
      [2, 1, 0],
    ]);
  });
});

describe("validation with workers > 1", () => {
  test("port 0 and totals too small to split are errors, with the key and what to do", () => {
    const r = validateConfig({
      workers: 3,
      listeners: [{ listen: "127.0.0.1:0", backends: [{ address: "127.0.0.1:1", maxConnections: 2 }], maxConnectionsPerClient: 1 }],
    });
    expect(r).toBeInstanceOf(ConfigErrors);
    expect((r as ConfigErrors).errors.map((e) => e.message)).toEqual([
      "listeners[0].listen: port 0 with workers = 3: each worker would listen on a port of its own; give a port, or set workers = 1",
      "listeners[0].maxConnectionsPerClient: 1 cannot be split across 3 workers (a limit is a total for all of them, and each needs at least 1); raise it to 3 or more, or lower workers",
      "listeners[0].backends[0].maxConnections: 2 cannot be split across 3 workers (a limit is a total for all of them, and each needs at least 1); raise it to 3 or more, or lower workers",
    ]);
  });

  test('workers = "auto" is the CPUs warren may use; other values are refused', () => {
    const auto = validateConfig({ workers: "auto", listeners: [{ listen: "127.0.0.1:7000", backends: ["127.0.0.1:1"] }] });
    expect(auto).not.toBeInstanceOf(ConfigErrors);
    expect((auto as { workers: number }).workers).toBe(Math.max(1, Math.min(256, navigator.hardwareConcurrency)));
    const bad = validateConfig({ workers: 0, listeners: [{ backends: ["127.0.0.1:1"] }] });
    expect((bad as ConfigErrors).errors.map((e) => e.message)).toEqual([`workers: expected "auto" or an integer 1..256, got 0`]);
  });
});

describe("aggregateStats", () => {
  test("counters sum, listeners merge by name and backends by address, a peak is a maximum, healthy needs every worker", () => {
    const worker = (sessions: number, peak: number, healthy: boolean) => ({
      sessions,
      errors: { ECONNREFUSED: sessions },
      listeners: [
        { name: "web", peakSessionQueuedBytes: peak, backends: [{ address: "10.0.0.1:80", active: sessions, healthy }], discovery: null },
      ],
    });
    expect(aggregateStats([worker(3, 100, true), worker(4, 70, false)])).toEqual({
      sessions: 7,
      errors: { ECONNREFUSED: 7 },
      listeners: [
        { name: "web", peakSessionQueuedBytes: 100, backends: [{ address: "10.0.0.1:80", active: 7, healthy: false }], discovery: null },
      ],
    });
  });

  test("a listener or backend only one worker has is kept as it is", () => {
    const a = { listeners: [{ name: "a", sessions: 1 }] };
    const b = { listeners: [{ name: "b", sessions: 2 }] };
    expect(aggregateStats([a, b])).toEqual({
      listeners: [
        { name: "a", sessions: 1 },
        { name: "b", sessions: 2 },
      ],
    });
  });
});

import { describe, expect, test } from "bun:test";
import { CONNECT_BUCKETS, Histogram, mergeHistogramStats, POOL_WAIT_BUCKETS, SESSION_BUCKETS } from "../../../src/metrics/histogram.ts";
import { aggregateStats } from "../../../src/util/aggregate-stats.ts";

describe("Histogram", () => {
  test("a value lands in the first bucket whose bound it does not exceed (Prometheus's le), above them all in the last slot", () => {
    const h = new Histogram([0.1, 1, 10]);
    for (const v of [0, 0.1, 0.10001, 1, 5, 10, 10.5, 1e9]) h.observe(v);
    expect(Array.from(h.counts)).toEqual([2, 2, 2, 2]);
    expect(h.count).toBe(8);
    expect(h.sum).toBeCloseTo(0 + 0.1 + 0.10001 + 1 + 5 + 10 + 10.5 + 1e9, 6);
  });

  test("snapshot is plain data, a copy: later observations do not change it", () => {
    const h = new Histogram([1]);
    h.observe(0.5);
    const snap = h.snapshot();
    h.observe(2);
    expect(snap).toEqual({ bounds: [1], counts: [1, 0], sum: 0.5, count: 1 });
    expect(structuredClone(snap)).toEqual(snap);
  });

  test("merge adds bucket by bucket, from a histogram or a snapshot (a worker's)", () => {
    const a = new Histogram(CONNECT_BUCKETS);
    const b = new Histogram(CONNECT_BUCKETS);
    const both = new Histogram(CONNECT_BUCKETS);
    const values = [0.0001, 0.0007, 0.003, 0.02, 0.3, 4, 30];
    values.forEach((v, i) => {
      (i % 2 === 0 ? a : b).observe(v);
      both.observe(v);
    });
    const merged = Histogram.from(a.snapshot());
    merged.merge(b);
    expect(merged.snapshot()).toEqual(both.snapshot());
    const viaSnapshots = mergeHistogramStats(a.snapshot(), b.snapshot());
    expect(viaSnapshots).toEqual(both.snapshot());
  });

  test("merging histograms of other bounds is refused, not silently wrong", () => {
    const a = new Histogram([1, 2]);
    expect(() => a.merge(new Histogram([1, 3]))).toThrow(/bounds differ/);
    expect(() => mergeHistogramStats(a.snapshot(), new Histogram([1]).snapshot())).toThrow(/bounds differ/);
  });

  test("the shared bounds are increasing and frozen (one array per kind, never changed)", () => {
    for (const bounds of [CONNECT_BUCKETS, SESSION_BUCKETS, POOL_WAIT_BUCKETS]) {
      expect(Object.isFrozen(bounds)).toBe(true);
      for (let i = 1; i < bounds.length; i++) expect(bounds[i]!).toBeGreaterThan(bounds[i - 1]!);
    }
  });

  test("aggregateStats (the workers' sum) adds histogram counts slot by slot and keeps the bounds", () => {
    const part = (values: number[]) => {
      const h = new Histogram([1, 10]);
      for (const v of values) h.observe(v);
      return { listeners: [{ name: "web", sessionDuration: h.snapshot() }] };
    };
    expect(aggregateStats([part([0.5, 20]), part([5, 5, 0.1])])).toEqual({
      listeners: [{ name: "web", sessionDuration: { bounds: [1, 10], counts: [2, 2, 1], sum: 30.6, count: 5 } }],
    });
  });
});

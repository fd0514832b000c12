import { expect, test } from "bun:test";
import { BASE_SUFFIX, type Checkout, withTwins } from "../../../bench/baseline.ts";
import { baselineText, compareWithBaseline, pairRow, verdictText } from "../../../bench/report-baseline.ts";
import { median, medianInterval, pairedRatios, spread } from "../../../bench/stats.ts";

const REQ = { key: "reqPerSec", unit: "req/s", higherIsBetter: true };
const CPU = { key: "cpu", unit: "proxy CPU µs/req", higherIsBetter: false };
const BASE: Checkout = { dir: "/tmp/base", suffix: BASE_SUFFIX, label: "HEAD~1 = 0123456 (subject)" };

test("pairedRatios divides round i by round i, and skips a round either side failed", () => {
  expect(pairedRatios([110, 55, 72], [100, 50, 80])).toEqual([1.1, 1.1, 0.9]);
  expect(pairedRatios([110, null, 72, 60], [100, 50, null, 60])).toEqual([1.1, 1]);
  // A zero, negative or non-finite denominator is no measurement; extra rounds on one side have no pair.
  expect(pairedRatios([1, 2, 3, NaN, 5], [0, -1, Infinity, 4])).toEqual([]);
  expect(pairedRatios([], [1, 2])).toEqual([]);
});

test("the median of paired ratios sees through a machine that flips regimes; the ratio of medians does not", () => {
  // Current is 1% faster than base under the same conditions. The machine flips between a fast (70k)
  // and a slow (55k) regime; in rounds 3 and 5 it flipped between base's measurement and current's.
  const base = [70_000, 55_000, 70_000, 55_000, 70_000];
  const current = [70_700, 55_550, 55_550, 55_550, 55_550];
  expect(median(current) / median(base)).toBeCloseTo(0.794, 3); // "20% slower": the medians come from different regimes
  expect(median(pairedRatios(current, base))).toBeCloseTo(1.01, 10); // the rounds that flipped are outvoted
});

test("median and spread ignore failed rounds; spread needs two", () => {
  expect(median([3, null, 1, 2])).toBe(2);
  expect(median([4, 1, 2, 3])).toBe(2.5);
  expect(median([null])).toBeNaN();
  expect(spread([90, 100, 110])).toBeCloseTo(0.2, 10);
  expect(spread([100, null])).toBeNaN();
});

test("a rate: above 1 is better; within ±3% is within the budget, either side", () => {
  const r = pairRow("rr", "warren", "warren@base", REQ, [101, 102, 99], [100, 100, 100]);
  expect(r).toEqual({
    workload: "rr",
    target: "warren",
    base: "warren@base",
    metric: "req/s",
    higherIsBetter: true,
    current: 101,
    baseline: 100,
    perRound: [1.01, 1.02, 0.99],
    ratio: 1.01,
    within: true,
    better: true,
  });
  expect(verdictText(r)).toBe("within ±3% (+1.0%, better)");
  const slower = pairRow("rr", "warren", "warren@base", REQ, [95, 96, 94], [100, 100, 100]);
  expect([slower.ratio, slower.within, slower.better]).toEqual([0.95, false, false]);
  expect(verdictText(slower)).toBe("OUTSIDE ±3%: 5.0% worse");
});

test("CPU per operation: below 1 is better", () => {
  const less = pairRow("rr", "warren", "warren@base", CPU, [9.6, 9.5, 9.7], [10, 10, 10]);
  expect([less.within, less.better]).toEqual([false, true]);
  expect(verdictText(less)).toBe("OUTSIDE ±3%: 4.0% better");
  const more = pairRow("rr", "warren", "warren@base", CPU, [10.2, 10.1, 10.3], [10, 10, 10]);
  expect([more.within, more.better]).toEqual([true, false]);
  expect(verdictText(more)).toBe("within ±3% (+2.0%, worse)");
  expect(verdictText(pairRow("rr", "warren", "warren@base", CPU, [10, 10, 10], [10, 10, 10]))).toBe("within ±3% (+0.0%, same)");
});

test("fewer than 3 paired rounds are said not to be conclusive; none is not measured", () => {
  expect(verdictText(pairRow("rr", "warren", "warren@base", REQ, [100], [90]))).toBe("OUTSIDE ±3%: 11.1% better (1 round: not conclusive)");
  expect(verdictText(pairRow("rr", "warren", "warren@base", REQ, [100, 101], [100, 100]))).toBe(
    "within ±3% (+0.5%, better) (2 rounds: not conclusive)",
  );
  const none = pairRow("rr", "warren", "warren@base", REQ, [null, 100], [90, null]);
  expect([none.ratio, none.within, none.better, none.current, none.baseline]).toEqual([null, null, null, 100, 90]);
  expect(verdictText(none)).toBe("not measured (no round of both)");
});

test("compareWithBaseline pairs each target with its @base twin only, on every metric of every workload", () => {
  const data: Record<string, number[]> = {
    "rr warren reqPerSec": [100, 100, 100],
    "rr warren@base reqPerSec": [100, 100, 100],
    "rr warren cpu": [10, 10, 10],
    "rr warren@base cpu": [10, 10, 10],
    "rr haproxy reqPerSec": [80, 80, 80],
  };
  const rows = compareWithBaseline(
    [
      { name: "rr", metrics: [REQ, CPU], targets: ["warren", "warren@base", "haproxy", "warren-lb"] },
      { name: "bulk", metrics: [REQ], targets: ["haproxy"] },
    ],
    (w, t, key) => data[`${w} ${t} ${key}`] ?? [],
  );
  expect(rows.map((r) => `${r.workload} ${r.target}÷${r.base} ${r.metric} ${r.ratio}`)).toEqual([
    "rr warren÷warren@base req/s 1",
    "rr warren÷warren@base proxy CPU µs/req 1",
  ]);
  const text = baselineText(rows, BASE, 3);
  expect(text.split("\n")[0]).toBe("baseline — current code vs <target>@base from HEAD~1 = 0123456 (subject)");
  expect(text).toContain("1.000×");
  expect(text.split("\n").at(-1)).toBe("  rows outside ±3%: none");
  expect(baselineText([], BASE, 3)).toBe("");
});

test("withTwins puts each warren kind's baseline twin right after it, and leaves the others alone", () => {
  type Kind = { name: string; at?: (c: Checkout) => Kind };
  const warrenAt = (c: Checkout): Kind => ({ name: `warren${c.suffix}`, at: warrenAt });
  const kinds: Kind[] = [{ name: "direct" }, warrenAt({ ...BASE, suffix: "" }), { name: "haproxy" }];
  expect(withTwins(kinds, BASE).map((k) => k.name)).toEqual(["direct", "warren", "warren@base", "haproxy"]);
  expect(withTwins(kinds, null).map((k) => k.name)).toEqual(["direct", "warren", "haproxy"]);
});

test("medianInterval: the order statistics that bound the median at 95%, or null with too few rounds", () => {
  // n = 11: P(B ≤ 1) = 12/2048, so [x_(2), x_(10)] covers 1 − 24/2048 = 98.8%; k = 3 would give 93.5%.
  const eleven = [5, 1, 9, 3, 7, 11, 2, 10, 4, 8, 6];
  const i11 = medianInterval(eleven)!;
  expect([i11.lo, i11.hi]).toEqual([2, 10]);
  expect(i11.level).toBeCloseTo(1 - 24 / 2048, 12);
  // n = 21: k = 6 (97.3%); k = 7 would be 92.2%.
  const i21 = medianInterval(Array.from({ length: 21 }, (_, i) => i + 1))!;
  expect([i21.lo, i21.hi]).toEqual([6, 16]);
  // A lower level narrows it; failed rounds are left out before counting.
  expect(medianInterval([...eleven, null, NaN], 0.9)).toMatchObject({ lo: 3, hi: 9 });
  // n = 5: even [min, max] covers only 1 − 2/32 = 93.75%.
  expect(medianInterval([1, 2, 3, 4, 5])).toBeNull();
  expect(medianInterval([1, 2, 3, 4, 5, 6])).toMatchObject({ lo: 1, hi: 6 });
  expect(medianInterval([])).toBeNull();
});

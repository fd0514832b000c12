/**
 * Current code against its baseline (`--baseline`, bench/baseline.ts): for
 * each warren target and its `@base` twin, on each workload, the paired
 * per-round ratio current ÷ base of the rates and of the CPU per operation,
 * and whether it is within the issues' budget of ±3%. Both bench commands
 * print this; each says which series to pair (compareWithBaseline's
 * `series`). Rounds are interleaved, so round i of a target and its twin
 * ran under the same machine state; on a box that flips between throughput
 * regimes only that pairing is steadier than the noise being measured.
 */
import { BASE_SUFFIX, type Baseline, type Checkout } from "./baseline.ts";
import { format, pct, table } from "./report.ts";
import { type Series, median, pairedRatios } from "./stats.ts";

/** The budget in the issues' performance clauses: current within ±3% of the code before the change. */
export const BASELINE_TOLERANCE = 0.03;

/** PairedMetric names one number every round measures: `key` is the caller's, for `series`. */
export interface PairedMetric<K extends string = string> {
  key: K;
  unit: string;
  higherIsBetter: boolean;
}

/** What is compared on one workload: its metrics, and the targets measured on it (twins included). */
export interface PairedWorkload<K extends string = string> {
  name: string;
  metrics: readonly PairedMetric<K>[];
  targets: readonly string[];
}

/** BaselineRow: one target against its twin on one metric of one workload. */
export interface BaselineRow {
  workload: string;
  target: string;
  base: string;
  metric: string;
  higherIsBetter: boolean;
  /** Medians over rounds; null when no round was measured. */
  current: number | null;
  baseline: number | null;
  /** current_i ÷ base_i for every round where both were measured. */
  perRound: number[];
  /** The median of perRound: the verdict's number; null when no round has both. */
  ratio: number | null;
  /** |ratio − 1| ≤ BASELINE_TOLERANCE; null when not measured. */
  within: boolean | null;
  /** Whether current is the better one by the metric's direction; null when equal or not measured. */
  better: boolean | null;
}

/** compareWithBaseline pairs every target that has a `@base` twin with it, on every metric of every workload. */
export function compareWithBaseline<K extends string>(
  workloads: readonly PairedWorkload<K>[],
  series: (workload: string, target: string, key: K) => Series,
): BaselineRow[] {
  const rows: BaselineRow[] = [];
  for (const w of workloads) {
    for (const target of w.targets) {
      const base = `${target}${BASE_SUFFIX}`;
      if (target.endsWith(BASE_SUFFIX) || !w.targets.includes(base)) continue;
      for (const m of w.metrics) rows.push(pairRow(w.name, target, base, m, series(w.name, target, m.key), series(w.name, base, m.key)));
    }
  }
  return rows;
}

/** pairRow judges one metric: the paired ratio's median against the tolerance, in the metric's direction. */
export function pairRow(workload: string, target: string, base: string, m: PairedMetric, current: Series, baseline: Series): BaselineRow {
  const perRound = pairedRatios(current, baseline);
  const ratio = perRound.length === 0 ? null : median(perRound);
  const within = ratio === null ? null : Math.abs(ratio - 1) <= BASELINE_TOLERANCE;
  const better = ratio === null || ratio === 1 ? null : ratio > 1 === m.higherIsBetter;
  return {
    workload,
    target,
    base,
    metric: m.unit,
    higherIsBetter: m.higherIsBetter,
    current: finite(median(current)),
    baseline: finite(median(baseline)),
    perRound,
    ratio,
    within,
    better,
  };
}

/** Fewer paired rounds than this and the verdict says it is not conclusive: one pair has no spread to judge it by. */
const CONCLUSIVE_PAIRS = 3;

/** verdictText says it plainly: "within ±3% (+1.2%, better)", "OUTSIDE ±3%: 4.5% worse", "not measured". */
export function verdictText(r: BaselineRow): string {
  if (r.ratio === null) return "not measured (no round of both)";
  const budget = `±${BASELINE_TOLERANCE * 100}%`;
  const direction = r.better === null ? "same" : r.better ? "better" : "worse";
  const n = r.perRound.length;
  const caveat = n < CONCLUSIVE_PAIRS ? ` (${n} round${n === 1 ? "" : "s"}: not conclusive)` : "";
  if (r.within === true) return `within ${budget} (${pct(r.ratio - 1)}, ${direction})${caveat}`;
  return `OUTSIDE ${budget}: ${pct(Math.abs(r.ratio - 1), false)} ${direction}${caveat}`;
}

/** baselineText is the printed comparison, or "" when the run has no twins. */
export function baselineText(rows: readonly BaselineRow[], base: Checkout, rounds: number): string {
  if (rows.length === 0) return "";
  const head = ["workload", "target", "metric", "current", "base", "current ÷ base (paired)", "per round", "verdict"];
  const lines = [head];
  for (const r of rows) {
    lines.push([
      r.workload,
      r.target,
      `${r.metric} ${r.higherIsBetter ? "↑" : "↓"}`,
      format(r.current ?? NaN, r.metric),
      format(r.baseline ?? NaN, r.metric),
      r.ratio === null ? "—" : `${r.ratio.toFixed(3)}×`,
      r.perRound.map((x) => x.toFixed(3)).join(" / "),
      verdictText(r),
    ]);
  }
  const text = new Set([0, 1, 2, 7]);
  const outside = rows.filter((r) => r.within === false);
  return [
    `baseline — current code vs <target>${BASE_SUFFIX} from ${base.label}`,
    `  (current ÷ base for each round, median over rounds; ↑ higher is better, ↓ lower is better; budget ±${BASELINE_TOLERANCE * 100}%)`,
    table(lines, "  ", (c) => text.has(c)),
    rounds < CONCLUSIVE_PAIRS
      ? `  ${rounds} round${rounds === 1 ? "" : "s"}: too few pairs for a verdict; run --rounds 5 or more (the CPU per operation is the steadier number)`
      : `  rows outside ±${BASELINE_TOLERANCE * 100}%: ${outside.length === 0 ? "none" : outside.map((r) => `${r.workload} ${r.target} ${r.metric}`).join("; ")}`,
  ].join("\n");
}

/** baselineJson is the `baseline` entry of the results file: what was compared against, and every row. */
export function baselineJson(spec: Baseline, base: Checkout, rows: readonly BaselineRow[]): Record<string, unknown> {
  return { ...spec, dir: base.dir, suffix: base.suffix, tolerance: BASELINE_TOLERANCE, comparisons: rows };
}

function finite(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

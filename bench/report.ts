/**
 * Turns measurements into the printed tables, the goal check, the Markdown
 * summary for the README and the JSON file.
 */
import { median } from "./stats.ts";
import type { Workload } from "./workloads.ts";

/** Cell holds one target's rounds for one workload. */
export interface Cell {
  rounds: (number | null)[];
  extras: Record<string, (number | null)[]>;
  errors: string[];
}

export type Results = Map<string, Map<string, Cell>>;

export function newCell(): Cell {
  return { rounds: [], extras: {}, errors: [] };
}

export function format(v: number, unit: string): string {
  if (!Number.isFinite(v)) return "—";
  if (unit === "KiB/conn") return v.toFixed(2);
  if (unit === "s") return v.toFixed(2);
  if (unit.includes("µs/")) return v.toFixed(v < 10 ? 2 : 1);
  return Math.round(v).toLocaleString("en-US");
}

/** pct prints a fraction as a percentage with one decimal, signed ("+1.2%", "-0.4%") unless `signed` is false. */
export function pct(fraction: number, signed = true): string {
  if (!Number.isFinite(fraction)) return "—";
  const s = (fraction * 100).toFixed(1);
  return signed && fraction >= 0 ? `+${s}%` : `${s}%`;
}

function ratio(a: number, b: number): string {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${(a / b).toFixed(2)}×` : "—";
}

/** table aligns rows in columns: text columns (`isText`, by default the first) to the left, numbers to the right. */
export function table(rows: string[][], indent = "  ", isText: (column: number) => boolean = (c) => c === 0): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  return rows
    .map(
      (r) =>
        indent +
        r
          .map((cell, c) => (isText(c) ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
          .join("   ")
          .trimEnd(),
    )
    .join("\n");
}

/** workloadTable: one row per target with the median, every round, the extras and warren ÷ target. */
export function workloadTable(w: Workload, cells: Map<string, Cell>, description: string): string {
  const warren = cells.get("warren");
  const warrenMedian = warren === undefined ? NaN : median(warren.rounds);
  const header = ["target", `${w.unit} (median)`, "rounds", ...w.extras.map((e) => `${e.unit} (median)`), "warren ÷ target"];
  const rows = [header];
  const notes: string[] = [];
  for (const [target, cell] of cells) {
    const m = median(cell.rounds);
    rows.push([
      target,
      format(m, w.unit),
      cell.rounds.map((v) => (v === null ? "err" : format(v, w.unit))).join(" / "),
      ...w.extras.map((e) => format(median(cell.extras[e.key] ?? []), e.unit)),
      target === "warren" ? "—" : ratio(warrenMedian, m),
    ]);
    for (const e of cell.errors) notes.push(`  ! ${target}: ${e}`);
  }
  const better = w.higherIsBetter ? "higher is better" : "lower is better";
  return `${w.name} — ${description}\n  (${w.unit}, ${better})\n${table(rows)}${notes.length > 0 ? `\n${notes.join("\n")}` : ""}`;
}

export interface Goal {
  goal: string;
  /** null when it could not be measured (e.g. HAProxy not installed). */
  met: boolean | null;
  detail: string;
  /** A number printed next to the goals for context, with no verdict of its own. */
  info?: true;
}

/** goals checks the issue's targets: rr ≥ 1.0× HAProxy, bulk ≥ 1.3× HAProxy, ≤ 3 KiB per idle connection. */
export function goals(results: Results): Goal[] {
  const med = (w: string, t: string) => median(results.get(w)?.get(t)?.rounds ?? []);
  const vsHaproxy = (w: string, unit: string, need: number, label: string): Goal => {
    const goal = `${label} ≥ ${need.toFixed(1)}× HAProxy`;
    const a = med(w, "warren");
    const b = med(w, "haproxy");
    if (!Number.isFinite(a) || !Number.isFinite(b))
      return { goal, met: null, detail: "not measured (warren or haproxy missing from this run)" };
    const r = a / b;
    const met = r >= need;
    const gap = met ? "" : `; missed by ${((1 - r / need) * 100).toFixed(1)}% (needs ${format(b * need, unit)} ${unit})`;
    return { goal, met, detail: `warren ${format(a, unit)} vs haproxy ${format(b, unit)} ${unit} = ${r.toFixed(2)}×${gap}` };
  };
  const out = [vsHaproxy("rr", "req/s", 1.0, "rr req/s"), vsHaproxy("bulk", "MB/s", 1.3, "bulk MB/s")];
  const kib = med("idle-rss", "warren");
  const goal = "idle RSS ≤ 3 KiB per connection";
  out.push(
    Number.isFinite(kib)
      ? {
          goal,
          met: kib <= 3,
          detail: `warren ${kib.toFixed(2)} KiB/conn${kib <= 3 ? "" : `; missed by ${(kib - 3).toFixed(2)} KiB (${((kib / 3 - 1) * 100).toFixed(0)}% over)`}`,
        }
      : { goal, met: null, detail: "not measured" },
  );
  return out;
}

export function goalsText(gs: readonly Goal[], quick: boolean): string {
  const note = quick ? "  (--quick: too short and too few connections for a verdict; run without --quick)\n" : "";
  return (
    note +
    gs.map((g) => `  [${g.info === true ? "info" : g.met === null ? "n/a " : g.met ? "MET " : "MISS"}] ${g.goal}: ${g.detail}`).join("\n")
  );
}

/** markdown is one table for the README: a row per workload metric, a column per target, then warren ÷ each proxy. */
export function markdown(workloads: readonly Workload[], results: Results, targets: readonly string[]): string {
  const others = targets.filter((t) => t !== "warren" && t !== "direct");
  const showRatios = targets.includes("warren");
  const head = ["workload", "metric", ...targets, ...(showRatios ? others.map((t) => `warren/${t}`) : [])];
  const lines = [`| ${head.join(" | ")} |`, `|${head.map((_, i) => (i < 2 ? " --- " : " ---: ")).join("|")}|`];
  for (const w of workloads) {
    const cells = results.get(w.name);
    if (cells === undefined) continue;
    const metrics = [{ key: "", unit: w.unit, higherIsBetter: w.higherIsBetter }, ...w.extras.filter((e) => e.summary)];
    for (const m of metrics) {
      const get = (t: string): number => {
        const c = cells.get(t);
        if (c === undefined) return NaN;
        return median(m.key === "" ? c.rounds : (c.extras[m.key] ?? []));
      };
      const unit = `${m.unit}${m.higherIsBetter ? " ↑" : " ↓"}`;
      const row = [
        w.name,
        unit,
        ...targets.map((t) => format(get(t), m.unit)),
        ...(showRatios ? others.map((t) => ratio(get("warren"), get(t))) : []),
      ];
      lines.push(`| ${row.join(" | ")} |`);
    }
  }
  return lines.join("\n");
}

/** toJson is what bench/results/latest.json holds. */
export function toJson(results: Results): Record<string, Record<string, Cell & { median: number | null }>> {
  const out: Record<string, Record<string, Cell & { median: number | null }>> = {};
  for (const [w, cells] of results) {
    out[w] = {};
    for (const [t, c] of cells) {
      const m = median(c.rounds);
      out[w][t] = { ...c, median: Number.isFinite(m) ? m : null };
    }
  }
  return out;
}

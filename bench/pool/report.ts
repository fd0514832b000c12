/**
 * The pool bench's printed tables, ratios, goal check, README Markdown and
 * JSON. Every figure is a median over rounds; req/s rounds are listed too.
 */
import { format } from "../report.ts";
import { median } from "../stats.ts";
import type { Sample } from "./measure.ts";

/** PoolCell holds one target's rounds for one workload (null: that round failed). */
export interface PoolCell {
  rounds: (Sample | null)[];
  errors: string[];
}

/** PoolResults: workload → target → cell, in run order. */
export type PoolResults = Map<string, Map<string, PoolCell>>;

const FIELDS = ["reqPerSec", "p50Us", "p99Us", "backendConns", "targetCpuUsPerReq", "redisCpuUsPerReq", "errorReplies", "errors"] as const;
type Field = (typeof FIELDS)[number];

export function med(cell: PoolCell | undefined, field: Field): number {
  return cell === undefined ? NaN : median(cell.rounds.map((s) => (s === null ? null : s[field])));
}

function us(v: number): string {
  return Number.isFinite(v) ? (v < 10 ? v.toFixed(2) : v < 1000 ? v.toFixed(0) : Math.round(v).toLocaleString("en-US")) : "—";
}

function int(v: number): string {
  return format(v, "");
}

function ratio(a: number, b: number): string {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${(a / b).toFixed(2)}×` : "—";
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  return rows
    .map((r) => `  ${r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("   ")}`.trimEnd())
    .join("\n");
}

export function workloadTable(name: string, description: string, cells: Map<string, PoolCell>): string {
  const rows = [
    ["target", "req/s (median)", "rounds", "p50 µs", "p99 µs", "Redis conns", "proxy CPU µs/req", "Redis CPU µs/req", "err replies"],
  ];
  const notes: string[] = [];
  for (const [target, cell] of cells) {
    rows.push([
      target,
      int(med(cell, "reqPerSec")),
      cell.rounds.map((s) => (s === null ? "err" : int(s.reqPerSec))).join(" / "),
      us(med(cell, "p50Us")),
      us(med(cell, "p99Us")),
      int(med(cell, "backendConns")),
      target === "direct" ? "—" : us(med(cell, "targetCpuUsPerReq")),
      us(med(cell, "redisCpuUsPerReq")),
      int(med(cell, "errorReplies")),
    ]);
    for (const e of cell.errors) notes.push(`  ! ${target}: ${e}`);
  }
  return `${name} — ${description}\n${table(rows)}${notes.length > 0 ? `\n${notes.join("\n")}` : ""}`;
}

/** RATIOS are the pairs the brief asks for: numerator ÷ denominator on req/s. */
const RATIOS: readonly [string, string][] = [
  ["warren-pool-mux1", "twemproxy"],
  ["warren-pool-mux2", "twemproxy"],
  ["warren-pool-excl", "twemproxy"],
  ["warren-pool-mux1", "direct"],
  ["warren-pool-mux2", "direct"],
  ["warren-pool-excl", "direct"],
  ["warren-1:1", "direct"],
  ["twemproxy", "direct"],
];

export interface Ratio {
  workload: string;
  of: string;
  to: string;
  reqPerSec: number | null;
  /** Proxy CPU per request, numerator ÷ denominator (only between two proxies). */
  cpuPerReq: number | null;
}

export function ratios(results: PoolResults): Ratio[] {
  const out: Ratio[] = [];
  for (const [workload, cells] of results) {
    for (const [of, to] of RATIOS) {
      const a = cells.get(of);
      const b = cells.get(to);
      if (a === undefined || b === undefined) continue;
      const r = med(a, "reqPerSec") / med(b, "reqPerSec");
      const c = to === "direct" ? NaN : med(a, "targetCpuUsPerReq") / med(b, "targetCpuUsPerReq");
      out.push({ workload, of, to, reqPerSec: Number.isFinite(r) ? r : null, cpuPerReq: Number.isFinite(c) ? c : null });
    }
  }
  return out;
}

export function ratiosText(rs: readonly Ratio[]): string {
  const rows = [["workload", "ratio", "req/s", "proxy CPU/req"]];
  for (const r of rs)
    rows.push([r.workload, `${r.of} ÷ ${r.to}`, ratio(r.reqPerSec ?? NaN, 1), r.cpuPerReq === null ? "" : ratio(r.cpuPerReq, 1)]);
  return table(rows);
}

export interface PoolGoal {
  workload: string;
  /** The multiplexed config judged: the fastest one that holds no more Redis connections than twemproxy. */
  target: string | null;
  met: boolean | null;
  detail: string;
}

/** goals: multiplexed pool ≥ 1.0× twemproxy req/s with no more Redis connections than twemproxy, per workload. */
export function goals(results: PoolResults): PoolGoal[] {
  const out: PoolGoal[] = [];
  for (const [workload, cells] of results) {
    const tw = cells.get("twemproxy");
    const twRate = med(tw, "reqPerSec");
    const twConns = med(tw, "backendConns");
    if (!Number.isFinite(twRate)) {
      out.push({ workload, target: null, met: null, detail: "not measured (twemproxy missing from this run)" });
      continue;
    }
    const parts: string[] = [];
    let best: { name: string; rate: number } | null = null;
    for (const name of ["warren-pool-mux1", "warren-pool-mux2"]) {
      const cell = cells.get(name);
      if (cell === undefined) continue;
      const rate = med(cell, "reqPerSec");
      const conns = med(cell, "backendConns");
      const eligible = conns <= twConns;
      parts.push(
        `${name} ${int(rate)} req/s = ${ratio(rate, twRate)} on ${int(conns)} conn(s)${eligible ? "" : " (more conns than twemproxy: not eligible)"}`,
      );
      if (eligible && Number.isFinite(rate) && (best === null || rate > best.rate)) best = { name, rate };
    }
    const head = `twemproxy ${int(twRate)} req/s on ${int(twConns)} conn(s); ${parts.join("; ")}`;
    if (best === null) {
      out.push({ workload, target: null, met: null, detail: `${head}; no eligible multiplexed pool measured` });
      continue;
    }
    const met = best.rate >= twRate;
    const gap = met ? "" : `; short by ${((1 - best.rate / twRate) * 100).toFixed(1)}%`;
    out.push({ workload, target: best.name, met, detail: `${head}${gap}` });
  }
  return out;
}

export function goalsText(gs: readonly PoolGoal[], quick: boolean): string {
  const note = quick ? "  (--quick: too short for a verdict; run without --quick)\n" : "";
  const verdict = (g: PoolGoal) => (g.met === null ? "n/a " : g.met ? "MET " : "MISS");
  return (
    note +
    gs
      .map((g) => `  [${verdict(g)}] ${g.workload}: multiplexed pool ≥ 1.0× twemproxy req/s with ≤ its Redis conns — ${g.detail}`)
      .join("\n")
  );
}

/** markdown: one row per workload and target, for the README. */
export function markdown(results: PoolResults): string {
  const head = ["workload", "target", "req/s", "p50 µs", "p99 µs", "Redis conns", "proxy CPU µs/req", "÷ twemproxy", "÷ direct"];
  const lines = [`| ${head.join(" | ")} |`, `|${head.map((_, i) => (i < 2 ? " --- " : " ---: ")).join("|")}|`];
  for (const [workload, cells] of results) {
    const tw = med(cells.get("twemproxy"), "reqPerSec");
    const dir = med(cells.get("direct"), "reqPerSec");
    for (const [target, cell] of cells) {
      const rate = med(cell, "reqPerSec");
      const cpu = target === "direct" ? "—" : us(med(cell, "targetCpuUsPerReq"));
      const row = [workload, target, int(rate), us(med(cell, "p50Us")), us(med(cell, "p99Us")), int(med(cell, "backendConns")), cpu];
      row.push(target === "twemproxy" ? "—" : ratio(rate, tw), target === "direct" ? "—" : ratio(rate, dir));
      lines.push(`| ${row.join(" | ")} |`);
    }
  }
  return lines.join("\n");
}

/** toJson: every round's sample, the medians and the errors, per workload and target. */
export function toJson(results: PoolResults): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [workload, cells] of results) {
    const w: Record<string, unknown> = {};
    for (const [target, cell] of cells) {
      const medians = Object.fromEntries(FIELDS.map((f) => [f, finiteOrNull(med(cell, f))]));
      w[target] = { median: medians, rounds: cell.rounds, errors: cell.errors };
    }
    out[workload] = w;
  }
  return out;
}

function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

/**
 * What accepting the PROXY protocol costs (issue 11): warren-pp (proxyProtocol on, a v2 header per
 * connection) against warren (off) on the same workloads in the same run. The budget is on the proxy's
 * CPU per rr request (≤ 2%), the steadier number on a shared machine; it is decided on the median of
 * the per-round ratios, round i of one against round i of the other (rounds are interleaved, so the
 * machine's drift and regime flips cancel), and printed with every round's ratio.
 */
import { type Cell, type Goal, type Results, format, pct } from "./report.ts";
import { median, pairedRatios, spread } from "./stats.ts";
import type { Workload } from "./workloads.ts";

const OFF = "warren";
const ON = "warren-pp";
/** The budget: proxyProtocol may add at most this fraction to the proxy's CPU per rr request. */
export const PP_MAX_COST = 0.02;
const COMPARED = ["rr", "pipelined", "connect"] as const;
const CPU_KEY = "cpuUsPerOp";

function cells(results: Results, w: string): { off: Cell; on: Cell } | null {
  const off = results.get(w)?.get(OFF);
  const on = results.get(w)?.get(ON);
  return off === undefined || on === undefined ? null : { off, on };
}

function rounds(perRound: readonly number[]): string {
  return perRound.map((r) => r.toFixed(3)).join(", ") || "—";
}

/** proxyProtocolText is the warren-pp ÷ warren table (rate and CPU per op, paired per round), or "" without both targets. */
export function proxyProtocolText(results: Results, workloads: readonly Workload[]): string {
  const rows = [["workload", "metric", OFF, ON, `${ON} ÷ ${OFF} per round (median)`, "each round"]];
  for (const name of COMPARED) {
    const w = workloads.find((x) => x.name === name);
    const c = cells(results, name);
    if (w === undefined || c === null) continue;
    const cpu = w.extras.find((e) => e.key === CPU_KEY);
    const metrics = [{ unit: w.unit, off: c.off.rounds, on: c.on.rounds }];
    if (cpu !== undefined) metrics.push({ unit: cpu.unit, off: c.off.extras[CPU_KEY] ?? [], on: c.on.extras[CPU_KEY] ?? [] });
    for (const m of metrics) {
      const perRound = pairedRatios(m.on, m.off);
      const paired = median(perRound);
      rows.push([name, m.unit, format(median(m.off), m.unit), format(median(m.on), m.unit), Number.isFinite(paired) ? `${paired.toFixed(3)}× (${pct(paired - 1)})` : "—", rounds(perRound)]);
    }
  }
  if (rows.length === 1) return "";
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) => `  ${r.map((cell, i) => (i < 2 || i === 5 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("   ").trimEnd()}`);
  return [
    `PROXY protocol cost — ${ON} (proxyProtocol on, one v2 header per connection) vs ${OFF} (off), same run, medians of rounds`,
    ...lines,
    "  per round = round i of one ÷ round i of the other (interleaved, so slow drift cancels); the median of those is the verdict.",
    "  rr and pipelined keep their connections, so the header is read once per connection: what is left per request is the stage's one check per event.",
  ].join("\n");
}

/** proxyProtocolGoals: the issue-11 budget on rr CPU per request. Empty when the run lacks either target. */
export function proxyProtocolGoals(results: Results): Goal[] {
  const c = cells(results, "rr");
  if (c === null) return [];
  const goal = `proxyProtocol costs ≤ ${PP_MAX_COST * 100}% of warren's CPU per rr request`;
  const on = c.on.extras[CPU_KEY] ?? [];
  const off = c.off.extras[CPU_KEY] ?? [];
  const perRound = pairedRatios(on, off);
  if (perRound.length === 0) return [{ goal, met: null, detail: `not measured (no rr round of both ${OFF} and ${ON})` }];
  const paired = median(perRound);
  const noise = Math.max(spread(on), spread(off));
  const note =
    perRound.length < 3
      ? " — fewer than 3 paired rounds: not conclusive"
      : Number.isFinite(noise) && noise > PP_MAX_COST
        ? ` — each target's rounds spread ${pct(noise, false)}, more than the budget, so read the per-round ratios`
        : "";
  return [
    {
      goal,
      met: paired - 1 <= PP_MAX_COST,
      detail: `${ON} ÷ ${OFF} CPU µs/req per round (median) = ${paired.toFixed(3)}× (${pct(paired - 1)}); medians ${median(on).toFixed(2)} vs ${median(off).toFixed(2)} µs; rounds ${rounds(perRound)}${note}`,
    },
  ];
}

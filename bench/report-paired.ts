/**
 * What a variant of warren costs against plain warren, on the same workloads in the same run:
 * warren-pp (proxyProtocol on, a v2 header per connection; issue 11: ≤ 2% of the proxy's CPU per rr
 * request) and warren-w2 (two workers under a supervisor; issue 12: CPU per request within 5% of one
 * worker). The budget is on the proxy's CPU per rr request, the steadier number on a shared machine; it
 * is decided on the median of the per-round ratios, round i of one against round i of the other
 * (rounds are interleaved, so the machine's drift and regime flips cancel), and printed with every
 * round's ratio.
 */
import { type Cell, type Goal, type Results, format, pct } from "./report.ts";
import { type MedianInterval, median, medianInterval, pairedRatios, spread } from "./stats.ts";
import type { Workload } from "./workloads.ts";

/** A variant compared with a base target: names, the budget on rr CPU per request, and what to say. */
export interface PairedVariant {
  readonly off: string;
  readonly on: string;
  /** The most the variant may add to the proxy's CPU per rr request, as a fraction. */
  readonly maxCost: number;
  readonly title: string;
  readonly goal: string;
  readonly notes: readonly string[];
  /** The variant's worker count: print how its connections spread over them. */
  readonly workers?: number;
}

export const PP_MAX_COST = 0.02;
export const PROXY_PROTOCOL: PairedVariant = {
  off: "warren",
  on: "warren-pp",
  maxCost: PP_MAX_COST,
  title: "PROXY protocol cost — warren-pp (proxyProtocol on, one v2 header per connection) vs warren (off), same run, medians of rounds",
  goal: `proxyProtocol costs ≤ ${PP_MAX_COST * 100}% of warren's CPU per rr request`,
  notes: [
    "  rr and pipelined keep their connections, so the header is read once per connection: what is left per request is the stage's one check per event.",
  ],
};

/**
 * SNI routing: the issue sets no budget; it is reported beside the PROXY protocol's (the same stage,
 * a larger first message), not judged.
 */
export const SNI_ROUTING: PairedVariant = {
  off: "warren",
  on: "warren-sni",
  maxCost: PP_MAX_COST,
  title: "SNI routing cost — warren-sni (routes on, one 517-byte ClientHello per connection) vs warren (off), same run, medians of rounds",
  goal: `SNI routing costs ≤ ${PP_MAX_COST * 100}% of warren's CPU per rr request (reported, not from the issue)`,
  notes: ["  rr and pipelined keep their connections, so the hello is read once per connection; connect pays it every time."],
};

export const ADMIN_MAX_COST = 0.02;
/** The admin server and its metrics, idle (nobody scraping): issue 10 allows ≤ 2% of rr CPU per request. */
export const ADMIN: PairedVariant = {
  off: "warren-noadmin",
  on: "warren",
  maxCost: ADMIN_MAX_COST,
  title:
    "admin server cost — warren (admin server on, as by default) vs warren-noadmin ([admin] enabled = false), same run, medians of rounds",
  goal: `the admin server and metrics cost ≤ ${ADMIN_MAX_COST * 100}% of warren's CPU per rr request`,
  notes: [
    "  Nobody scrapes during these rounds: the cost measured is that of counters kept in place and an idle Bun.serve beside the listeners.",
  ],
};

export const WORKERS_MAX_COST = 0.05;
export const WORKERS: PairedVariant = {
  off: "warren",
  on: "warren-w2",
  maxCost: WORKERS_MAX_COST,
  title:
    "workers cost — warren-w2 (workers = 2: a supervisor and two SO_REUSEPORT workers) vs warren (one process), same run, medians of rounds",
  goal: `workers = 2 costs ≤ ${WORKERS_MAX_COST * 100}% of one process's CPU per rr request (summed over the workers)`,
  workers: 2,
  notes: [
    "  CPU is summed over the supervisor and both workers. On this 2-core machine the load generator and the echo backend share",
    "  the cores with the two workers, so req/s cannot show a second core's gain here; CPU per request says what multi-core costs.",
  ],
};

const COMPARED = ["rr", "pipelined", "connect"] as const;
const CPU_KEY = "cpuUsPerOp";

function cells(results: Results, w: string, v: PairedVariant): { off: Cell; on: Cell } | null {
  const off = results.get(w)?.get(v.off);
  const on = results.get(w)?.get(v.on);
  return off === undefined || on === undefined ? null : { off, on };
}

function rounds(perRound: readonly number[]): string {
  return perRound.map((r) => r.toFixed(3)).join(", ") || "—";
}

/** intervalText: the per-round ratios' median interval (medianInterval, 95%), or why there is none. */
function intervalText(i: MedianInterval | null): string {
  return i === null ? "— (< 6 rounds)" : `${i.lo.toFixed(3)}–${i.hi.toFixed(3)}`;
}

/** variantText is the variant ÷ base table (rate and CPU per op, paired per round), or "" without both targets. */
export function variantText(results: Results, workloads: readonly Workload[], v: PairedVariant): string {
  const { off: OFF, on: ON } = v;
  const rows = [["workload", "metric", OFF, ON, `${ON} ÷ ${OFF} per round (median)`, "95% interval", "each round"]];
  for (const name of COMPARED) {
    const w = workloads.find((x) => x.name === name);
    const c = cells(results, name, v);
    if (w === undefined || c === null) continue;
    const cpu = w.extras.find((e) => e.key === CPU_KEY);
    const metrics = [{ unit: w.unit, off: c.off.rounds, on: c.on.rounds }];
    if (cpu !== undefined) metrics.push({ unit: cpu.unit, off: c.off.extras[CPU_KEY] ?? [], on: c.on.extras[CPU_KEY] ?? [] });
    for (const m of metrics) {
      const perRound = pairedRatios(m.on, m.off);
      const paired = median(perRound);
      rows.push([
        name,
        m.unit,
        format(median(m.off), m.unit),
        format(median(m.on), m.unit),
        Number.isFinite(paired) ? `${paired.toFixed(3)}× (${pct(paired - 1)})` : "—",
        intervalText(medianInterval(perRound)),
        rounds(perRound),
      ]);
    }
  }
  if (rows.length === 1) return "";
  const spreadLines = v.workers === undefined ? [] : spreadText(results, v.on, v.workers);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map(
    (r) =>
      `  ${r
        .map((cell, i) => (i < 2 || i === 6 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
        .join("   ")
        .trimEnd()}`,
  );
  return [
    v.title,
    ...lines,
    "  per round = round i of one ÷ round i of the other (interleaved, so slow drift cancels); the median of those is the verdict.",
    "  95% interval: of that median, from the rounds' order statistics (no assumption on the noise's shape; needs ≥ 6 rounds).",
    ...spreadLines,
    ...v.notes,
  ].join("\n");
}

/** spreadText: per workload, the least-loaded worker's share of the connections (ss -tnp, medians). */
function spreadText(results: Results, target: string, workers: number): string[] {
  const out: string[] = [];
  for (const name of COMPARED) {
    const c = results.get(name)?.get(target);
    const share = median(c?.extras.minSharePct ?? []);
    if (!Number.isFinite(share)) continue;
    out.push(
      `  ${name}: the least-loaded of ${target}'s processes held ${share.toFixed(1)}% of the connections (median of rounds; even over ${workers} is ${(100 / workers).toFixed(0)}%)`,
    );
  }
  return out;
}

/** variantGoals: the variant's budget on rr CPU per request. Empty when the run lacks either target. */
export function variantGoals(results: Results, v: PairedVariant): Goal[] {
  const { off: OFF, on: ON, goal } = v;
  const c = cells(results, "rr", v);
  if (c === null) return [];
  const on = c.on.extras[CPU_KEY] ?? [];
  const off = c.off.extras[CPU_KEY] ?? [];
  const perRound = pairedRatios(on, off);
  if (perRound.length === 0) return [{ goal, met: null, detail: `not measured (no rr round of both ${OFF} and ${ON})` }];
  const paired = median(perRound);
  const noise = Math.max(spread(on), spread(off));
  const bounds = medianInterval(perRound);
  const note =
    perRound.length < 3
      ? " — fewer than 3 paired rounds: not conclusive"
      : bounds !== null && bounds.hi - 1 > v.maxCost
        ? ` — 95% interval ${intervalText(bounds)} reaches past the budget: more rounds would narrow it`
        : Number.isFinite(noise) && noise > v.maxCost && bounds === null
          ? ` — each target's rounds spread ${pct(noise, false)}, more than the budget, so read the per-round ratios`
          : "";
  return [
    {
      goal,
      met: paired - 1 <= v.maxCost,
      detail: `${ON} ÷ ${OFF} CPU µs/req per round (median) = ${paired.toFixed(3)}× (${pct(paired - 1)}); medians ${median(on).toFixed(2)} vs ${median(off).toFixed(2)} µs; 95% interval ${intervalText(bounds)}; rounds ${rounds(perRound)}${note}`,
    },
  ];
}

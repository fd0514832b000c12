#!/usr/bin/env bun
/**
 * Redis through warren's pooled mode vs twemproxy: `bun bench/pool.ts`
 * (flags: bench/pool/options.ts).
 *
 * One private redis-server; each target (direct, warren 1:1, warren pool
 * exclusive, warren pool multiplexed on 1 and 2 connections, twemproxy) in
 * its own process; every measurement by a fresh load-generator process.
 * Rounds are interleaved and the target order rotates each round, so drift
 * on a shared machine spreads over every target. While a window is counted
 * the bench samples Redis's `INFO clients` to see how many connections each
 * target really holds.
 */
import { mkdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { THIS_CHECKOUT, checkoutBaseline, withTwins } from "./baseline.ts";
import { benchMain, sleep, stopAllChildren } from "./children.ts";
import { describeMachine } from "./machine.ts";
import { enablePinning } from "./pin.ts";
import { type Sample, measure } from "./pool/measure.ts";
import { type PoolBenchOptions, type PoolWorkloadName, parsePoolOptions } from "./pool/options.ts";
import { startRedis } from "./pool/redis.ts";
import { type PoolCell, type PoolResults, goals, goalsText, markdown, ratios, ratiosText, toJson, workloadTable } from "./pool/report.ts";
import { POOL_TARGETS, type PoolTargetKind, type WarrenRun } from "./pool/targets.ts";
import { type BaselineRow, type PairedMetric, baselineJson, baselineText, compareWithBaseline, pairRow } from "./report-baseline.ts";
import type { Probe } from "./targets/target.ts";

const RESULTS_DIR = join(import.meta.dir, "results");
/** A breath between measurements, so one's CPU tail does not land on the next. */
const PAUSE_MS = 250;
/** What the baseline comparison pairs: the unpipelined and pipelined rates, and the proxy's CPU per request. */
const PAIRED = [
  { key: "reqPerSec", unit: "req/s", higherIsBetter: true },
  { key: "targetCpuUsPerReq", unit: "proxy CPU µs/req", higherIsBetter: false },
] as const satisfies readonly PairedMetric<keyof Sample>[];

async function main(argv: readonly string[]): Promise<number> {
  return benchMain(argv, (a) => parsePoolOptions(a, RESULTS_DIR), bench, "warren-pool-bench-");
}

function describeWorkload(name: string, o: PoolBenchOptions): string {
  const mix = `${Math.round(o.setRatio * 100)}% SET / ${Math.round((1 - o.setRatio) * 100)}% GET, keys key:0..${o.keys - 1}, values ${o.valueMinBytes}–${o.valueMaxBytes} B`;
  const inFlight =
    name === "single" ? "1 request in flight each (no pipelining)" : `${o.pipelineDepth} requests in flight each (pipelined)`;
  return `${o.clients} clients, ${inFlight}; ${o.generator === "bun" ? mix : "redis-benchmark -t get,set"}`;
}

async function bench(o: PoolBenchOptions, dir: string): Promise<number> {
  const startedAt = new Date();
  const machine = describeMachine();
  // Each warren target's @base twin right after it: rotation keeps the two back to back in most rounds.
  const base = checkoutBaseline(o.baseline, dir);
  const kinds = withTwins(
    POOL_TARGETS.filter((k) => (o.targets as readonly string[]).includes(k.name)),
    base,
  );
  const probes = new Map<string, Probe>();
  const current = o.warrenDir === null ? THIS_CHECKOUT : { dir: resolve(o.warrenDir), suffix: "", label: resolve(o.warrenDir) };
  const warrenRun: WarrenRun = { warren: current, profileDir: o.profileDir === null ? null : resolve(o.profileDir) };
  for (const k of kinds) probes.set(k.name, await k.probe(warrenRun));
  const usable = kinds.filter((k) => probes.get(k.name)?.ok === true);
  if (o.profileDir !== null) await mkdir(o.profileDir, { recursive: true });

  const say = (text = "") => process.stdout.write(`${text}\n`);
  say(`warren pool bench — ${startedAt.toISOString()}${o.quick ? " (--quick smoke run: numbers are not meaningful)" : ""}`);
  say(
    `machine: ${machine.cores} cores (${machine.cpu}), ${machine.memoryGiB} GiB, ${machine.kernel}, load average ${machine.loadAverage} at start`,
  );
  say(`bun ${machine.bun}`);
  const redis = await startRedis(dir);
  say(`  redis    ${redis.version} — private redis-server, --save "" --appendonly no`);
  const width = Math.max(16, ...kinds.map((k) => k.name.length));
  for (const k of kinds) {
    const p = probes.get(k.name)!;
    say(`  ${k.name.padEnd(width)} ${p.ok ? `${p.version} — ${p.notes}` : p.reason}`);
  }
  if (o.pin) {
    const pin = enablePinning();
    if (!pin.ok) throw new Error(pin.text);
    say(`${pin.text} (Redis runs with the load generator)`);
  } else say("unpinned: the scheduler places load generator, Redis and target on the 2 cores");
  say(
    `generator: ${o.generator === "bun" ? "bench/pool/generator.ts (Bun, replies counted with warren's RESP scanner)" : "redis-benchmark"}, a fresh process per measurement`,
  );
  say(`rounds: ${o.rounds} × ${o.durationMs / 1000} s counted after ${o.warmupMs / 1000} s warmup (interleaved, order rotated; medians)`);
  say("each target is started fresh for each measurement and stopped after it, so only it holds Redis connections");
  if (base !== null) say(`baseline: every warren target runs a second time, as <target>@base, from ${base.label}`);
  say(`Redis conns: INFO clients connected_clients sampled every 100 ms while counting, max, minus the bench's admin connection`);
  for (const w of o.workloads) say(`  ${w.padEnd(10)} ${describeWorkload(w, o)}`);
  say();

  await redis.admin.preload(o);
  const results: PoolResults = new Map();
  for (const w of o.workloads) results.set(w, new Map(usable.map((k) => [k.name, { rounds: [], errors: [] } as PoolCell])));
  let instance = 0;
  // One target at a time, started fresh for each measurement: Redis's client count must be this
  // target's alone (an idle twemproxy or warren pool would still hold its connections).
  const measureFresh = async (k: PoolTargetKind, w: PoolWorkloadName): Promise<Sample> => {
    const sub = join(dir, `${k.name.replace(":", "-")}-${++instance}`);
    await mkdir(sub, { recursive: true });
    const t = await k.start(redis.port, sub, warrenRun);
    try {
      return await measure(w, t, redis, o);
    } finally {
      await t.stop();
      await redis.admin.waitForClients(1, 2000); // the next target's count starts clean
    }
  };

  for (let round = 0; round < o.rounds; round++) {
    for (const w of o.workloads) {
      for (const k of rotate(usable, round)) {
        const cell = results.get(w)!.get(k.name)!;
        const sample = await measureFresh(k, w).catch((err: Error) => err);
        await sleep(PAUSE_MS);
        if (sample instanceof Error) {
          cell.rounds.push(null);
          cell.errors.push(`round ${round + 1}: ${sample.message}`);
          progress(round, o.rounds, w, k.name.padEnd(width), `error: ${sample.message.split("\n")[0]}`);
          continue;
        }
        cell.rounds.push(sample);
        const extra =
          sample.errorReplies + sample.errors > 0 ? `, ${sample.errorReplies} error replies, ${sample.errors} socket errors` : "";
        progress(
          round,
          o.rounds,
          w,
          k.name.padEnd(width),
          `${Math.round(sample.reqPerSec).toLocaleString("en-US")} req/s, ${sample.backendConns} Redis conns${extra}`,
        );
      }
    }
  }
  await redis.stop();

  say();
  for (const w of o.workloads) {
    say(workloadTable(w, describeWorkload(w, o), results.get(w)!));
    say();
  }
  const rs = ratios(results);
  say("ratios (medians; req/s higher is better, proxy CPU per request lower is better):");
  say(ratiosText(rs));
  say();
  const admin = adminCost(results, o.workloads);
  if (admin.length > 0) {
    say(adminText(admin));
    say();
  }
  let vsBase: BaselineRow[] = [];
  if (base !== null) {
    vsBase = compareWithBaseline(
      o.workloads.map((w) => ({ name: w, metrics: PAIRED, targets: [...results.get(w)!.keys()] })),
      (w, t, key) =>
        results
          .get(w)
          ?.get(t)
          ?.rounds.map((s) => (s === null ? null : s[key])) ?? [],
    );
    say(baselineText(vsBase, base, o.rounds));
    say();
  }
  const gs = goals(results);
  say("goal:");
  say(goalsText(gs, o.quick));
  say();
  say("Markdown (medians):");
  say();
  say(markdown(results));
  say();
  if (o.profileDir !== null) say(`CPU profiles of the warren targets: ${o.profileDir}`);

  const json = {
    date: startedAt.toISOString(),
    quick: o.quick,
    machine,
    redis: redis.version,
    targets: Object.fromEntries(probes),
    options: { ...o, jsonPath: undefined },
    workloads: Object.fromEntries(o.workloads.map((w) => [w, describeWorkload(w, o)])),
    results: toJson(results),
    ratios: rs,
    goals: gs,
    adminCost: admin,
    baseline: base === null || o.baseline === null ? null : baselineJson(o.baseline, base, vsBase),
  };
  await mkdir(dirname(o.jsonPath), { recursive: true });
  await Bun.write(o.jsonPath, `${JSON.stringify(json, null, 2)}\n`);
  say(`results written to ${o.jsonPath}`);
  // A target whose every measurement failed is broken, not slow.
  const broken = [...results.values()].some((cells) =>
    [...cells.values()].some((c) => c.rounds.length > 0 && c.rounds.every((s) => s === null)),
  );
  return broken ? 1 : 0;
}

/** The admin server's cost to the pool: warren-pool-mux1 (admin on) ÷ its twin with [admin] enabled = false, paired per round. */
const ADMIN_PAIR = { on: "warren-pool-mux1", off: "warren-pool-mux1-noadmin", maxCost: 0.02 } as const;

function adminCost(results: PoolResults, workloads: readonly PoolWorkloadName[]): BaselineRow[] {
  const rows: BaselineRow[] = [];
  for (const w of workloads) {
    const cells = results.get(w);
    const on = cells?.get(ADMIN_PAIR.on);
    const off = cells?.get(ADMIN_PAIR.off);
    if (on === undefined || off === undefined) continue;
    for (const m of PAIRED)
      rows.push(
        pairRow(
          w,
          ADMIN_PAIR.on,
          ADMIN_PAIR.off,
          m,
          on.rounds.map((s) => (s === null ? null : s[m.key])),
          off.rounds.map((s) => (s === null ? null : s[m.key])),
        ),
      );
  }
  return rows;
}

function adminText(rows: readonly BaselineRow[]): string {
  const lines = [
    `admin server cost — ${ADMIN_PAIR.on} (admin on) ÷ ${ADMIN_PAIR.off}, per round (median); issue 10's budget: ≤ ${ADMIN_PAIR.maxCost * 100}% of unpipelined req/s`,
  ];
  for (const r of rows) {
    const verdict = r.ratio === null ? "not measured" : `${r.ratio.toFixed(3)}× (${((r.ratio - 1) * 100).toFixed(1)}%)`;
    const goal =
      r.workload === "single" && r.higherIsBetter && r.ratio !== null
        ? 1 - r.ratio <= ADMIN_PAIR.maxCost
          ? "  within budget"
          : "  OVER budget"
        : "";
    lines.push(
      `  ${r.workload.padEnd(9)} ${r.metric.padEnd(17)} ${verdict}${goal}; rounds ${r.perRound.map((x) => x.toFixed(3)).join(", ") || "—"}`,
    );
  }
  return lines.join("\n");
}

function rotate<T>(xs: readonly T[], by: number): T[] {
  if (xs.length === 0) return [];
  const k = by % xs.length;
  return [...xs.slice(k), ...xs.slice(0, k)];
}

function progress(round: number, rounds: number, w: string, target: string, text: string): void {
  process.stderr.write(`  [round ${round + 1}/${rounds}] ${w.padEnd(9)} ${target} ${text}\n`);
}

process.exitCode = await main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`bench/pool: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 1;
});
await stopAllChildren();
process.exit(process.exitCode);

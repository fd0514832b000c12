#!/usr/bin/env bun
/**
 * warren's end-to-end benchmark: `bun run bench` (flags: bench/options.ts).
 *
 * One echo/sink backend process (with 3 listeners of each kind, for
 * warren-lb); each target (direct, warren's CLI over one backend or over
 * three, HAProxy, nginx stream) in its own process; every measurement by a fresh
 * load-generator process. Rounds are interleaved — round 1 runs every
 * workload on every target, then round 2, … — and the target order rotates
 * each round, so slow drift on a shared machine spreads over all targets
 * instead of landing on one. Medians are reported.
 *
 * Separate benches: bench/pool.ts (Redis through the pool against twemproxy) and bench/metrics.ts (the
 * cost of a Prometheus scrape, and rr latency with scrapes against without).
 */
import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { checkoutBaseline, withTwins } from "./baseline.ts";
import { benchMain, readLines, sleep, spawnChild, stopAllChildren, withTimeout } from "./children.ts";
import { describeMachine } from "./machine.ts";
import { runMicro } from "./micro.ts";
import { type BenchOptions, parseOptions } from "./options.ts";
import { enablePinning, withPin } from "./pin.ts";
import { type BaselineRow, type PairedWorkload, baselineJson, baselineText, compareWithBaseline } from "./report-baseline.ts";
import { balancingGoals, balancingText } from "./report-lb.ts";
import { type Cell, type Results, goals, goalsText, markdown, newCell, toJson, workloadTable, format } from "./report.ts";
import { direct } from "./targets/direct.ts";
import { haproxy } from "./targets/haproxy.ts";
import { nginx } from "./targets/nginx.ts";
import type { BackendPorts, Probe, RunningTarget, TargetKind } from "./targets/target.ts";
import { warren, warrenNoAdmin } from "./targets/warren.ts";
import { LB_BACKENDS, warrenLb } from "./targets/warren-lb.ts";
import { warrenPp } from "./targets/warren-pp.ts";
import { warrenSni } from "./targets/warren-sni.ts";
import { ADMIN, PROXY_PROTOCOL, SNI_ROUTING, variantGoals, variantText, WORKERS } from "./report-paired.ts";
import { warrenW2 } from "./targets/warren-w2.ts";
import type { Series } from "./stats.ts";
import { WORKLOADS, type Workload } from "./workloads.ts";

const KINDS: readonly TargetKind[] = [direct, warren, warrenNoAdmin, warrenLb, warrenPp, warrenSni, warrenW2, haproxy, nginx];
const RESULTS_DIR = join(import.meta.dir, "results");
/** A breath between measurements, so one's TIME_WAIT and CPU tail do not land on the next. */
const PAUSE_MS = 250;

async function main(argv: readonly string[]): Promise<number> {
  return benchMain(argv, (a) => parseOptions(a, RESULTS_DIR), bench, "warren-bench-");
}

async function bench(o: BenchOptions, dir: string): Promise<number> {
  const startedAt = new Date();
  const machine = describeMachine();
  // Each warren target's @base twin right after it: rotation keeps the two back to back in most rounds.
  const base = checkoutBaseline(o.baseline, dir);
  const kinds = withTwins(
    KINDS.filter((k) => o.targets.includes(k.name)),
    base,
  );
  const probes = new Map<string, Probe>();
  for (const k of kinds) probes.set(k.name, await k.probe());
  const usable = kinds.filter((k) => probes.get(k.name)?.ok === true);
  const workloads = WORKLOADS.filter((w) => o.workloads.includes(w.name));

  const say = (text = "") => process.stdout.write(`${text}\n`);
  say(`warren bench — ${startedAt.toISOString()}${o.quick ? " (--quick smoke run: numbers are not meaningful)" : ""}`);
  say(
    `machine: ${machine.cores} cores (${machine.cpu}), ${machine.memoryGiB} GiB, ${machine.kernel}, load average ${machine.loadAverage} at start`,
  );
  say(`bun ${machine.bun}`);
  const width = Math.max(9, ...kinds.map((k) => k.name.length));
  for (const k of kinds) {
    const p = probes.get(k.name)!;
    say(`  ${k.name.padEnd(width)} ${p.ok ? `${p.version} — ${p.notes}` : p.reason}`);
  }
  if (o.pin) {
    const pin = enablePinning();
    if (!pin.ok) throw new Error(pin.text);
    say(pin.text);
  } else {
    say("unpinned: the scheduler places load generator, backend and target (try --pin to give the target its own core)");
  }
  say(`rounds: ${o.rounds} (interleaved, target order rotated each round; medians reported)`);
  if (base !== null) say(`baseline: every warren target runs a second time, as <target>@base, from ${base.label}`);
  say(`every process separate: load generator (Bun, new per measurement), backend (Bun echo/sink), each target`);
  for (const w of workloads) say(`  ${w.name.padEnd(10)} ${w.describe(o)}`);
  say();

  const backend = await startBackend();
  const running = new Map<string, RunningTarget>();
  const results: Results = new Map();
  for (const w of workloads) {
    const cells = new Map<string, Cell>();
    for (const k of usable) if ((!w.proxiesOnly || k.isProxy) && (k.workloads?.includes(w.name) ?? true)) cells.set(k.name, newCell());
    results.set(w.name, cells);
  }

  let instance = 0;
  const startTarget = async (k: TargetKind): Promise<RunningTarget> => {
    const sub = join(dir, `${k.name}-${++instance}`);
    await mkdir(sub, { recursive: true });
    return k.start(backend, sub);
  };

  for (let round = 0; round < o.rounds; round++) {
    for (const w of workloads) {
      const order = rotate(
        usable.filter((k) => results.get(w.name)!.has(k.name)),
        round,
      );
      for (const k of order) {
        const cell = results.get(w.name)!.get(k.name)!;
        const sample = await measureOne(w, k, o, running, startTarget).catch((err: Error) => err);
        await sleep(PAUSE_MS);
        if (sample instanceof Error) {
          cell.rounds.push(null);
          // Keep every list one entry per round, so round i of two targets can be paired.
          for (const e of w.extras) (cell.extras[e.key] ??= []).push(null);
          cell.errors.push(`round ${round + 1}: ${sample.message}`);
          progress(round, o.rounds, w, k.name.padEnd(width), `error: ${sample.message.split("\n")[0]}`);
          continue;
        }
        cell.rounds.push(sample.value);
        for (const e of w.extras) (cell.extras[e.key] ??= []).push(sample.extra[e.key] ?? null);
        progress(round, o.rounds, w, k.name.padEnd(width), `${format(sample.value, w.unit)} ${w.unit}`);
      }
    }
  }
  for (const t of running.values()) await t.stop();

  say();
  for (const w of workloads) {
    say(workloadTable(w, results.get(w.name)!, w.describe(o)));
    say();
  }
  const lb = balancingText(results, workloads);
  if (lb !== "") {
    say(lb);
    say();
  }
  for (const variant of [ADMIN, PROXY_PROTOCOL, SNI_ROUTING, WORKERS]) {
    const text = variantText(results, workloads, variant);
    if (text === "") continue;
    say(text);
    say();
  }
  let vsBase: BaselineRow[] = [];
  if (base !== null) {
    vsBase = compareWithBaseline(pairedWorkloads(workloads, results), (w, t, key) => series(results, w, t, key));
    say(baselineText(vsBase, base, o.rounds));
    say();
  }
  const gs = [
    ...goals(results),
    ...balancingGoals(results),
    ...variantGoals(results, ADMIN),
    ...variantGoals(results, PROXY_PROTOCOL),
    ...variantGoals(results, WORKERS),
  ];
  say("goals (from the issues):");
  say(goalsText(gs, o.quick));
  say();
  const targetNames = usable.map((k) => k.name);
  say("Markdown (medians; ↑ higher is better, ↓ lower is better):");
  say();
  say(markdown(workloads, results, targetNames));
  say();

  const json = {
    date: startedAt.toISOString(),
    quick: o.quick,
    machine,
    targets: Object.fromEntries(probes),
    options: { ...o, jsonPath: undefined },
    workloads: Object.fromEntries(
      workloads.map((w) => [w.name, { unit: w.unit, higherIsBetter: w.higherIsBetter, description: w.describe(o) }]),
    ),
    results: toJson(results),
    goals: gs,
    baseline: base === null || o.baseline === null ? null : baselineJson(o.baseline, base, vsBase),
  };
  await mkdir(dirname(o.jsonPath), { recursive: true });
  await Bun.write(o.jsonPath, `${JSON.stringify(json, null, 2)}\n`);
  say(`results written to ${o.jsonPath}`);

  let failed = false;
  if (o.micro) {
    const micro = await runMicro();
    failed = micro.some((m) => !m.ok);
    for (const m of micro) if (!m.ok) process.stdout.write(`micro-benchmark failed: bench/micro/${m.file}\n`);
  }
  // A bench whose every measurement of some target failed is broken, not slow.
  const broken = [...results.values()].some((cells) =>
    [...cells.values()].some((c) => c.rounds.length > 0 && c.rounds.every((v) => v === null)),
  );
  return broken || failed ? 1 : 0;
}

/** pairedWorkloads: what the baseline comparison pairs on each workload, its rate (or KiB/conn) and its CPU per operation. */
function pairedWorkloads(workloads: readonly Workload[], results: Results): PairedWorkload[] {
  return workloads.map((w) => ({
    name: w.name,
    metrics: [{ key: "", unit: w.unit, higherIsBetter: w.higherIsBetter }, ...w.extras.filter((e) => e.cpu === true)],
    targets: [...(results.get(w.name)?.keys() ?? [])],
  }));
}

/** series: a cell's rounds of one metric ("" is the workload's headline). */
function series(results: Results, workload: string, target: string, key: string): Series {
  const c = results.get(workload)?.get(target);
  if (c === undefined) return [];
  return key === "" ? c.rounds : (c.extras[key] ?? []);
}

/** measureOne gets (or restarts, or freshly starts) the target, then takes one sample. */
async function measureOne(
  w: Workload,
  k: TargetKind,
  o: BenchOptions,
  running: Map<string, RunningTarget>,
  startTarget: (k: TargetKind) => Promise<RunningTarget>,
): ReturnType<Workload["measure"]> {
  if (w.freshTarget) {
    const t = await startTarget(k);
    try {
      return await w.measure(t, o);
    } finally {
      await t.stop();
    }
  }
  let t = running.get(k.name);
  if (t !== undefined && !t.alive()) {
    process.stderr.write(`  ! ${k.name} exited; restarting it\n`);
    running.delete(k.name);
    t = undefined;
  }
  if (t === undefined) {
    t = await startTarget(k);
    running.set(k.name, t);
  }
  return w.measure(t, o);
}

async function startBackend(): Promise<BackendPorts> {
  // stdin is the backend's lifeline: it exits when the bench goes away, however that happens.
  // Always LB_BACKENDS listeners of each kind: idle ones cost nothing, and every target then sees the same backend process.
  const cmd = [process.execPath, join(import.meta.dir, "backend-echo.ts"), String(LB_BACKENDS)];
  const proc = spawnChild(withPin("load", cmd), { stdin: "pipe", stdout: "pipe" });
  const lines = readLines(proc.stdout as ReadableStream<Uint8Array>);
  const first = await withTimeout(lines.next(), 10_000, "echo backend");
  if (first.done === true) throw new Error("echo backend exited before printing its ports");
  return JSON.parse(first.value) as BackendPorts;
}

function rotate<T>(xs: readonly T[], by: number): T[] {
  if (xs.length === 0) return [];
  const k = by % xs.length;
  return [...xs.slice(k), ...xs.slice(0, k)];
}

function progress(round: number, rounds: number, w: Workload, target: string, text: string): void {
  process.stderr.write(`  [round ${round + 1}/${rounds}] ${w.name.padEnd(9)} ${target} ${text}\n`);
}

process.exitCode = await main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 1;
});
await stopAllChildren();
process.exit(process.exitCode);

#!/usr/bin/env bun
/**
 * The metrics bench: `bun bench/metrics.ts [--rounds N] [--quick]` (separate from `bun run bench`).
 *
 * 1. Scrape cost: a warren (bench/metrics/target.ts, its own process) with IDLE_SESSIONS live tunnel
 *    sessions spread over 100 backends (bench/backend-echo.ts, its own process), the clients in a third
 *    process (bench/load/idle.ts). GET /metrics is scraped SCRAPES times, 100 ms apart; reported: the
 *    render time measured inside warren, the whole HTTP scrape as the scraper sees it, and the size.
 *    Goal: < 20 ms.
 * 2. Scrapes against the data path: rr traffic (bench/load/rr.ts, a fresh process per measurement)
 *    through the same warren, with those sessions still live, once without scrapes and once with a
 *    scrape every 100 ms; rounds interleaved, the order alternating each round. Reported: medians of
 *    p99 latency and req/s, and the median of the per-round ratios (with scrapes ÷ without).
 *
 * Why not 10,000 sessions: the open-file limit is 20,000 per process here (hard limit too), and a
 * proxy holds two descriptors per session, so 10,000 sessions alone would be all 20,000 of warren's
 * descriptors before its own listeners and the rr connections (the backends' listening sockets live in the
 * backend process). The bench holds IDLE_SESSIONS + the rr connections instead,
 * and says how many it held.
 */
import { join } from "node:path";
import { installExitHandlers, readLines, spawnChild, stopAllChildren, withTimeout } from "./children.ts";
import { holdIdle, runLoad } from "./load/spawn.ts";
import { describeMachine } from "./machine.ts";
import { median, pairedRatios } from "./stats.ts";

const BACKENDS = 100;
const IDLE_SESSIONS = 9_800;
const RR_CONNECTIONS = 50;
const SCRAPE_EVERY_MS = 100;
const GOAL_MS = 20;

interface Options {
  rounds: number;
  durationMs: number;
  warmupMs: number;
  scrapes: number;
  idle: number;
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = { rounds: 5, durationMs: 3000, warmupMs: 500, scrapes: 50, idle: IDLE_SESSIONS };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--quick") Object.assign(o, { rounds: 1, durationMs: 1000, warmupMs: 200, scrapes: 10, idle: 1000 });
    else if (a === "--rounds") o.rounds = Math.max(1, Number(argv[++i]));
    else throw new Error(`bench/metrics.ts: unknown argument ${a} (--rounds N, --quick)`);
  }
  return o;
}

const say = (text = ""): void => void process.stdout.write(`${text}\n`);
const ms = (n: number): string => `${n.toFixed(2)} ms`;

function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

async function firstLine<T>(cmd: string[], what: string): Promise<{ value: T }> {
  const proc = spawnChild(cmd, { stdin: "pipe", stdout: "pipe" });
  const first = await withTimeout(readLines(proc.stdout as ReadableStream<Uint8Array>).next(), 20_000, what);
  if (first.done === true) throw new Error(`${what} exited before printing its ports`);
  return { value: JSON.parse(first.value) as T };
}

interface Scrape {
  renderMs: number;
  fetchMs: number;
  bytes: number;
  body: string;
}

async function scrapeOnce(url: string): Promise<Scrape> {
  const started = performance.now();
  const r = await fetch(url);
  const body = await r.text();
  return {
    renderMs: Number(/render;dur=([\d.]+)/.exec(r.headers.get("server-timing") ?? "")?.[1]),
    fetchMs: performance.now() - started,
    bytes: body.length,
    body,
  };
}

/** scrapeEvery scrapes every `everyMs` until stopped; one scrape at a time (a slow one delays the next). */
function scrapeEvery(url: string, everyMs: number): { stop: () => Promise<Scrape[]> } {
  const done: Scrape[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const next = performance.now() + everyMs;
      done.push(await scrapeOnce(url));
      await Bun.sleep(Math.max(0, next - performance.now()));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return done;
    },
  };
}

async function main(argv: readonly string[]): Promise<number> {
  installExitHandlers();
  const o = parseArgs(argv);
  const m = describeMachine();
  say(`warren metrics bench — ${new Date().toISOString()}`);
  say(`machine: ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, ${m.kernel}, load average ${m.loadAverage} at start; bun ${m.bun}`);
  say(
    `processes: warren (library + its admin server's GET /metrics), ${BACKENDS} echo backends (one process), idle clients (one process), rr load generator (fresh per measurement), this scraper`,
  );

  const backend = await firstLine<{ echoes: number[] }>(
    [process.execPath, join(import.meta.dir, "backend-echo.ts"), String(BACKENDS)],
    "echo backends",
  );
  const target = await firstLine<{ port: number; metrics: number; pid: number }>(
    [process.execPath, join(import.meta.dir, "metrics", "target.ts"), backend.value.echoes.join(",")],
    "warren",
  );
  const { port, metrics, pid } = target.value;
  const url = `http://127.0.0.1:${metrics}/metrics`;

  const idle = { workload: "idle", port, connections: o.idle, concurrency: 200, timeoutMs: 120_000 } as const;
  const { result, held } = await holdIdle(idle, async () => {
    const cost = await measureScrapes(url, o);
    const paired = await measureDataPath(url, port, pid, o);
    return { cost, paired };
  });
  if (!result.ok || held === undefined) throw new Error(`idle clients: ${result.ok ? "no result" : result.error}`);
  const { cost, paired } = held;

  say();
  say(
    `1. scrape cost — ${cost.sessions} live sessions over ${BACKENDS} backends (${cost.series} series, ${(cost.bytes / 1024).toFixed(0)} KiB), ${cost.scrapes.length} scrapes ${SCRAPE_EVERY_MS} ms apart`,
  );
  if (o.idle < 10_000)
    say(
      `   (${o.idle} idle clients + the rr connections, not 10,000: 2 descriptors per session against a 20,000 open-file limit per process)`,
    );
  const render = cost.scrapes.map((s) => s.renderMs);
  const fetchMs = cost.scrapes.map((s) => s.fetchMs);
  say(`   render inside warren: median ${ms(median(render))}, p99 ${ms(percentile(render, 99))}, max ${ms(Math.max(...render))}`);
  say(
    `   HTTP scrape as seen by the scraper: median ${ms(median(fetchMs))}, p99 ${ms(percentile(fetchMs, 99))}, max ${ms(Math.max(...fetchMs))}`,
  );
  const met = percentile(fetchMs, 99) < GOAL_MS;
  say(`   goal: a scrape < ${GOAL_MS} ms (p99 of the HTTP scrapes): ${met ? "met" : "NOT met"}`);

  say();
  say(
    `2. rr p99 with a scrape every ${SCRAPE_EVERY_MS} ms vs without — ${RR_CONNECTIONS} connections, 64 B requests, ${o.durationMs / 1000} s windows (after ${o.warmupMs / 1000} s warmup), ${o.rounds} round(s) interleaved, with the ${cost.sessions} idle sessions live`,
  );
  const p99Ratios = pairedRatios(paired.scraping.p99, paired.quiet.p99);
  const rpsRatios = pairedRatios(paired.scraping.rps, paired.quiet.rps);
  say(`   without scrapes: p99 ${(median(paired.quiet.p99) / 1000).toFixed(3)} ms, ${median(paired.quiet.rps).toFixed(0)} req/s (medians)`);
  say(
    `   with scrapes:    p99 ${(median(paired.scraping.p99) / 1000).toFixed(3)} ms, ${median(paired.scraping.rps).toFixed(0)} req/s (medians; ${paired.scrapesDuring} scrapes in all, render median ${ms(median(paired.renderDuring))})`,
  );
  say(
    `   ratio with ÷ without (median of per-round ratios): p99 ×${median(p99Ratios).toFixed(3)}, req/s ×${median(rpsRatios).toFixed(3)}   [per round p99: ${p99Ratios.map((r) => r.toFixed(2)).join(", ")}]`,
  );
  return 0;
}

async function measureScrapes(url: string, o: Options): Promise<{ scrapes: Scrape[]; sessions: number; series: number; bytes: number }> {
  await scrapeOnce(url); // warm the JIT: the first render compiles the renderer
  const scrapes: Scrape[] = [];
  for (let i = 0; i < o.scrapes; i++) {
    const next = performance.now() + SCRAPE_EVERY_MS;
    scrapes.push(await scrapeOnce(url));
    await Bun.sleep(Math.max(0, next - performance.now()));
  }
  const last = scrapes[scrapes.length - 1]!.body;
  const sessions = Number(/^warren_frontend_current_sessions\{proxy="bench"\} (\d+)$/m.exec(last)?.[1] ?? NaN);
  const series = last.split("\n").filter((l) => l !== "" && !l.startsWith("#")).length;
  return { scrapes, sessions, series, bytes: last.length };
}

interface Paired {
  quiet: { p99: (number | null)[]; rps: (number | null)[] };
  scraping: { p99: (number | null)[]; rps: (number | null)[] };
  scrapesDuring: number;
  renderDuring: number[];
}

async function measureDataPath(url: string, port: number, pid: number, o: Options): Promise<Paired> {
  const out: Paired = { quiet: { p99: [], rps: [] }, scraping: { p99: [], rps: [] }, scrapesDuring: 0, renderDuring: [] };
  const rr = {
    workload: "rr",
    port,
    cpuPid: pid,
    connections: RR_CONNECTIONS,
    requestBytes: 64,
    warmupMs: o.warmupMs,
    durationMs: o.durationMs,
  } as const;
  for (let round = 0; round < o.rounds; round++) {
    const order: ("quiet" | "scraping")[] = round % 2 === 0 ? ["quiet", "scraping"] : ["scraping", "quiet"];
    for (const mode of order) {
      const scraper = mode === "scraping" ? scrapeEvery(url, SCRAPE_EVERY_MS) : null;
      const r = await runLoad(rr, o.warmupMs + o.durationMs + 30_000);
      const scrapes = (await scraper?.stop()) ?? [];
      out.scrapesDuring += scrapes.length;
      out.renderDuring.push(...scrapes.map((s) => s.renderMs));
      const ok = r.ok ? r.metrics : null;
      out[mode].p99.push(ok?.p99Us ?? null);
      out[mode].rps.push(ok?.reqPerSec ?? null);
      process.stderr.write(
        `  [round ${round + 1}/${o.rounds}] ${mode.padEnd(8)} ${ok === null ? `failed: ${(r as { error: string }).error}` : `p99 ${(ok.p99Us! / 1000).toFixed(3)} ms, ${ok.reqPerSec!.toFixed(0)} req/s${scrapes.length > 0 ? `, ${scrapes.length} scrapes` : ""}`}\n`,
      );
    }
  }
  return out;
}

process.exitCode = await main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`bench/metrics.ts: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 1;
});
await stopAllChildren();

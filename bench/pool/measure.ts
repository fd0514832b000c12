/**
 * One measurement: a fresh load-generator process (warren's Bun generator or
 * redis-benchmark) against one target, while the bench samples how many
 * connections Redis holds. Every process is bounded in time and stopped in
 * `finally`.
 */
import { join } from "node:path";
import { readLines, spawnChild, stopChild, withTimeout } from "../children.ts";
import { cpuNs } from "../load/cpu.ts";
import { HOST } from "../net.ts";
import { withPin } from "../pin.ts";
import type { RunningTarget } from "../targets/target.ts";
import { type RespLoadParams, type RespLoadResult, WINDOW_START_LINE } from "./generator.ts";
import type { PoolBenchOptions } from "./options.ts";
import type { RunningRedis } from "./redis.ts";

const LOAD_MAIN = join(import.meta.dir, "load-main.ts");
/** How often Redis's client count is sampled during the counted window. */
const SAMPLE_EVERY_MS = 100;
/** Nominal rates that size redis-benchmark's -n to about the window (it has no duration flag). */
const NOMINAL_REQ_PER_SEC = { single: 40_000, pipelined: 300_000 } as const;

export interface Sample {
  reqPerSec: number;
  p50Us: number;
  p99Us: number;
  targetCpuUsPerReq: number;
  redisCpuUsPerReq: number;
  /** Most connections Redis held at once while counting, the admin connection not included. */
  backendConns: number;
  errorReplies: number;
  errors: number;
}

/** ConnSampler polls INFO clients until stopped and keeps the largest count. */
class ConnSampler {
  max = -1;
  private timer: ReturnType<typeof setInterval> | null = null;
  private busy = false;

  constructor(private readonly redis: RunningRedis) {}

  start(): void {
    if (this.timer !== null) return;
    void this.poll();
    this.timer = setInterval(() => void this.poll(), SAMPLE_EVERY_MS);
  }

  private async poll(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      // Minus one: the admin connection asking is a client too.
      this.max = Math.max(this.max, (await this.redis.admin.connectedClients()) - 1);
    } catch {
      // A slow answer under load is a missed sample, not a failed measurement.
    } finally {
      this.busy = false;
    }
  }

  async stop(): Promise<number> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (this.max < 0) await this.poll(); // too short a window for a single sample: take one now
    return this.max;
  }
}

export async function measure(
  workload: "single" | "pipelined",
  target: RunningTarget,
  redis: RunningRedis,
  o: PoolBenchOptions,
): Promise<Sample> {
  return o.generator === "bun" ? measureBun(workload, target, redis, o) : measureRedisBenchmark(workload, target, redis, o);
}

async function measureBun(
  workload: "single" | "pipelined",
  target: RunningTarget,
  redis: RunningRedis,
  o: PoolBenchOptions,
): Promise<Sample> {
  const params: RespLoadParams = {
    port: target.echoPort,
    clients: o.clients,
    depth: workload === "single" ? 1 : o.pipelineDepth,
    warmupMs: o.warmupMs,
    durationMs: o.durationMs,
    targetPid: target.workerPid(),
    redisPid: redis.pid,
    keys: o.keys,
    valueMinBytes: o.valueMinBytes,
    valueMaxBytes: o.valueMaxBytes,
    setRatio: o.setRatio,
  };
  const proc = spawnChild(withPin("load", [process.execPath, LOAD_MAIN, JSON.stringify(params)]), { stdout: "pipe", stderr: "inherit" });
  const sampler = new ConnSampler(redis);
  try {
    let last: string | undefined;
    const read = (async () => {
      for await (const line of readLines(proc.stdout as ReadableStream<Uint8Array>)) {
        if (line === WINDOW_START_LINE) sampler.start();
        else if (line.trim() !== "") last = line;
      }
      await proc.exited;
    })();
    await withTimeout(read, o.warmupMs + o.durationMs + 20_000, `load generator (${workload})`);
    const backendConns = await sampler.stop();
    const result = parse(last);
    if (!result.ok) throw new Error(result.error);
    const m = result.metrics;
    return {
      reqPerSec: m.reqPerSec ?? NaN,
      p50Us: m.p50Us ?? NaN,
      p99Us: m.p99Us ?? NaN,
      targetCpuUsPerReq: m.targetCpuUsPerReq ?? NaN,
      redisCpuUsPerReq: m.redisCpuUsPerReq ?? NaN,
      backendConns,
      errorReplies: m.errorReplies ?? 0,
      errors: m.errors ?? 0,
    };
  } finally {
    await sampler.stop();
    await stopChild(proc);
  }
}

function parse(line: string | undefined): RespLoadResult {
  if (line === undefined) return { ok: false, error: "load generator printed nothing" };
  try {
    return JSON.parse(line) as RespLoadResult;
  } catch {
    return { ok: false, error: `load generator printed "${line.slice(0, 200)}"` };
  }
}

/**
 * measureRedisBenchmark runs `redis-benchmark -t get,set`: SET then GET, each
 * -n requests, keys over the same key space, 40-byte values (the mix's
 * middle). Its req/s is both tests' requests over both tests' time; p50/p99
 * are the mean of the two tests'; CPU times cover the whole run.
 */
async function measureRedisBenchmark(
  workload: "single" | "pipelined",
  target: RunningTarget,
  redis: RunningRedis,
  o: PoolBenchOptions,
): Promise<Sample> {
  const depth = workload === "single" ? 1 : o.pipelineDepth;
  const rate = NOMINAL_REQ_PER_SEC[workload];
  const command = (n: number): string[] => {
    const cmd = [
      "redis-benchmark",
      "-h",
      HOST,
      "-p",
      String(target.echoPort),
      "-c",
      String(o.clients),
      "-n",
      String(n),
      "-P",
      String(depth),
    ];
    cmd.push("-t", "get,set", "-r", String(o.keys), "-d", String((o.valueMinBytes + o.valueMaxBytes) >> 1), "-q", "--csv");
    return cmd;
  };
  // redis-benchmark has no warmup of its own: a short uncounted run first, so a fresh target's JIT is warm.
  const warmup = spawnChild(withPin("load", command(Math.max(o.clients * depth, Math.round((rate * o.warmupMs) / 1000 / 2)))), {
    stdout: "ignore",
    stderr: "ignore",
  });
  try {
    await withTimeout(warmup.exited, 60_000, "redis-benchmark warmup");
  } finally {
    await stopChild(warmup);
  }
  const n = Math.max(o.clients * depth * 10, Math.round((rate * o.durationMs) / 1000 / 2));
  const cmd = command(n);
  const targetPid = target.workerPid();
  const targetCpuStart = cpuNs(targetPid);
  const redisCpuStart = cpuNs(redis.pid);
  const proc = spawnChild(withPin("load", cmd), { stdout: "pipe", stderr: "ignore" });
  const sampler = new ConnSampler(redis);
  sampler.start(); // the largest count wins, so polls before the clients have connected do no harm
  try {
    const out = await withTimeout(new Response(proc.stdout as ReadableStream<Uint8Array>).text(), 120_000, "redis-benchmark");
    const code = await proc.exited;
    const requests = 2 * n;
    const targetCpuUsPerReq = (cpuNs(targetPid) - targetCpuStart) / 1000 / requests;
    const redisCpuUsPerReq = (cpuNs(redis.pid) - redisCpuStart) / 1000 / requests;
    const backendConns = await sampler.stop();
    const rows = parseCsv(out);
    const set = rows.get("SET");
    const get = rows.get("GET");
    if (code !== 0 || set === undefined || get === undefined)
      throw new Error(`redis-benchmark exited ${code}: ${out.trim().slice(0, 200)}`);
    return {
      reqPerSec: requests / (n / set.rps + n / get.rps),
      p50Us: ((set.p50Ms + get.p50Ms) / 2) * 1000,
      p99Us: ((set.p99Ms + get.p99Ms) / 2) * 1000,
      targetCpuUsPerReq,
      redisCpuUsPerReq,
      backendConns,
      errorReplies: 0,
      errors: 0,
    };
  } finally {
    await sampler.stop();
    await stopChild(proc);
  }
}

/** parseCsv reads redis-benchmark --csv: "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms",... */
function parseCsv(text: string): Map<string, { rps: number; p50Ms: number; p99Ms: number }> {
  const rows = new Map<string, { rps: number; p50Ms: number; p99Ms: number }>();
  for (const line of text.split("\n")) {
    const cells = line.split(",").map((c) => c.replaceAll('"', "").trim());
    if (cells.length < 7 || cells[0] === "test") continue;
    rows.set(cells[0]!, { rps: Number(cells[1]), p50Ms: Number(cells[4]), p99Ms: Number(cells[6]) });
  }
  return rows;
}

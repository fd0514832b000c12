/**
 * The five workloads: what each measures, in which unit, and how one
 * measurement against one running target goes. Every measurement is a
 * separate load-generator process, bounded in time.
 */
import { sleep } from "./children.ts";
import { holdIdle, runLoad } from "./load/spawn.ts";
import { rssKiB } from "./net.ts";
import type { BenchOptions, WorkloadName } from "./options.ts";
import type { RunningTarget } from "./targets/target.ts";

/** Sample is one round's result for one target: the headline value plus secondary numbers. */
export interface Sample {
  value: number;
  extra: Record<string, number>;
}

export interface Extra {
  key: string;
  unit: string;
  higherIsBetter: boolean;
  /** Also a row of the Markdown summary (the rest are in the tables and the JSON). */
  summary: boolean;
  /** The proxy's CPU per operation (or its inverse): paired against the baseline with the headline rate. */
  cpu?: true;
}

export interface Workload {
  readonly name: WorkloadName;
  /** Headline unit, e.g. "req/s". */
  readonly unit: string;
  readonly higherIsBetter: boolean;
  /** Secondary numbers shown next to the headline. */
  readonly extras: readonly Extra[];
  /** Only proxies have memory of their own to measure. */
  readonly proxiesOnly: boolean;
  /** Needs a freshly started target, so memory left by earlier workloads does not hide its cost. */
  readonly freshTarget: boolean;
  describe(o: BenchOptions): string;
  measure(t: RunningTarget, o: BenchOptions): Promise<Sample>;
}

/** How evenly the accepted connections sit on the target's processes (ss -tnp; bench/load/spread.ts). */
const SPREAD: Extra = { key: "minSharePct", unit: "% conns, least-loaded process", higherIsBetter: true, summary: false };

/** Slack on top of a measurement's own duration before its process is killed. */
const SLACK_MS = 15_000;

function value(result: Awaited<ReturnType<typeof runLoad>>, key: string): Sample {
  if (!result.ok) throw new Error(result.error);
  const { [key]: v, ...extra } = result.metrics;
  if (v === undefined) throw new Error(`load generator did not report ${key}`);
  return { value: v, extra };
}

const rr: Workload = {
  name: "rr",
  unit: "req/s",
  higherIsBetter: true,
  extras: [
    { key: "p50Us", unit: "p50 µs", higherIsBetter: false, summary: true },
    { key: "p99Us", unit: "p99 µs", higherIsBetter: false, summary: true },
    { key: "cpuUsPerOp", unit: "proxy CPU µs/req", higherIsBetter: false, summary: true, cpu: true },
    SPREAD,
  ],
  proxiesOnly: false,
  freshTarget: false,
  describe: (o) =>
    `${o.connections} persistent connections, one ${o.requestBytes} B request outstanding on each, ${o.durationMs / 1000} s (after ${o.warmupMs / 1000} s warmup)`,
  async measure(t, o) {
    const p = {
      workload: "rr",
      port: t.echoPort,
      cpuPid: t.workerPid(),
      proxyHeader: t.proxyHeader === true,
      clientHello: t.clientHello === true,
      connections: o.connections,
      requestBytes: o.requestBytes,
      warmupMs: o.warmupMs,
      durationMs: o.durationMs,
    } as const;
    return value(await runLoad(p, o.warmupMs + o.durationMs + SLACK_MS), "reqPerSec");
  },
};

const pipelined: Workload = {
  name: "pipelined",
  unit: "req/s",
  higherIsBetter: true,
  extras: [{ key: "cpuUsPerOp", unit: "proxy CPU µs/req", higherIsBetter: false, summary: true, cpu: true }, SPREAD],
  proxiesOnly: false,
  freshTarget: false,
  describe: (o) =>
    `${o.connections} connections, ${o.pipelineDepth} × ${o.requestBytes} B requests in flight on each, ${o.durationMs / 1000} s (after ${o.warmupMs / 1000} s warmup)`,
  async measure(t, o) {
    const p = {
      workload: "pipelined",
      port: t.echoPort,
      cpuPid: t.workerPid(),
      proxyHeader: t.proxyHeader === true,
      clientHello: t.clientHello === true,
      connections: o.connections,
      depth: o.pipelineDepth,
      requestBytes: o.requestBytes,
      warmupMs: o.warmupMs,
      durationMs: o.durationMs,
    } as const;
    return value(await runLoad(p, o.warmupMs + o.durationMs + SLACK_MS), "reqPerSec");
  },
};

const bulk: Workload = {
  name: "bulk",
  unit: "MB/s",
  higherIsBetter: true,
  extras: [
    { key: "seconds", unit: "s", higherIsBetter: false, summary: false },
    { key: "mbPerCpuSec", unit: "MB per proxy CPU-s", higherIsBetter: true, summary: true, cpu: true },
  ],
  proxiesOnly: false,
  freshTarget: false,
  describe: (o) =>
    `one connection streams ${o.bulkMiB} MiB client → sink backend (one direction; the sink answers once at the end); MB = 10^6 bytes`,
  async measure(t, o) {
    const timeoutMs = 60_000;
    const p = {
      workload: "bulk",
      port: t.sinkPort,
      cpuPid: t.workerPid(),
      proxyHeader: t.proxyHeader === true,
      totalBytes: o.bulkMiB * 1024 * 1024,
      timeoutMs,
    } as const;
    return value(await runLoad(p, timeoutMs + SLACK_MS), "mbPerSec");
  },
};

const connect: Workload = {
  name: "connect",
  unit: "conn/s",
  higherIsBetter: true,
  extras: [{ key: "cpuUsPerOp", unit: "proxy CPU µs/conn", higherIsBetter: false, summary: true, cpu: true }],
  proxiesOnly: false,
  freshTarget: false,
  describe: (o) =>
    `${o.connections} concurrent loops of connect, send ${o.requestBytes} B, read the echo, close; ${o.connectDurationMs / 1000} s (after ${o.warmupMs / 1000} s warmup)`,
  async measure(t, o) {
    const p = {
      workload: "connect",
      port: t.echoPort,
      cpuPid: t.workerPid(),
      proxyHeader: t.proxyHeader === true,
      clientHello: t.clientHello === true,
      concurrency: o.connections,
      requestBytes: o.requestBytes,
      warmupMs: o.warmupMs,
      durationMs: o.connectDurationMs,
    } as const;
    return value(await runLoad(p, o.warmupMs + o.connectDurationMs + SLACK_MS), "connPerSec");
  },
};

/** How long memory is left to settle before each reading. */
const SETTLE_MS = 1000;
/** Connections opened, echoed and closed before the first reading. */
const WARMUP_CONNECTIONS = 50;

const idleRss: Workload = {
  name: "idle-rss",
  unit: "KiB/conn",
  higherIsBetter: false,
  extras: [
    { key: "beforeKiB", unit: "RSS before KiB", higherIsBetter: false, summary: false },
    { key: "afterKiB", unit: "RSS after KiB", higherIsBetter: false, summary: false },
  ],
  proxiesOnly: true,
  freshTarget: true,
  describe: (o) =>
    `${o.idleConnections} connections opened through a freshly started proxy (after ${WARMUP_CONNECTIONS} warmup connections), one 1-byte echo each, then held idle; (VmRSS after − before) / connections, of the process that carries traffic (nginx: its worker)`,
  async measure(t, o) {
    const pid = t.workerPid();
    if (pid === null) throw new Error("no process to measure");
    // Warm up with a few connections first: one-time costs (JIT code, allocator arenas) are not
    // per connection. Only a few: memory freed by a larger churn would be reused and hide the cost.
    const warm = {
      workload: "idle",
      port: t.echoPort,
      connections: WARMUP_CONNECTIONS,
      concurrency: WARMUP_CONNECTIONS,
      timeoutMs: 10_000,
      proxyHeader: t.proxyHeader === true,
    } as const;
    const warmed = await holdIdle(warm, async () => {});
    if (!warmed.result.ok) throw new Error(`warmup: ${warmed.result.error}`);
    await sleep(SETTLE_MS);
    const before = rssKiB(pid);
    const p = {
      workload: "idle",
      port: t.echoPort,
      connections: o.idleConnections,
      concurrency: 200,
      timeoutMs: 60_000,
      proxyHeader: t.proxyHeader === true,
    } as const;
    const { result, held } = await holdIdle(p, async () => {
      await sleep(SETTLE_MS);
      return rssKiB(pid);
    });
    if (!result.ok) throw new Error(result.error);
    if (before === null || held === undefined || held === null) throw new Error(`cannot read /proc/${pid}/status`);
    return { value: (held - before) / o.idleConnections, extra: { beforeKiB: before, afterKiB: held } };
  },
};

export const WORKLOADS: readonly Workload[] = [rr, pipelined, bulk, connect, idleRss];

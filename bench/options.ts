/** The bench's command line: every default in BENCH_DEFAULTS, every flag in USAGE. */
import { BASELINE_USAGE, type Baseline, baselineFlag } from "./baseline.ts";
import { UsageError, list } from "./flags.ts";

export const WORKLOAD_NAMES = ["rr", "pipelined", "bulk", "connect", "idle-rss"] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];
export const TARGET_NAMES = [
  "direct",
  "warren",
  "warren-noadmin",
  "warren-lb",
  "warren-pp",
  "warren-sni",
  "warren-w2",
  "haproxy",
  "nginx",
] as const;

export const BENCH_DEFAULTS = {
  rounds: 3,
  /** Counted window of rr and pipelined, per target per round. */
  durationMs: 3000,
  /** connect's window is capped: each connection leaves a TIME_WAIT port behind. */
  connectDurationMs: 2000,
  warmupMs: 500,
  connections: 50,
  requestBytes: 64,
  pipelineDepth: 16,
  /** About 2-3 s through a proxy on a 2-core machine. */
  bulkMiB: 2048,
  idleConnections: 4000,
} as const;

export const QUICK = { rounds: 1, durationMs: 500, connectDurationMs: 500, warmupMs: 200, bulkMiB: 128, idleConnections: 200 } as const;

export interface BenchOptions {
  rounds: number;
  durationMs: number;
  connectDurationMs: number;
  warmupMs: number;
  connections: number;
  requestBytes: number;
  pipelineDepth: number;
  bulkMiB: number;
  idleConnections: number;
  workloads: WorkloadName[];
  targets: string[];
  micro: boolean;
  /** Give the target a core of its own (bench/pin.ts). */
  pin: boolean;
  quick: boolean;
  /** Where the JSON results go. */
  jsonPath: string;
  /** Also run every warren target from this checkout of the code before a change (bench/baseline.ts); null: no baseline. */
  baseline: Baseline | null;
}

export const USAGE = `bun run bench [options]   (= bun bench/run.ts [options])

  --quick              smoke run (~30 s): 1 round, 0.5 s windows, 128 MiB bulk, 200 idle connections,
                       no micro-benchmarks unless --micro
  --rounds N           interleaved rounds per workload and target (default ${BENCH_DEFAULTS.rounds})
  --duration S         seconds counted per rr/pipelined measurement (default ${BENCH_DEFAULTS.durationMs / 1000});
                       connect uses min(S, ${BENCH_DEFAULTS.connectDurationMs / 1000})
  --only LIST          workloads, comma-separated: ${WORKLOAD_NAMES.join(",")}
  --targets LIST       targets, comma-separated: ${TARGET_NAMES.join(",")}
                       (warren-lb: warren over 3 backends with active health checks; its
                       cost against warren is reported for rr, pipelined and connect;
                       warren-noadmin: warren with [admin] enabled = false, what the admin server costs;
                       warren-pp: warren with proxyProtocol, a PROXY v2 header per connection,
                       warren-sni: warren with SNI routes, a TLS ClientHello per connection
                       (rr, pipelined, connect only),
                       warren-w2: warren with workers = 2 (CPU summed over the process tree),
                       each compared with warren the same way)
  --bulk-mib N         bytes streamed by bulk, in MiB (default ${BENCH_DEFAULTS.bulkMiB})
  --idle N             connections held by idle-rss (default ${BENCH_DEFAULTS.idleConnections})
  --json PATH          where to write the results (default bench/results/latest.json,
                       bench/results/quick.json with --quick)
${BASELINE_USAGE}
  --pin                target on the last core, load generator + backend on the others (taskset)
  --no-micro           skip the mitata micro-benchmarks (bench/micro/*.bench.ts, ~30 s)
  --micro              run them even with --quick
  -h, --help           this text`;

/** parseOptions returns the options, or a message naming the bad flag. */
export function parseOptions(argv: readonly string[], resultsDir: string): BenchOptions | string {
  const quick = argv.includes("--quick");
  const o: BenchOptions = {
    ...BENCH_DEFAULTS,
    ...(quick ? QUICK : {}),
    workloads: [...WORKLOAD_NAMES],
    targets: [...TARGET_NAMES],
    // The micro-benchmarks alone take ~30 s; a smoke run skips them unless --micro asks.
    micro: !quick,
    pin: false,
    quick,
    baseline: null,
    // A smoke run must not overwrite the numbers someone is about to quote.
    jsonPath: `${resultsDir}/${quick ? "quick" : "latest"}.json`,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${flag}: expected a value`);
      return v;
    };
    const number = (min: number, max: number): number => {
      const raw = value();
      const n = Number(raw);
      if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`${flag}: expected a number ${min}..${max}, got "${raw}"`);
      return n;
    };
    try {
      switch (flag) {
        case "--quick":
          break;
        case "--no-micro":
          o.micro = false;
          break;
        case "--micro":
          o.micro = true;
          break;
        case "--pin":
          o.pin = true;
          break;
        case "--rounds":
          o.rounds = Math.round(number(1, 50));
          break;
        case "--duration": {
          o.durationMs = Math.round(number(0.1, 60) * 1000);
          o.connectDurationMs = Math.min(o.durationMs, BENCH_DEFAULTS.connectDurationMs);
          break;
        }
        case "--bulk-mib":
          o.bulkMiB = Math.round(number(1, 65536));
          break;
        case "--idle":
          o.idleConnections = Math.round(number(1, 8000));
          break;
        case "--baseline":
        case "--baseline-dir":
          o.baseline = baselineFlag(flag, value(), o.baseline);
          break;
        case "--json":
          o.jsonPath = value();
          break;
        case "--only":
          o.workloads = list(flag, value(), WORKLOAD_NAMES);
          break;
        case "--targets":
          o.targets = list(flag, value(), TARGET_NAMES);
          break;
        case "-h":
        case "--help":
          return USAGE;
        default:
          return `unknown flag "${flag}"\n\n${USAGE}`;
      }
    } catch (err) {
      if (err instanceof UsageError) return `${err.message}\n\n${USAGE}`;
      throw err;
    }
  }
  return o;
}

/** `bun bench/pool.ts` command line: every default in POOL_BENCH_DEFAULTS, every flag in USAGE. */
import { BASELINE_USAGE, type Baseline, baselineFlag } from "../baseline.ts";
import { UsageError, list } from "../flags.ts";

export const POOL_TARGET_NAMES = [
  "direct",
  "warren-1:1",
  "warren-pool-excl",
  "warren-pool-mux1",
  "warren-pool-mux1-noadmin",
  "warren-pool-mux2",
  "twemproxy",
] as const;
export type PoolTargetName = (typeof POOL_TARGET_NAMES)[number];
export const POOL_WORKLOAD_NAMES = ["single", "pipelined"] as const;
export type PoolWorkloadName = (typeof POOL_WORKLOAD_NAMES)[number];
export const GENERATORS = ["bun", "redis-benchmark"] as const;
export type Generator = (typeof GENERATORS)[number];

export const POOL_BENCH_DEFAULTS = {
  rounds: 3,
  /** Counted window per target per workload per round. */
  durationMs: 3000,
  warmupMs: 500,
  clients: 50,
  /** Requests each client keeps in flight in the pipelined workload. */
  pipelineDepth: 16,
  /** Keys key:0 .. key:(keys-1), all set before the first round so GETs find values. */
  keys: 10_000,
  valueMinBytes: 16,
  valueMaxBytes: 64,
  /** Share of SETs in the mix; the rest are GETs. */
  setRatio: 0.5,
} as const;

export const QUICK = { rounds: 1, durationMs: 500, warmupMs: 200 } as const;

export interface PoolBenchOptions {
  rounds: number;
  durationMs: number;
  warmupMs: number;
  clients: number;
  pipelineDepth: number;
  keys: number;
  valueMinBytes: number;
  valueMaxBytes: number;
  setRatio: number;
  targets: PoolTargetName[];
  workloads: PoolWorkloadName[];
  generator: Generator;
  /** Give the target a core of its own (bench/pin.ts); Redis and the generator share the others. */
  pin: boolean;
  /** Write a CPU profile of every warren target to this directory (bun --cpu-prof). */
  profileDir: string | null;
  /** Run warren from this checkout instead (its src/main.ts), e.g. to measure a patch; null: this one. */
  warrenDir: string | null;
  quick: boolean;
  jsonPath: string;
  /** Also run every warren target from this checkout of the code before a change (bench/baseline.ts); null: no baseline. */
  baseline: Baseline | null;
}

export const USAGE = `bun bench/pool.ts [options]   Redis through warren's pooled mode vs twemproxy

  --quick              smoke run (~30 s): 1 round, 0.5 s windows; results go to pool-quick.json
  --rounds N           interleaved rounds (default ${POOL_BENCH_DEFAULTS.rounds})
  --duration S         seconds counted per target per workload per round (default ${POOL_BENCH_DEFAULTS.durationMs / 1000})
  --clients N          client connections (default ${POOL_BENCH_DEFAULTS.clients})
  --depth N            requests in flight per client in the pipelined workload (default ${POOL_BENCH_DEFAULTS.pipelineDepth})
  --only LIST          workloads, comma-separated: ${POOL_WORKLOAD_NAMES.join(",")}
  --targets LIST       targets, comma-separated: ${POOL_TARGET_NAMES.join(",")}
  --generator NAME     bun (default: GET/SET mix, fixed window, p50/p99) or redis-benchmark
                       (-t get,set run one after the other, -n sized to the window; the two are averaged)
  --pin                target on the last core, Redis + load generator on the others (taskset)
  --profile DIR        run every warren target under bun --cpu-prof --cpu-prof-md, profiles in DIR
  --warren DIR         run warren from another checkout (DIR/src/main.ts), e.g. a patched copy to compare
${BASELINE_USAGE}
  --json PATH          results file (default bench/results/pool-latest.json, pool-quick.json with --quick)
  -h, --help           this text`;

/** parsePoolOptions returns the options, or a message naming the bad flag. */
export function parsePoolOptions(argv: readonly string[], resultsDir: string): PoolBenchOptions | string {
  const quick = argv.includes("--quick");
  const o: PoolBenchOptions = {
    ...POOL_BENCH_DEFAULTS,
    ...(quick ? QUICK : {}),
    targets: [...POOL_TARGET_NAMES],
    workloads: [...POOL_WORKLOAD_NAMES],
    generator: "bun",
    pin: false,
    profileDir: null,
    warrenDir: null,
    baseline: null,
    quick,
    // A smoke run must not overwrite the numbers someone is about to quote.
    jsonPath: `${resultsDir}/pool-${quick ? "quick" : "latest"}.json`,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${flag}: expected a value`);
      return v;
    };
    const int = (min: number, max: number): number => {
      const raw = value();
      const n = Number(raw);
      if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${flag}: expected an integer ${min}..${max}, got "${raw}"`);
      return n;
    };
    try {
      switch (flag) {
        case "--quick":
          break;
        case "--rounds":
          o.rounds = int(1, 50);
          break;
        case "--duration": {
          const raw = value();
          const s = Number(raw);
          if (!Number.isFinite(s) || s < 0.1 || s > 60) throw new UsageError(`${flag}: expected seconds 0.1..60, got "${raw}"`);
          o.durationMs = Math.round(s * 1000);
          break;
        }
        case "--clients":
          o.clients = int(1, 5000);
          break;
        case "--depth":
          o.pipelineDepth = int(1, 1024);
          break;
        case "--only":
          o.workloads = list(flag, value(), POOL_WORKLOAD_NAMES);
          break;
        case "--targets":
          o.targets = list(flag, value(), POOL_TARGET_NAMES);
          break;
        case "--generator":
          o.generator = list(flag, value(), GENERATORS)[0]!;
          break;
        case "--pin":
          o.pin = true;
          break;
        case "--profile":
          o.profileDir = value();
          break;
        case "--warren":
          o.warrenDir = value();
          break;
        case "--baseline":
        case "--baseline-dir":
          o.baseline = baselineFlag(flag, value(), o.baseline);
          break;
        case "--json":
          o.jsonPath = value();
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

/**
 * The load generator: one process per measurement, so it never shares an
 * event loop with a proxy or the backend. It takes its parameters as one JSON
 * argument and prints its LoadResult as the last line of stdout.
 *
 * Run: bun bench/load/main.ts '{"workload":"rr","port":9509,"connections":50,"requestBytes":64,"warmupMs":500,"durationMs":3000}'
 */
import { runBulk } from "./bulk.ts";
import { runConnect } from "./connect.ts";
import { runIdle } from "./idle.ts";
import type { LoadParams, LoadResult } from "./params.ts";
import { runPipelined } from "./pipelined.ts";
import { runRr } from "./rr.ts";

function run(p: LoadParams): Promise<LoadResult> {
  switch (p.workload) {
    case "rr":
      return runRr(p);
    case "pipelined":
      return runPipelined(p);
    case "connect":
      return runConnect(p);
    case "bulk":
      return runBulk(p);
    case "idle":
      return runIdle(p);
  }
}

let result: LoadResult;
try {
  result = await run(JSON.parse(process.argv[2] ?? "{}") as LoadParams);
} catch (err) {
  result = { ok: false, error: err instanceof Error ? err.message : String(err) };
}
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(result.ok ? 0 : 1);

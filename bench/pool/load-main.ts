/**
 * The pool bench's load generator process: parameters as one JSON argument,
 * `{"window":"start"}` when counting starts, the result as the last line.
 *
 * Run: bun bench/pool/load-main.ts '{"port":6379,"clients":50,"depth":1,"warmupMs":500,"durationMs":3000,
 *        "targetPid":null,"redisPid":123,"keys":10000,"valueMinBytes":16,"valueMaxBytes":64,"setRatio":0.5}'
 */
import { type RespLoadParams, type RespLoadResult, runRespLoad } from "./generator.ts";

let result: RespLoadResult;
try {
  result = await runRespLoad(JSON.parse(process.argv[2] ?? "{}") as RespLoadParams);
} catch (err) {
  result = { ok: false, error: err instanceof Error ? err.message : String(err) };
}
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(result.ok ? 0 : 1);

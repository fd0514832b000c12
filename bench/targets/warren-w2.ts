import { THIS_CHECKOUT } from "../baseline.ts";
import type { BackendPorts, RunningTarget, TargetKind } from "./target.ts";
import { probeWarren, startWarrenCli } from "./warren.ts";

/**
 * warren-w2: the `warren` target with `workers = 2` — a supervisor and two worker processes on the same
 * ports (SO_REUSEPORT). Its CPU is read over the whole process tree (bench/load/cpu.ts sums a process's
 * descendants), so CPU per request compares like with like (issue 12: within 5% of one process).
 *
 * No @base twin: a baseline checkout from before workers existed would refuse the config.
 */
export const warrenW2: TargetKind = {
  name: "warren-w2",
  isProxy: true,
  probe: () => probeWarren(THIS_CHECKOUT, "CLI, workers = 2 (supervisor + 2 SO_REUSEPORT workers), access log off"),
  start(backend: BackendPorts, dir: string): Promise<RunningTarget> {
    const group = (to: readonly number[]) => ({ backends: [`127.0.0.1:${to[0]}`] });
    return startWarrenCli("warren-w2", THIS_CHECKOUT, dir, group, [backend.echo], [backend.sink], { workers: 2 });
  },
};

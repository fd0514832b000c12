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
const WORKERS = 2;

/** How many sockets listen on a port (with SO_REUSEPORT, one per worker). */
function listeningSockets(port: number): number {
  const r = Bun.spawnSync(["ss", "-tlnH", `( sport = :${port} )`], { stdout: "pipe", stderr: "ignore" });
  return r.stdout
    .toString()
    .split("\n")
    .filter((l) => l.trim() !== "").length;
}

export const warrenW2: TargetKind = {
  name: "warren-w2",
  isProxy: true,
  probe: () => probeWarren(THIS_CHECKOUT, "CLI, workers = 2 (supervisor + 2 SO_REUSEPORT workers), access log off"),
  async start(backend: BackendPorts, dir: string): Promise<RunningTarget> {
    const group = (to: readonly number[]) => ({ backends: [`127.0.0.1:${to[0]}`] });
    const t = await startWarrenCli("warren-w2", THIS_CHECKOUT, dir, group, [backend.echo], [backend.sink], { workers: WORKERS });
    // The port accepts once the first worker has bound it; connections made before the second one has
    // would all land on the first. Wait until the kernel shows every worker's listening socket.
    for (const port of [t.echoPort, t.sinkPort]) {
      const deadline = performance.now() + 10_000;
      while (listeningSockets(port) < WORKERS) {
        if (performance.now() > deadline || !t.alive()) {
          await t.stop();
          throw new Error(`warren-w2: ${WORKERS} workers did not all listen on ${port} within 10 s`);
        }
        await Bun.sleep(20);
      }
    }
    return t;
  },
};

import type { BackendPorts, RunningTarget, TargetKind } from "./target.ts";

/** direct: the load generator talks to the backend itself; the ceiling every proxy is compared to. */
export const direct: TargetKind = {
  name: "direct",
  isProxy: false,
  async probe() {
    return { ok: true, version: "-", notes: "no proxy: client → backend" };
  },
  async start(backend: BackendPorts): Promise<RunningTarget> {
    return {
      name: "direct",
      echoPort: backend.echo,
      sinkPort: backend.sink,
      workerPid: () => null,
      alive: () => true,
      stop: async () => {},
    };
  },
};

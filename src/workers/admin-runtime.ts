import type { AdminError, AdminRuntime, SessionView, StatsView } from "../admin/runtime.ts";
import type { AdminState } from "../balance/backend.ts";
import type { ProcessSample } from "../metrics/process.ts";
import { renderSnapshot } from "../metrics/render.ts";
import { sampleProcess } from "../metrics/process.ts";
import type { Supervisor } from "./supervisor.ts";

const NO_WORKERS: AdminError = { code: "NO_WORKERS", message: "no worker answered (all restarting?); try again" };

/**
 * SupervisorRuntime answers the admin server, which the supervisor owns, from its workers over IPC:
 * stats and metrics are the workers' aggregated (counters and gauges summed, histograms merged bucket
 * by bucket), `?per_worker=1` labels each worker's series instead, and every action goes to every worker.
 */
export class SupervisorRuntime implements AdminRuntime {
  constructor(private readonly supervisor: Supervisor) {}

  async stats(): Promise<StatsView | AdminError> {
    const s = await this.supervisor.stats();
    if (s === null) return NO_WORKERS;
    return { total: s.total, perWorker: s.perWorker.map((w) => ({ worker: w.worker, stats: w.stats })) };
  }

  async metrics(perWorker: boolean): Promise<string | AdminError> {
    const s = await this.supervisor.stats();
    if (s === null) return NO_WORKERS;
    // The process figures of the group: the supervisor's start, and every process's memory, CPU and descriptors added up.
    const process = groupProcess(
      sampleProcess(),
      s.perWorker.map((w) => w.process),
    );
    if (!perWorker) return renderSnapshot({ stats: s.total, process });
    const parts = s.perWorker.map((w) => ({ stats: w.stats, extraLabels: { names: ["worker"], values: [String(w.worker)] } }));
    return renderSnapshot({ stats: s.total, process, parts });
  }

  async sessions(listener: string | undefined): Promise<SessionView[] | AdminError> {
    const answers = await this.supervisor.request((id) => ({ type: "sessions", id, listener: listener ?? null }));
    if (answers.size === 0) return NO_WORKERS;
    return [...answers.values()].flatMap((a) => (a.type === "sessions" ? a.sessions : []));
  }

  setBackendState(listener: string, address: string, state: AdminState): Promise<{ backends: number } | AdminError> {
    return this.supervisor.setBackendState(listener, address, state);
  }

  reload(): Promise<{ listeners: string[] } | AdminError> {
    return this.supervisor.reload();
  }

  readiness(): string | null {
    if (this.supervisor.isStopping) return "draining: warren is shutting down";
    if (this.supervisor.running === 0) return "no worker is running (restarting)";
    return null;
  }
}

function groupProcess(own: ProcessSample, workers: readonly ProcessSample[]): ProcessSample {
  const add = (f: (p: ProcessSample) => number | null): number | null => {
    let n = f(own);
    for (const w of workers) {
      const v = f(w);
      n = n === null || v === null ? null : n + v;
    }
    return n;
  };
  return {
    ...own,
    residentMemoryBytes: add((p) => p.residentMemoryBytes) ?? own.residentMemoryBytes,
    cpuSeconds: add((p) => p.cpuSeconds) ?? own.cpuSeconds,
    openFds: add((p) => p.openFds),
    maxFds: own.maxFds,
  };
}

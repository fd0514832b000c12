import type { AdminState } from "../balance/backend.ts";
import { renderMetrics } from "../metrics/render.ts";
import type { ProxyServer } from "../server/server.ts";
import type { AdminError, AdminRuntime, SessionView, StatsView } from "./runtime.ts";
import { sessionView } from "./sessions.ts";

/** LocalRuntime answers the admin server from this process's ProxyServer (warren without workers). */
export class LocalRuntime implements AdminRuntime {
  constructor(
    private readonly proxy: ProxyServer,
    private readonly reloadRun: () => Promise<{ listeners: string[] } | AdminError>,
  ) {}

  async stats(): Promise<StatsView> {
    return { total: this.proxy.stats(), perWorker: [] };
  }

  async metrics(_perWorker: boolean): Promise<string> {
    // One process has no workers to label: ?per_worker=1 gives the same series.
    return renderMetrics(this.proxy);
  }

  async sessions(listener: string | undefined): Promise<SessionView[] | AdminError> {
    const now = performance.now();
    return this.proxy.liveSessions(listener).map((x) => sessionView(x.listener, x.session, now));
  }

  async setBackendState(listener: string, address: string, state: AdminState): Promise<{ backends: number } | AdminError> {
    return this.proxy.setBackendState(listener, address, state);
  }

  reload(): Promise<{ listeners: string[] } | AdminError> {
    return this.reloadRun();
  }

  readiness(): string | null {
    return this.proxy.readiness();
  }
}

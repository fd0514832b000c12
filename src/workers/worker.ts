import { prepareInput } from "../cli/prepare.ts";
import { sessionView } from "../admin/sessions.ts";
import { sampleProcess } from "../metrics/process.ts";
import { ConfigErrors } from "../errors.ts";
import { Logger } from "../log.ts";
import { ProxyServer } from "../server/server.ts";
import type { FromWorker, ToWorker } from "./messages.ts";
import { workerConfig } from "./share.ts";

/*
 * A worker process: one ProxyServer on every listener of the config its supervisor sent, bound with
 * SO_REUSEPORT beside its siblings, running its share of every limit. It takes orders only from its
 * supervisor: signals a terminal sends the whole process group (Ctrl-C) are ignored here, because the
 * supervisor turns them into one graceful stop for all; and a worker whose supervisor is gone (the IPC
 * channel closed) drains and exits, so none is ever left serving alone.
 */

function send(message: FromWorker): void {
  process.send?.(message);
}

/** runWorker serves until told to stop (or orphaned); resolves with the process's exit code. */
export function runWorker(): Promise<number> {
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP", "SIGUSR1", "SIGUSR2"] as const) process.on(signal, () => {});
  return new Promise<number>((resolve) => {
    let proxy: ProxyServer | null = null;
    let log: Logger | null = null;
    let index = 0;
    let workers = 1;
    let stopping: Promise<void> | null = null;
    const stop = (graceful: boolean): void => {
      if (proxy === null) return resolve(0);
      const closing = proxy.close({ graceful });
      if (stopping === null) stopping = closing.then(() => resolve(0));
    };
    process.on("disconnect", () => {
      log?.warn("supervisor gone: draining and exiting");
      stop(true);
    });
    process.on("message", async (m: ToWorker) => {
      switch (m.type) {
        case "start": {
          index = m.index;
          workers = m.workers;
          const prepared = await prepareInput(m.input, m.source, m.baseDir);
          if (prepared instanceof ConfigErrors) {
            send({ type: "failed", exitCode: 2, error: prepared.message });
            return resolve(2);
          }
          try {
            log = Logger.fromConfig(prepared.config.log, prepared.source);
            log.setContext({ worker: index });
            proxy = ProxyServer.start(workerConfig(prepared.config, index, workers), log, { reusePort: true });
          } catch (err) {
            send({
              type: "failed",
              exitCode: err instanceof ConfigErrors ? 2 : 1,
              error: err instanceof Error ? err.message : String(err),
            });
            return resolve(1);
          }
          send({ type: "started", pid: process.pid });
          return;
        }
        case "reload": {
          if (proxy === null || log === null) return send({ type: "reloaded", id: m.id, error: "not started" });
          const prepared = await prepareInput(m.input, m.source, m.baseDir);
          if (prepared instanceof ConfigErrors) return send({ type: "reloaded", id: m.id, error: prepared.message });
          try {
            proxy.reload(workerConfig(prepared.config, index, workers));
          } catch (err) {
            return send({ type: "reloaded", id: m.id, error: err instanceof Error ? err.message : String(err) });
          }
          const problem = log.apply(prepared.config.log);
          return send({ type: "reloaded", id: m.id, error: problem === null ? null : `log.file: ${problem}` });
        }
        case "stop":
          return stop(m.graceful);
        case "reopen-log": {
          const problem = log?.reopen() ?? null;
          if (problem !== null) log?.error("cannot reopen the log file", { error: problem });
          return;
        }
        case "stats":
          if (proxy !== null) send({ type: "stats", id: m.id, stats: proxy.stats(), process: sampleProcess() });
          return;
        case "sessions": {
          if (proxy === null) return;
          const now = performance.now();
          const sessions = proxy
            .liveSessions(m.listener ?? undefined)
            .map((x) => ({ ...sessionView(x.listener, x.session, now), worker: index }));
          return send({ type: "sessions", id: m.id, sessions });
        }
        case "backend-state":
          if (proxy !== null) send({ type: "backend-state", id: m.id, result: proxy.setBackendState(m.listener, m.address, m.state) });
          return;
      }
    });
  });
}

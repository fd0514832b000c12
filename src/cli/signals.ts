import { ConfigErrors } from "../errors.ts";
import type { WarrenConfig } from "../config/schema.ts";
import type { Logger, LogSettings } from "../log.ts";
import type { ProxyServer } from "../server/server.ts";
import type { CliArgs } from "./args.ts";
import { type Launcher, launchers, watchLaunchers } from "./launcher.ts";
import { logWarnings } from "./output.ts";
import { prepareRun } from "./prepare.ts";
import { statsSummary } from "./stats-line.ts";

/**
 * runUntilStopped installs what a running warren answers to and resolves
 * with the exit code once it has stopped:
 *   SIGTERM, SIGINT  drain, then exit 0; a second one closes every session at once
 *   SIGHUP           reload the config (an invalid one is reported and the running config stays)
 *   SIGUSR1          reopen the log file (after logrotate renamed it)
 *   SIGUSR2          log a one-line stats summary
 *   a launcher gone  drain and exit 0, as on SIGTERM (see launcher.ts)
 * None of them ends the process abruptly. Installed before the "listening"
 * lines, so a supervisor may signal as soon as it sees one.
 */
export function runUntilStopped(proxy: ProxyServer, args: CliArgs, log: Logger, config: WarrenConfig): Promise<number> {
  const startedAt = performance.now();
  const running = { log: config.log };
  return new Promise<number>((resolve) => {
    let stopping = false;
    let stopWatching = (): void => {};
    const stop = (fields: Record<string, unknown>): void => {
      if (stopping) {
        log.warn("second signal: closing every session now", fields);
        void proxy.close({ graceful: false });
        return;
      }
      stopping = true;
      stopWatching();
      log.info("shutting down", { ...fields, sessions: proxy.sessionCount });
      proxy.close({ graceful: true }).then(() => {
        log.info("stopped");
        resolve(0);
      });
    };
    process.on("SIGTERM", () => stop({ signal: "SIGTERM" }));
    process.on("SIGINT", () => stop({ signal: "SIGINT" }));
    process.on("SIGHUP", () => {
      if (!stopping) void reload(proxy, args, log, running);
    });
    process.on("SIGUSR1", () => reopenLog(log));
    process.on("SIGUSR2", () => log.info("stats", statsSummary(proxy.stats(), performance.now() - startedAt)));
    stopWatching = watchLaunchers(launchers(), (gone: Launcher) => {
      if (stopping) return;
      log.warn("launcher gone: nothing can signal warren any more, shutting down", { launcher: gone.pid, command: gone.command });
      stop({ signal: null, reason: "launcher exited" });
    });
  });
}

/** reload re-reads the config through the same checks as the start; an invalid one is reported and the running config stays. */
async function reload(proxy: ProxyServer, args: CliArgs, log: Logger, running: { log: LogSettings }): Promise<void> {
  const next = await prepareRun(args);
  if (next instanceof ConfigErrors) {
    // `source` is the file, with LINE:COL for a syntax error.
    log.error("reload rejected: config invalid, keeping the running config", { source: next.source, errors: next.errors.map((e) => e.message) });
    // The multi-line message is for people: in JSON mode every line stays a JSON line.
    if (!log.json) process.stderr.write(`${next.message}\n`);
    return;
  }
  // The new level and format apply from the reload's own lines on; undone if the reload fails.
  const before = running.log;
  log.configure(next.config.log.level, next.config.log.format);
  try {
    proxy.reload(next.config);
  } catch (err) {
    log.configure(before.level, before.format);
    log.error("reload failed, keeping the running config", { error: err instanceof Error ? err.message : String(err) });
    return;
  }
  running.log = next.config.log;
  const previousFile = log.filePath;
  const problem = log.apply(next.config.log);
  if (problem !== null) log.error("log.file not changed", { error: problem, file: previousFile });
  logWarnings(log, next);
  log.info("reloaded", { listeners: next.config.listeners.length });
}

function reopenLog(log: Logger): void {
  const file = log.filePath;
  if (file === null) {
    log.info("SIGUSR1: no log file to reopen (logging to stderr)");
    return;
  }
  const problem = log.reopen();
  if (problem === null) log.info("log file reopened", { file });
  else log.error("log file not reopened: still writing to the file open before", { file, error: problem });
}

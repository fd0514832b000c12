import type { AdminError } from "../admin/runtime.ts";
import type { WarrenConfig } from "../config/schema.ts";
import { ConfigErrors, ProxyError } from "../errors.ts";
import type { Logger, LogSettings } from "../log.ts";
import type { ProxyServer } from "../server/server.ts";
import type { CliArgs } from "./args.ts";
import { logWarnings } from "./output.ts";
import { prepareRun } from "./prepare.ts";

/** ReloadOutcome: the listeners now running, or why the running config stays. */
export type ReloadOutcome = { readonly listeners: string[] } | AdminError;

/** configErrorBody turns ConfigErrors into the admin API's error, each problem with its key path. */
export function configErrorBody(e: ConfigErrors): AdminError {
  return {
    code: "CONFIG_INVALID",
    message: e.message,
    errors: e.errors.map((x) => ({ path: x.path, message: `${e.source}: ${x.message}` })),
  };
}

/**
 * reloader makes the one reload of a single-process warren, which SIGHUP and POST /api/v1/reload both
 * call: the config re-read through the same checks as the start; an invalid one is reported (logged,
 * and returned) and the running config stays.
 */
export function reloader(proxy: ProxyServer, args: CliArgs, log: Logger, config: WarrenConfig): () => Promise<ReloadOutcome> {
  const running: { log: LogSettings } = { log: config.log };
  return async () => {
    const next = await prepareRun(args);
    if (next instanceof ConfigErrors) {
      // `source` is the file, with LINE:COL for a syntax error.
      log.error("reload rejected: config invalid, keeping the running config", {
        source: next.source,
        errors: next.errors.map((e) => e.message),
      });
      // The multi-line message is for people: in JSON mode every line stays a JSON line.
      if (!log.json) process.stderr.write(`${next.message}\n`);
      return configErrorBody(next);
    }
    // The new level and format apply from the reload's own lines on; undone if the reload fails.
    const before = running.log;
    log.configure(next.config.log.level, next.config.log.format);
    try {
      proxy.reload(next.config);
    } catch (err) {
      log.configure(before.level, before.format);
      const message = err instanceof Error ? err.message : String(err);
      log.error("reload failed, keeping the running config", { error: message });
      if (err instanceof ConfigErrors) return configErrorBody(err);
      return { code: err instanceof ProxyError ? err.code : "RELOAD_FAILED", message };
    }
    running.log = next.config.log;
    const previousFile = log.filePath;
    const problem = log.apply(next.config.log);
    if (problem !== null) log.error("log.file not changed", { error: problem, file: previousFile });
    logWarnings(log, next);
    log.info("reloaded", { listeners: next.config.listeners.length });
    return { listeners: next.config.listeners.map((l) => l.name) };
  };
}

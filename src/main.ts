#!/usr/bin/env bun
/**
 * The warren command: args → config → checks → start → signals. Exit codes:
 * 0 after a clean shutdown, 1 for a runtime failure (e.g. a port in use), 2
 * for a config or usage error.
 */
import pkg from "../package.json" with { type: "json" };
import { type CliArgs, parseArgs, USAGE } from "./cli/args.ts";
import { printConfigErrors, printWarnings, logWarnings } from "./cli/output.ts";
import { type Prepared, prepareRun } from "./cli/prepare.ts";
import { WORKER_ENV } from "./workers/messages.ts";
import { Supervisor } from "./workers/supervisor.ts";
import { SupervisorRuntime } from "./workers/admin-runtime.ts";
import { runWorker } from "./workers/worker.ts";
import { runCtl } from "./ctl/run.ts";
import { runUntilStopped } from "./cli/signals.ts";
import { formatHostPort } from "./config/host-port.ts";
import { ConfigErrors, ProxyError } from "./errors.ts";
import { Logger } from "./log.ts";
import { ProxyServer } from "./server/server.ts";
import { LocalRuntime } from "./admin/local.ts";
import { AdminServer } from "./admin/server.ts";
import { startAdmin } from "./admin/start.ts";
import { reloader } from "./cli/reload-run.ts";

/** The logger once there is one, so even a bug report is a line in the configured format. */
let activeLog: Logger | null = null;

async function main(argv: readonly string[]): Promise<number> {
  // A worker of a supervisor (workers > 1) takes its config and orders over IPC, not from argv.
  if (process.env[WORKER_ENV] !== undefined) return runWorker();
  // `warren ctl …` is a client of a running warren's admin server (src/ctl).
  if (argv[0] === "ctl") return runCtl(argv.slice(1));
  const args = parseArgs(argv);
  if (args instanceof ConfigErrors) {
    printConfigErrors(args, null);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (args.version) {
    process.stdout.write(`warren ${pkg.version}\n`);
    return 0;
  }
  // --check, the start and every SIGHUP run the same checks, so --check fails where a start would.
  const prepared = await prepareRun(args);
  if (prepared instanceof ConfigErrors) {
    printConfigErrors(prepared, args);
    return 2;
  }
  const { config } = prepared;
  if (args.check) {
    printWarnings(prepared);
    process.stdout.write(`${args.configPath ?? "config"}: ok (${config.listeners.length} listener(s))\n`);
    return 0;
  }
  let log: Logger;
  try {
    log = Logger.fromConfig(config.log, prepared.source);
  } catch (err) {
    if (!(err instanceof ConfigErrors)) throw err;
    printConfigErrors(err, args);
    return 2;
  }
  activeLog = log;
  logWarnings(log, prepared);
  if (config.workers > 1) return supervise(args, prepared, log);
  let proxy: ProxyServer;
  try {
    proxy = ProxyServer.start(config, log);
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    // A failure without an errno code (LISTEN_FAILED) still has Bun's own words in the cause.
    const cause = err instanceof ProxyError && err.cause instanceof Error ? err.cause.message : undefined;
    const why = err instanceof ProxyError ? (LISTEN_ERRORS[err.code] ?? cause) : undefined;
    log.error("cannot start", why === undefined ? { error } : { error, why });
    return 1;
  }
  const reload = reloader(proxy, args, log, config);
  const admin = startAdmin(config.admin, new LocalRuntime(proxy, reload), log);
  if (admin !== null && !(admin instanceof AdminServer)) {
    log.error("cannot start", {
      error: admin.error,
      ...(LISTEN_ERRORS[admin.code] === undefined ? {} : { why: LISTEN_ERRORS[admin.code] }),
    });
    await proxy.close({ graceful: false });
    return 1;
  }
  // The admin server outlives the drain (its /readyz says 503 "draining" meanwhile) and stops last.
  const exitCode = runUntilStopped(proxy, log, reload);
  log.info("warren started", { version: pkg.version, pid: process.pid });
  for (const a of proxy.addresses) {
    log.info("listening", { listener: a.name, address: formatHostPort(a), backends: a.backends });
  }
  return exitCode.then(async (code) => {
    await admin?.stop();
    return code;
  });
}

/** supervise runs `workers` worker processes under this one (src/workers/supervisor.ts). */
async function supervise(args: CliArgs, prepared: Prepared, log: Logger): Promise<number> {
  const supervisor = new Supervisor(args, prepared, log);
  const exitCode = supervisor.run();
  const failed = await supervisor.start();
  if (failed !== null) {
    log.error("cannot start", { error: failed.error });
    return failed.exitCode;
  }
  // The supervisor owns the admin server: one address for the whole group, its numbers aggregated.
  const admin = startAdmin(prepared.config.admin, new SupervisorRuntime(supervisor), log);
  if (admin !== null && !(admin instanceof AdminServer)) {
    log.error("cannot start", {
      error: admin.error,
      ...(LISTEN_ERRORS[admin.code] === undefined ? {} : { why: LISTEN_ERRORS[admin.code] }),
    });
    process.kill(process.pid, "SIGTERM"); // the workers drain and exit; then so does this process, with 1
    await exitCode;
    return 1;
  }
  log.info("warren started", { version: pkg.version, pid: process.pid, workers: supervisor.workers, workerPids: supervisor.pids });
  for (const l of prepared.config.listeners) {
    log.info("listening", {
      listener: l.name,
      address: formatHostPort(l.listen),
      backends: l.backends.map((b) => b.srv ?? formatHostPort(b.address)),
      workers: supervisor.workers,
    });
  }
  return exitCode.then(async (code) => {
    await admin?.stop();
    return code;
  });
}

/** What the usual listen failures mean, in words, for the "cannot start" line. */
const LISTEN_ERRORS: Record<string, string> = {
  EADDRINUSE: "the address is already in use: another process (or another warren) listens there",
  EACCES: "permission denied: ports below 1024 need privileges",
  EADDRNOTAVAIL: "the address is not one of this host's",
};

function bug(what: string, err: unknown): void {
  // Peer input must never crash the process; anything reaching here is a bug, so say so loudly and keep serving.
  const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
  if (activeLog !== null) activeLog.error(`${what} (bug)`, { error: text });
  else process.stderr.write(`warren: ${what} (bug): ${text}\n`);
}
process.on("uncaughtException", (err) => bug("uncaught exception", err));
process.on("unhandledRejection", (reason) => bug("unhandled rejection", reason));

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    bug("failed", err);
    process.exit(1);
  },
);

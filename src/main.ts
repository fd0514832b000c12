#!/usr/bin/env bun
/**
 * The warren command: args → config → checks → start → signals. Exit codes:
 * 0 after a clean shutdown, 1 for a runtime failure (e.g. a port in use), 2
 * for a config or usage error.
 */
import pkg from "../package.json" with { type: "json" };
import { parseArgs, USAGE } from "./cli/args.ts";
import { printConfigErrors, printWarnings, logWarnings } from "./cli/output.ts";
import { prepareRun } from "./cli/prepare.ts";
import { runUntilStopped } from "./cli/signals.ts";
import { formatHostPort } from "./config/host-port.ts";
import { ConfigErrors, ProxyError } from "./errors.ts";
import { Logger } from "./log.ts";
import { ProxyServer } from "./server/server.ts";

/** The logger once there is one, so even a bug report is a line in the configured format. */
let activeLog: Logger | null = null;

async function main(argv: readonly string[]): Promise<number> {
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
  const exitCode = runUntilStopped(proxy, args, log, config);
  log.info("warren started", { version: pkg.version, pid: process.pid });
  for (const a of proxy.addresses) {
    log.info("listening", { listener: a.name, address: formatHostPort(a), backends: a.backends });
  }
  return exitCode;
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

#!/usr/bin/env bun
/**
 * The warren command: args → config → start → signals. Exit codes: 0 after a
 * clean shutdown, 1 for a runtime failure (e.g. a port in use), 2 for a config
 * or usage error.
 */
import { dirname, resolve } from "node:path";
import pkg from "../package.json" with { type: "json" };
import { parseArgs, USAGE } from "./cli/args.ts";
import { buildConfig } from "./cli/config-input.ts";
import { formatHostPort } from "./config/host-port.ts";
import { ConfigErrors, ProxyError } from "./errors.ts";
import { Logger } from "./log.ts";
import { prepareFramers } from "./pool/prepare.ts";
import { ProxyServer } from "./proxy/server.ts";

async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args instanceof ConfigErrors) {
    process.stderr.write(`${args.message}\n`);
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
  const config = await buildConfig(args);
  if (config instanceof ConfigErrors) {
    process.stderr.write(`${config.message}\n`);
    return 2;
  }
  if (args.check) {
    process.stdout.write(`${args.configPath ?? "config"}: ok (${config.listeners.length} listener(s))\n`);
    return 0;
  }

  // Custom framer modules are imported now, so a bad one is a config error (exit 2), not a failed start.
  const framerErrors = await prepareFramers(config, configDir(args.configPath));
  if (framerErrors !== null) {
    process.stderr.write(`${framerErrors.message}\n`);
    return 2;
  }
  let log: Logger;
  try {
    log = Logger.fromConfig(config.log, args.configPath ?? "flags");
  } catch (err) {
    if (!(err instanceof ConfigErrors)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 2;
  }
  let proxy: ProxyServer;
  try {
    proxy = ProxyServer.start(config, log);
  } catch (err) {
    const error = err instanceof ProxyError ? err.message : String(err);
    const why = err instanceof ProxyError ? LISTEN_ERRORS[err.code] : undefined;
    log.error("cannot start", why === undefined ? { error } : { error, why });
    return 1;
  }
  // Install the signal handlers before announcing anything: a supervisor may signal as soon as it
  // sees "listening", and a SIGHUP that arrives before its handler kills the process.
  const exitCode = new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) {
        log.warn("second signal: closing every session now", { signal });
        void proxy.close({ graceful: false });
        return;
      }
      stopping = true;
      log.info("shutting down", { signal, sessions: proxy.sessionCount });
      proxy.close({ graceful: true }).then(() => {
        log.info("stopped");
        resolve(0);
      });
    };
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGHUP", () => {
      void reload(proxy, args, log);
    });
  });
  log.info("warren started", { version: pkg.version, pid: process.pid });
  for (const a of proxy.addresses) {
    log.info("listening", { listener: a.name, address: formatHostPort(a), backends: a.backends });
  }
  return exitCode;
}

/** configDir is where relative custom framer module paths are resolved: the config file's directory. */
function configDir(configPath: string | undefined | null): string | undefined {
  return configPath === undefined || configPath === null ? undefined : dirname(resolve(configPath));
}

/** What the usual listen failures mean, in words, for the "cannot start" line. */
const LISTEN_ERRORS: Record<string, string> = {
  EADDRINUSE: "the address is already in use: another process (or another warren) listens there",
  EACCES: "permission denied: ports below 1024 need privileges",
  EADDRNOTAVAIL: "the address is not one of this host's",
};

/** reload re-reads the config; an invalid one is reported and the running config stays. */
async function reload(proxy: ProxyServer, args: Parameters<typeof buildConfig>[0], log: Logger): Promise<void> {
  const next = await buildConfig(args);
  if (next instanceof ConfigErrors) {
    log.error("reload rejected: config invalid, keeping the running config", { errors: next.errors.map((e) => e.message) });
    process.stderr.write(`${next.message}\n`);
    return;
  }
  const framerErrors = await prepareFramers(next, configDir(args.configPath));
  if (framerErrors !== null) {
    log.error("reload rejected: config invalid, keeping the running config", { errors: framerErrors.errors.map((e) => e.message) });
    return;
  }
  try {
    proxy.reload(next);
    log.info("reloaded", { listeners: next.listeners.length });
  } catch (err) {
    log.error("reload failed, keeping the running config", { error: err instanceof Error ? err.message : String(err) });
  }
}

process.on("uncaughtException", (err) => {
  // Peer input must never crash the process; anything reaching here is a bug, so say so loudly and keep serving.
  process.stderr.write(`warren: uncaught exception (bug): ${err.stack ?? String(err)}\n`);
});
process.on("unhandledRejection", (reason) => {
  process.stderr.write(`warren: unhandled rejection (bug): ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}\n`);
});

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`warren: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);

/**
 * warren's library API. `startProxy` validates a config (or takes an already
 * validated one), binds every listener and returns the running ProxyServer.
 *
 *   await using proxy = await startProxy({ listeners: [{ listen: "127.0.0.1:0", backends: ["127.0.0.1:6379"] }] });
 *   proxy.addresses[0].port; proxy.stats(); proxy.reload(next); await proxy.close({ graceful: true });
 */
import type { WarrenConfig } from "./config/schema.ts";
import { asValidConfig, validateConfig } from "./config/validate.ts";
import { ConfigErrors } from "./errors.ts";
import { Logger } from "./log.ts";
import { preflight } from "./server/preflight.ts";
import { ProxyServer, type ServerOptions } from "./server/server.ts";

export interface StartOptions extends ServerOptions {
  /** A logger to use instead of one built from the config (tests pass a silent one). */
  logger?: Logger;
  /** Directory that relative custom framer module paths are resolved against (default: the working directory). */
  baseDir?: string;
}

/**
 * startProxy throws ConfigErrors for an invalid config (including a custom framer
 * module that cannot be loaded, a listen host name that does not resolve and a
 * log.file that cannot be appended to) and ProxyError if a listener cannot bind.
 */
export async function startProxy(config: unknown, options: StartOptions = {}): Promise<ProxyServer> {
  const valid = asValidConfig(config);
  if (valid instanceof ConfigErrors) throw valid;
  // The same checks as the command's start and --check: framer modules, listen host names, log.file.
  const problems = await preflight(valid, { baseDir: options.baseDir });
  if (problems !== null) throw problems;
  return ProxyServer.start(valid, options.logger, options);
}

/** parseConfig validates without starting anything; returns the config or every error found. */
export function parseConfig(config: unknown): WarrenConfig | ConfigErrors {
  return validateConfig(config);
}

export { ProxyServer } from "./server/server.ts";
export type { ListeningAddress, ServerOptions } from "./server/server.ts";
export type { Preamble, PreambleParser, PreambleResult } from "./listener/preamble.ts";
export type { ProxyStats, ListenerStats, BackendStats, PoolStats, BackendPoolStats } from "./stats.ts";
export type { WarrenConfig, ListenerConfig, BackendConfig } from "./config/schema.ts";
export { DEFAULTS } from "./defaults.ts";
export { prepareFramers } from "./pool/prepare.ts";
export { preflight } from "./server/preflight.ts";
export { configWarnings } from "./config/warnings.ts";
export { ConfigError, ConfigErrors, ProxyError } from "./errors.ts";
export { Logger } from "./log.ts";

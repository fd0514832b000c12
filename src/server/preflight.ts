import { lookup } from "node:dns/promises";
import { hostKind } from "../config/host.ts";
import type { WarrenConfig } from "../config/schema.ts";
import { ConfigError, ConfigErrors } from "../errors.ts";
import { logFileProblem } from "../log-file.ts";
import { prepareFramers } from "../pool/prepare.ts";
import { seedDiscovery } from "../discovery/discovery.ts";
import { DnsClient } from "../discovery/dns.ts";

/**
 * preflight runs the checks a valid config can still fail before anything
 * binds: the log file can be appended to, custom framer modules load (they
 * are imported and kept for the start), listen host names resolve. The CLI
 * runs it for --check, at start and on SIGHUP, and startProxy runs it too, so
 * a config that passes --check fails a start only for what needs the bind
 * itself (the port is taken, the address is not this host's, privileges).
 */
export async function preflight(config: WarrenConfig, options: { baseDir?: string; source?: string } = {}): Promise<ConfigErrors | null> {
  const source = options.source ?? "config";
  const errors: ConfigError[] = [];
  if (config.log.file !== null) {
    const problem = logFileProblem(config.log.file);
    if (problem !== null) errors.push(new ConfigError("log.file", problem));
  }
  const framers = await prepareFramers(config, options.baseDir, source);
  // Backend names are resolved once now, so listeners start with their servers; a name that does not
  // resolve is no error (its listener keeps asking, and logs it).
  await seedDiscovery(config.listeners, new DnsClient(config.dns));
  const hosts = await Promise.all(config.listeners.map((l, i) => listenHostProblem(l.listen.host, i)));
  // Key order: each listener's framer problem, then its listen host (as validation reports them).
  config.listeners.forEach((_, i) => {
    for (const e of framers?.errors ?? []) if (e.path.startsWith(`listeners[${i}].`)) errors.push(e);
    const host = hosts[i];
    if (host !== null && host !== undefined) errors.push(host);
  });
  return errors.length === 0 ? null : new ConfigErrors(errors, source);
}

/** A listen host that is a name must resolve, as Bun.listen will resolve it (getaddrinfo). */
async function listenHostProblem(host: string, i: number): Promise<ConfigError | null> {
  if (host === "" || hostKind(host) !== "name") return null; // "": a unix socket, nothing to resolve
  try {
    await lookup(host);
    return null;
  } catch (err) {
    const code = (err as { code?: string }).code ?? String(err);
    return new ConfigError(
      `listeners[${i}].listen`,
      `cannot resolve ${JSON.stringify(host)} (${code}); listen on an address of this host, or a name that resolves to one`,
    );
  }
}

/**
 * An admin server on 127.0.0.1 and an ephemeral port, over a ProxyServer in this process, with the real
 * reload (the config file re-read as SIGHUP does). Disposed with the proxy's lifetime in the test.
 */
import { LocalRuntime } from "../../src/admin/local.ts";
import { AdminServer } from "../../src/admin/server.ts";
import type { CliArgs } from "../../src/cli/args.ts";
import { reloader } from "../../src/cli/reload-run.ts";
import type { AdminConfig, WarrenConfig } from "../../src/config/schema.ts";
import { Logger, type ProxyServer } from "../../src/index.ts";

export const TEST_TOKEN = "test-token-0123456789abcdef";

export interface AdminOptions {
  token?: string | null;
  /** The config file a reload re-reads; without one, reload re-reads nothing (a flags config). */
  configPath?: string | null;
  host?: string;
}

export function adminFor(proxy: ProxyServer, config: WarrenConfig, options: AdminOptions = {}): AdminServer {
  const log = new Logger("silent");
  const args: CliArgs = {
    help: false,
    version: false,
    check: false,
    configPath: options.configPath ?? null,
    listen: null,
    backends: [],
    logLevel: null,
    logFormat: null,
    admin: null,
  };
  const admin: AdminConfig = {
    enabled: true,
    listen: { host: options.host ?? "127.0.0.1", port: 0 },
    listenConfigured: true,
    token: options.token === undefined ? TEST_TOKEN : options.token,
  };
  const started = AdminServer.start(admin, new LocalRuntime(proxy, reloader(proxy, args, log, config)), log);
  if (!(started instanceof AdminServer)) throw new Error(started.message);
  return started;
}

/** post sends a state change the way warren ctl does: POST, a JSON body, the token if given. */
export function post(url: string, token: string | null = TEST_TOKEN, init: { body?: string; type?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = { "content-type": init.type ?? "application/json" };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  return fetch(url, { method: "POST", headers, body: init.body ?? "{}" });
}

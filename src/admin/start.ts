import { formatHostPort } from "../config/host-port.ts";
import type { AdminConfig } from "../config/schema.ts";
import type { Logger } from "../log.ts";
import type { AdminRuntime } from "./runtime.ts";
import { AdminServer } from "./server.ts";

/**
 * startAdmin runs the admin server a config asks for. null: none (disabled, or the built-in default
 * address was taken — a second warren on the host — which is logged as a warning). A configured
 * address that cannot be bound is a start failure, as for a listener: an error value to exit 1 with.
 */
export function startAdmin(config: AdminConfig, runtime: AdminRuntime, log: Logger): AdminServer | null | { error: string; code: string } {
  if (!config.enabled) return null;
  const started = AdminServer.start(config, runtime, log);
  if (started instanceof AdminServer) {
    log.info("admin listening", { url: started.url, token: config.token !== null });
    return started;
  }
  if (!config.listenConfigured && started.code === "EADDRINUSE") {
    log.warn(
      "admin server not started: its default address is taken (another warren?); set [admin] listen or --admin HOST:PORT to run one",
      { address: formatHostPort(config.listen) },
    );
    return null;
  }
  return { error: started.message, code: started.code };
}

import { Logger, startProxy, type ProxyServer } from "../../src/index.ts";

/** A logger that keeps lines in memory, for tests that assert on logs. */
export function memoryLogger(level: "debug" | "info" | "warn" = "info"): Logger & { lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = new Logger(level, "json", (line) => lines.push(JSON.parse(line)), false);
  return Object.assign(logger, { lines });
}

/** proxyTo starts warren on 127.0.0.1:0 with one listener forwarding to `backends`, quiet unless asked. */
export async function proxyTo(
  backends: (string | Record<string, unknown>)[],
  listener: Record<string, unknown> = {},
  logger: Logger = new Logger("silent"),
): Promise<ProxyServer> {
  return startProxy({ listeners: [{ listen: "127.0.0.1:0", backends, ...listener }] }, { logger });
}

/** portOf returns the first listener's port. */
export function portOf(proxy: ProxyServer): number {
  return proxy.addresses[0]!.port;
}

/** waitFor polls `cond` until true or the deadline passes (then throws with `what`). */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
}

/** openFds counts this process's open file descriptors. */
export function openFds(): number {
  return require("node:fs").readdirSync("/proc/self/fd").length;
}

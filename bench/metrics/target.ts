/**
 * The warren the metrics bench scrapes, in its own process: one tunnel listener over the given echo
 * backends (access log off) and warren's own admin server on an ephemeral port, whose GET /metrics says
 * how long the render took in its Server-Timing header (measured in this process, so the load
 * generator's and the scraper's CPU do not count). Prints `{"port":…,"metrics":…,"pid":…}` when listening; exits when its
 * stdin closes, so it cannot outlive the bench.
 *
 * Run: bun bench/metrics/target.ts PORT,PORT,…
 */
import { LocalRuntime } from "../../src/admin/local.ts";
import { AdminServer } from "../../src/admin/server.ts";
import { Logger, startProxy } from "../../src/index.ts";

const backends = (process.argv[2] ?? "")
  .split(",")
  .filter((p) => p !== "")
  .map((p) => `127.0.0.1:${p}`);
if (backends.length === 0) throw new Error("usage: bun bench/metrics/target.ts PORT,PORT,…");

const proxy = await startProxy(
  { log: { access: false }, listeners: [{ name: "bench", listen: "127.0.0.1:0", backends, maxConnections: 20_000 }] },
  { logger: new Logger("warn") },
);
const log = new Logger("warn");
const noReload = async () => ({ code: "RELOAD_UNAVAILABLE", message: "the metrics bench's warren has no config file" });
const admin = AdminServer.start(
  { enabled: true, listen: { host: "127.0.0.1", port: 0 }, listenConfigured: true, token: null },
  new LocalRuntime(proxy, noReload),
  log,
);
if (!(admin instanceof AdminServer)) throw new Error(admin.message);
const server = admin;
process.stdout.write(`${JSON.stringify({ port: proxy.addresses[0]!.port, metrics: server.port, pid: process.pid })}\n`);

for await (const _ of Bun.stdin.stream()) {
  // Nothing is sent on stdin: it only closes, when the bench ends.
}
await server.stop();
await proxy.close({ graceful: false });
process.exit(0);

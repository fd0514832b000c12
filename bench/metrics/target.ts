/**
 * The warren the metrics bench scrapes, in its own process: one tunnel listener over the given echo
 * backends (access log off) and GET /metrics on an ephemeral port, answering with renderMetrics and the
 * time the render took (`x-render-ms`, measured in this process, so the load generator's and the
 * scraper's CPU do not count). Prints `{"port":…,"metrics":…,"pid":…}` when listening; exits when its
 * stdin closes, so it cannot outlive the bench.
 *
 * Run: bun bench/metrics/target.ts PORT,PORT,…
 */
import { Logger, startProxy } from "../../src/index.ts";
import { CONTENT_TYPE, renderMetrics } from "../../src/metrics/index.ts";

const backends = (process.argv[2] ?? "").split(",").filter((p) => p !== "").map((p) => `127.0.0.1:${p}`);
if (backends.length === 0) throw new Error("usage: bun bench/metrics/target.ts PORT,PORT,…");

const proxy = await startProxy(
  { log: { access: false }, listeners: [{ name: "bench", listen: "127.0.0.1:0", backends, maxConnections: 20_000 }] },
  { logger: new Logger("warn") },
);
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch() {
    const started = performance.now();
    const body = renderMetrics(proxy);
    const ms = performance.now() - started;
    return new Response(body, { headers: { "content-type": CONTENT_TYPE, "x-render-ms": ms.toFixed(3) } });
  },
});
process.stdout.write(`${JSON.stringify({ port: proxy.addresses[0]!.port, metrics: server.port, pid: process.pid })}\n`);

for await (const _ of Bun.stdin.stream()) {
  // Nothing is sent on stdin: it only closes, when the bench ends.
}
await server.stop(true);
await proxy.close({ graceful: false });
process.exit(0);

/**
 * A tiny HTTP endpoint serving renderMetrics for tests and the bench: warren's own admin server is
 * built elsewhere; this is only what a scraper needs (GET /metrics), on 127.0.0.1 and an ephemeral port.
 */
import type { ProxyServer } from "../../src/index.ts";
import { CONTENT_TYPE, renderMetrics } from "../../src/metrics/index.ts";

export interface MetricsEndpoint extends AsyncDisposable {
  readonly port: number;
  readonly url: string;
  /** Scrapes served so far. */
  readonly scrapes: number;
}

export function serveMetrics(proxy: ProxyServer): MetricsEndpoint {
  let scrapes = 0;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      if (new URL(req.url).pathname !== "/metrics") return new Response("not found", { status: 404 });
      scrapes++;
      return new Response(renderMetrics(proxy), { headers: { "content-type": CONTENT_TYPE } });
    },
  });
  const port = server.port!;
  return {
    port,
    url: `http://127.0.0.1:${port}/metrics`,
    get scrapes() {
      return scrapes;
    },
    async [Symbol.asyncDispose]() {
      await server.stop(true);
    },
  };
}

/** promtoolCheck runs `promtool check metrics` on a scrape; returns its exit code and what it said. */
export function promtoolCheck(text: string): { exitCode: number; output: string } {
  const r = Bun.spawnSync(["promtool", "check", "metrics"], { stdin: Buffer.from(text), stdout: "pipe", stderr: "pipe" });
  return { exitCode: r.exitCode ?? -1, output: `${r.stdout.toString()}${r.stderr.toString()}` };
}

/** sample reads one sample's value from a scrape by its exact series (`name{labels}` as rendered), or null. */
export function sampleOf(text: string, series: string): number | null {
  for (const line of text.split("\n")) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return null;
}

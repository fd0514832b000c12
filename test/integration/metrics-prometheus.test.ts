/**
 * A real Prometheus server (Debian's package) scrapes warren's own admin server (GET /metrics) every second,
 * and what it stored is read back through its HTTP query API: the counter there is the number of
 * sessions this test made.
 */
import { expect, test } from "bun:test";
import { echoBackend } from "../helpers/backends.ts";
import { connectClient } from "../helpers/client.ts";
import { adminFor } from "../helpers/admin.ts";
import { eventually } from "../helpers/poll.ts";
import { startPrometheus } from "../helpers/prometheus.ts";
import { portOf, proxyTo, waitFor } from "../helpers/proxy.ts";
import { parseConfig } from "../../src/index.ts";
import type { WarrenConfig } from "../../src/config/schema.ts";

test("Prometheus scrapes warren every second and reads back warren_frontend_sessions_total as the sessions made", async () => {
  using backend = echoBackend();
  await using proxy = await proxyTo([backend.address], { name: "web" });
  await using admin = adminFor(proxy, parseConfig({ listeners: [{ name: "web", backends: [backend.address] }] }) as WarrenConfig);
  await using prometheus = await startPrometheus([`127.0.0.1:${admin.port}`]);
  const sessions = async (): Promise<number | null> =>
    (await prometheus.query('warren_frontend_sessions_total{proxy="web"}'))[0]?.value ?? null;

  // First Prometheus sees the listener with no sessions yet, and the target is healthy.
  expect(await eventually(sessions, (v) => v !== null, "the first scrape stored", 30_000)).toBe(0);
  expect(await prometheus.targets()).toEqual([{ scrapeUrl: `${admin.url}/metrics`, health: "up", lastError: "" }]);

  const made = 7;
  for (let i = 0; i < made; i++) {
    const c = await connectClient(portOf(proxy));
    await c.send(`session ${i}`);
    await c.waitFor(`session ${i}`.length);
    c.socket.end();
    await c.closed;
  }
  await waitFor(() => proxy.sessionCount === 0, "every session ended");

  expect(await eventually(sessions, (v) => v === made, `Prometheus to store ${made} sessions`, 30_000)).toBe(made);
  // The histogram came through as one too: its count and +Inf bucket, and the ends, are the same sessions
  // (polled as well: a scrape between the last client's admission and its end counts it only as admitted).
  const ended = async () => {
    const value = async (q: string) => (await prometheus.query(q))[0]?.value ?? null;
    return [
      await value('warren_frontend_session_duration_seconds_count{proxy="web"}'),
      await value('warren_frontend_session_duration_seconds_bucket{proxy="web",le="+Inf"}'),
      await value('sum(warren_frontend_session_ends_total{proxy="web"})'),
    ];
  };
  expect(await eventually(ended, (v) => v.every((n) => n === made), "the ends and durations stored", 30_000)).toEqual([made, made, made]);
  expect((await prometheus.query('up{job="warren"}')).map((s) => s.value)).toEqual([1]);
}, 90_000);

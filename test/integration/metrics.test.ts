/**
 * The metrics move with the traffic: real clients through real listeners (tunnel and pooled, against a
 * real Redis), then a scrape read back series by series. Every scrape also passes `promtool check metrics`.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Logger, startProxy, type ProxyServer } from "../../src/index.ts";
import { renderMetrics } from "../../src/metrics/index.ts";
import { closedPort, echoBackend } from "../helpers/backends.ts";
import { blackholeBackend } from "../helpers/blackhole.ts";
import { connectClient, randomBytes } from "../helpers/client.ts";
import { promtoolCheck, sampleOf } from "../helpers/metrics-http.ts";
import { portOf, proxyTo, waitFor } from "../helpers/proxy.ts";
import { RespClient, RespError, type TestRedis, startRedis } from "../helpers/redis.ts";

/** scrape renders the proxy's metrics and checks them with promtool before any test reads them. */
function scrape(proxy: ProxyServer): { text: string; value: (series: string) => number | null } {
  const text = renderMetrics(proxy);
  expect(promtoolCheck(text)).toEqual({ exitCode: 0, output: "" });
  return { text, value: (series) => sampleOf(text, series) };
}

function portNamed(proxy: ProxyServer, name: string): number {
  return proxy.addresses.find((a) => a.name === name)!.port;
}

describe("tunnel listener", () => {
  test("sessions, bytes both ways, ends by code and side, and histogram counts equal to the sessions", async () => {
    using backend = echoBackend();
    await using proxy = await proxyTo([backend.address], { name: "web" });
    const sizes = [1, 1000, 64 * 1024, 300_000, 7];
    const clients = await Promise.all(sizes.map(() => connectClient(portOf(proxy))));
    await Promise.all(clients.map((c, i) => c.send(randomBytes(sizes[i]!, i + 1))));
    await Promise.all(clients.map((c, i) => c.waitFor(sizes[i]!)));
    const live = scrape(proxy);
    const P = '{proxy="web"}';
    const S = `{proxy="web",server="${backend.address}"}`;
    expect(live.value(`warren_frontend_current_sessions${P}`)).toBe(5);
    expect(live.value(`warren_server_current_sessions${S}`)).toBe(5);
    expect(live.value(`warren_backend_current_sessions${P}`)).toBe(5);

    for (const c of clients) c.socket.end();
    await waitFor(() => proxy.sessionCount === 0, "every session ended");
    const total = sizes.reduce((a, b) => a + b, 0);
    const m = scrape(proxy);
    expect({
      sessions: m.value(`warren_frontend_sessions_total${P}`),
      current: m.value(`warren_frontend_current_sessions${P}`),
      bytesIn: m.value(`warren_frontend_bytes_in_total${P}`),
      bytesOut: m.value(`warren_frontend_bytes_out_total${P}`),
      endsOk: m.value(`warren_frontend_session_ends_total{proxy="web",code="ok",side="client"}`),
      sessionDurations: m.value(`warren_frontend_session_duration_seconds_count${P}`),
      sessionDurationsInf: m.value(`warren_frontend_session_duration_seconds_bucket{proxy="web",le="+Inf"}`),
      serverSessions: m.value(`warren_server_sessions_total${S}`),
      connects: m.value(`warren_server_connect_duration_seconds_count${S}`),
      up: m.value(`warren_server_status{proxy="web",server="${backend.address}",state="UP"}`),
      activeServers: m.value(`warren_backend_active_servers${P}`),
      limit: m.value(`warren_frontend_limit_sessions${P}`),
    }).toEqual({
      sessions: 5,
      current: 0,
      bytesIn: total,
      bytesOut: total,
      endsOk: 5,
      sessionDurations: 5,
      sessionDurationsInf: 5,
      serverSessions: 5,
      connects: 5,
      up: 1,
      activeServers: 1,
      limit: 10000,
    });
    // The sum is real time: each session lasted at least as long as its echo took, and the scrape is not in the future.
    expect(m.value(`warren_frontend_session_duration_seconds_sum${P}`)!).toBeGreaterThan(0);
    expect(m.value(`warren_server_connect_duration_seconds_sum${S}`)!).toBeGreaterThan(0);
  });

  test("refused clients are counted by reason, failed connects by code, and each ends with its code and side", async () => {
    using held = echoBackend();
    using drained = echoBackend();
    const refused = `127.0.0.1:${closedPort()}`;
    const down = `127.0.0.1:${closedPort()}`;
    const quiet = { failures: 0, cooldownMs: 1000 };
    await using proxy = await startProxy(
      {
        listeners: [
          { name: "refused", listen: "127.0.0.1:0", backends: [refused], connectAttempts: 1, health: { passive: quiet } },
          { name: "full", listen: "127.0.0.1:0", backends: [held.address], maxConnections: 1 },
          { name: "denied", listen: "127.0.0.1:0", backends: [held.address], deny: ["127.0.0.1/32"] },
          { name: "drained", listen: "127.0.0.1:0", backends: [{ address: drained.address, drain: true }] },
          {
            name: "down",
            listen: "127.0.0.1:0",
            backends: [down],
            connectAttempts: 1,
            health: { passive: { failures: 1, cooldownMs: 600_000 } },
          },
        ],
      },
      { logger: new Logger("silent") },
    );
    const closeOf = async (port: number): Promise<string | null> => (await connectClient(port)).closed;
    for (let i = 0; i < 3; i++) await closeOf(portNamed(proxy, "refused"));
    const holder = await connectClient(portNamed(proxy, "full"));
    await waitFor(() => proxy.stats().listeners.find((l) => l.name === "full")!.sessions === 1, "the first client admitted");
    await closeOf(portNamed(proxy, "full"));
    await closeOf(portNamed(proxy, "full"));
    await closeOf(portNamed(proxy, "denied"));
    await closeOf(portNamed(proxy, "drained"));
    await closeOf(portNamed(proxy, "down")); // refused: marks the server down
    await closeOf(portNamed(proxy, "down")); // no server left: NO_BACKEND
    await waitFor(() => proxy.sessionCount === 1, "every refused client ended");

    const m = scrape(proxy);
    const denied = (proxy: string, reason: string) =>
      m.value(`warren_frontend_denied_connections_total{proxy="${proxy}",reason="${reason}"}`);
    const ends = (proxy: string, code: string, side: string) =>
      m.value(`warren_frontend_session_ends_total{proxy="${proxy}",code="${code}",side="${side}"}`);
    expect({
      full: denied("full", "maxConnections"),
      denied: denied("denied", "denied"),
      drained: denied("drained", "noBackend"),
      downNoBackend: denied("down", "noBackend"),
      refusedNotDenied: denied("refused", "maxConnections"),
    }).toEqual({ full: 2, denied: 1, drained: 1, downNoBackend: 1, refusedNotDenied: 0 });
    expect({
      refused: ends("refused", "ECONNREFUSED", "backend"),
      drained: ends("drained", "NO_BACKEND", "internal"),
      downRefused: ends("down", "ECONNREFUSED", "backend"),
      downNoBackend: ends("down", "NO_BACKEND", "internal"),
      refusedSessions: m.value('warren_frontend_sessions_total{proxy="refused"}'),
      refusedDurations: m.value('warren_frontend_session_duration_seconds_count{proxy="refused"}'),
    }).toEqual({ refused: 3, drained: 1, downRefused: 1, downNoBackend: 1, refusedSessions: 3, refusedDurations: 3 });
    expect({
      byCode: m.value(`warren_server_connection_errors_total{proxy="refused",server="${refused}",code="ECONNREFUSED"}`),
      backend: m.value('warren_backend_connection_errors_total{proxy="refused"}'),
      connects: m.value(`warren_server_connect_duration_seconds_count{proxy="refused",server="${refused}"}`),
      stillUp: m.value(`warren_server_status{proxy="refused",server="${refused}",state="UP"}`),
    }).toEqual({ byCode: 3, backend: 3, connects: 0, stillUp: 1 });
    const status = (proxy: string, server: string) =>
      Object.fromEntries(
        ["UP", "DOWN", "DRAIN", "MAINT"].map((st) => [
          st,
          m.value(`warren_server_status{proxy="${proxy}",server="${server}",state="${st}"}`),
        ]),
      );
    expect(status("drained", drained.address)).toEqual({ UP: 0, DOWN: 0, DRAIN: 1, MAINT: 0 });
    expect(status("down", down)).toEqual({ UP: 0, DOWN: 1, DRAIN: 0, MAINT: 0 });
    expect(m.value('warren_backend_active_servers{proxy="drained"}')).toBe(0);
    expect(m.value('warren_backend_active_servers{proxy="down"}')).toBe(0);
    expect(m.value(`warren_server_check_up_down_total{proxy="down",server="${down}"}`)).toBe(1);

    // Downtime grows while the server stays down, in seconds.
    const downtime = () => sampleOf(renderMetrics(proxy), `warren_server_downtime_seconds_total{proxy="down",server="${down}"}`)!;
    const first = downtime();
    expect(first).toBeGreaterThan(0);
    await waitFor(() => downtime() >= first + 0.05, "downtime to grow");
    holder.socket.end();
  });
});

test("a connect that times out is counted as CONNECT_TIMEOUT, on the server and as the session's end (tunnel and pool)", async () => {
  await using hole = await blackholeBackend();
  const quiet = { passive: { failures: 0, cooldownMs: 1000 } };
  await using proxy = await startProxy(
    {
      listeners: [
        { name: "tunnel", listen: "127.0.0.1:0", backends: [hole.address], connectTimeoutMs: 200, connectAttempts: 1, health: quiet },
        {
          name: "pool",
          listen: "127.0.0.1:0",
          backends: [hole.address],
          connectTimeoutMs: 200,
          health: quiet,
          mode: "pool",
          pool: { framer: { kind: "resp" }, minIdlePerBackend: 0, queueTimeoutMs: 5000 },
        },
      ],
    },
    { logger: new Logger("silent") },
  );
  const client = await connectClient(portNamed(proxy, "tunnel"));
  expect(await client.closed).toBeNull();
  const pooled = await RespClient.connect(portNamed(proxy, "pool"));
  expect(await pooled.command("GET", "k")).toBeInstanceOf(RespError);
  pooled.close();
  const m = scrape(proxy);
  expect({
    tunnel: m.value(`warren_server_connection_errors_total{proxy="tunnel",server="${hole.address}",code="CONNECT_TIMEOUT"}`),
    tunnelEnd: m.value('warren_frontend_session_ends_total{proxy="tunnel",code="CONNECT_TIMEOUT",side="backend"}'),
    pool: (m.value(`warren_server_connection_errors_total{proxy="pool",server="${hole.address}",code="CONNECT_TIMEOUT"}`) ?? 0) >= 1,
    connects: m.value(`warren_server_connect_duration_seconds_count{proxy="tunnel",server="${hole.address}"}`),
  }).toEqual({ tunnel: 1, tunnelEnd: 1, pool: true, connects: 0 });
});

test("the event-loop delay gauge shows a stall of the event loop (measured on the sweep timer)", async () => {
  using backend = echoBackend();
  await using proxy = await proxyTo([backend.address], { connectTimeoutMs: 1000 }); // a sweep tick every 100 ms
  await waitFor(() => proxy.stats().eventLoopDelayMs < 50, "a quiet event loop first", 5000);
  const until = performance.now() + 400;
  while (performance.now() < until) {} // hold the event loop, as a long synchronous task would
  await waitFor(() => proxy.stats().eventLoopDelayMs >= 200, "the stall to show", 5000);
  expect(sampleOf(renderMetrics(proxy), "warren_process_event_loop_delay_seconds")!).toBeGreaterThanOrEqual(0.2);
});

test("perWorker labels every listener and server series of a worker with its index, and leaves the process ones alone", async () => {
  using backend = echoBackend();
  await using proxy = await proxyTo([backend.address], { name: "web" });
  const before = process.env.WARREN_WORKER;
  process.env.WARREN_WORKER = "1/2";
  try {
    const text = renderMetrics(proxy, { perWorker: true });
    expect(promtoolCheck(text)).toEqual({ exitCode: 0, output: "" });
    expect(sampleOf(text, 'warren_frontend_sessions_total{proxy="web",worker="1"}')).toBe(0);
    expect(sampleOf(text, `warren_server_status{proxy="web",server="${backend.address}",worker="1",state="UP"}`)).toBe(1);
    expect(sampleOf(text, "warren_process_open_fds")).toBeGreaterThan(0);
    expect(sampleOf(renderMetrics(proxy), 'warren_frontend_sessions_total{proxy="web"}')).toBe(0);
  } finally {
    if (before === undefined) delete process.env.WARREN_WORKER;
    else process.env.WARREN_WORKER = before;
  }
});

describe("pooled listener (real Redis)", () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis[Symbol.asyncDispose]();
  });

  test("requests, connections by state, waits observed once each, sessions and their durations", async () => {
    await using proxy = await proxyTo([redis.address], {
      name: "cache",
      mode: "pool",
      pool: { framer: { kind: "resp" }, maxPerBackend: 2, minIdlePerBackend: 0 },
    });
    const clients = await Promise.all(Array.from({ length: 6 }, () => RespClient.connect(portOf(proxy))));
    // Each client's MULTI…EXEC holds a connection, so with 2 in the pool the others must wait their turn.
    await Promise.all(
      clients.map(async (c, i) => {
        expect(await c.command("MULTI")).toBe("OK");
        expect(await c.command("SET", `metrics:${i}`, String(i))).toBe("QUEUED");
        expect(await c.command("EXEC")).toEqual(["OK"]);
        expect(await c.command("GET", `metrics:${i}`)).toBe(String(i));
      }),
    );
    const S = `{proxy="cache",server="${redis.address}"}`;
    const live = scrape(proxy);
    const pool = proxy.stats().listeners[0]!.pool!.backends[0]!;
    expect(live.value(`warren_frontend_current_sessions{proxy="cache"}`)).toBe(6);
    expect(live.value(`warren_pool_requests_total${S}`)).toBe(pool.requests);
    expect(pool.requests).toBeGreaterThanOrEqual(6 * 4);
    expect(live.value(`warren_pool_wait_duration_seconds_count${S}`)).toBe(pool.waitsTotal);
    expect(pool.waitsTotal).toBeGreaterThan(0);
    const byState = ["in_use", "idle", "connecting"].map(
      (st) => live.value(`warren_pool_connections{proxy="cache",server="${redis.address}",state="${st}"}`)!,
    );
    expect(byState.reduce((a, b) => a + b, 0)).toBe(pool.size);
    expect(pool.size).toBeGreaterThan(0);
    expect(live.value(`warren_pool_waiting_requests${S}`)).toBe(0);
    expect(live.value(`warren_pool_pinned_clients${S}`)).toBe(0);
    expect(live.value(`warren_server_connect_duration_seconds_count${S}`)).toBe(pool.connectionsOpened);

    for (const c of clients) c.close();
    await waitFor(() => proxy.sessionCount === 0, "every client ended");
    const m = scrape(proxy);
    expect({
      sessions: m.value('warren_frontend_sessions_total{proxy="cache"}'),
      ends: m.value('warren_frontend_session_ends_total{proxy="cache",code="ok",side="client"}'),
      durations: m.value('warren_frontend_session_duration_seconds_count{proxy="cache"}'),
    }).toEqual({ sessions: 6, ends: 6, durations: 6 });
  });

  test("a pooled backend that refuses is counted under its code", async () => {
    const refused = `127.0.0.1:${closedPort()}`;
    await using proxy = await proxyTo([refused], {
      name: "gone",
      mode: "pool",
      pool: { framer: { kind: "resp" }, minIdlePerBackend: 0 },
      health: { passive: { failures: 0, cooldownMs: 1000 } },
    });
    const c = await RespClient.connect(portOf(proxy));
    const reply = await c.command("GET", "k");
    expect(reply).toBeInstanceOf(RespError);
    expect((reply as RespError).message).toStartWith("ERR warren:");
    c.close();
    const m = scrape(proxy);
    const errors = m.value(`warren_server_connection_errors_total{proxy="gone",server="${refused}",code="ECONNREFUSED"}`)!;
    expect(errors).toBeGreaterThanOrEqual(1);
    expect(m.value('warren_backend_connection_errors_total{proxy="gone"}')).toBe(proxy.stats().listeners[0]!.backends[0]!.connectFailures);
  });
});

/**
 * The admin server's HTTP API over a real warren in this process: probes, metrics, the JSON reads, the
 * token rules, and backend drain/enable/disable seen in where new sessions go.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig, startProxy, type ProxyServer } from "../../src/index.ts";
import { ConfigErrors } from "../../src/errors.ts";
import { adminFor, post, TEST_TOKEN } from "../helpers/admin.ts";
import { greetBackend } from "../helpers/backends.ts";
import { connectClient, type TestClient } from "../helpers/client.ts";
import { promtoolCheck, sampleOf } from "../helpers/metrics-http.ts";
import { eventually } from "../helpers/poll.ts";
import { Logger } from "../../src/log.ts";
import { portOf, waitFor } from "../helpers/proxy.ts";
import { RespClient, startRedis } from "../helpers/redis.ts";

const dir = mkdtempSync(join(tmpdir(), "warren-admin-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A config file for listener "web" over `backends`, and the proxy started from it. */
async function webProxy(backends: string[], file = join(dir, `web-${Math.random().toString(36).slice(2)}.json`)) {
  writeFileSync(file, JSON.stringify({ log: { level: "silent" }, listeners: [{ name: "web", listen: "127.0.0.1:0", backends }] }));
  const config = parseConfig(JSON.parse(await Bun.file(file).text()));
  if (config instanceof ConfigErrors) throw config;
  const proxy = await startProxy(config, { logger: new Logger("silent") });
  return { proxy, config, file };
}

/** whoAnswers opens a session and reads the greeting that names its backend. */
async function whoAnswers(proxy: ProxyServer): Promise<{ name: string; client: TestClient }> {
  const client = await connectClient(portOf(proxy));
  await client.waitFor(2);
  return { name: client.received().toString().slice(0, 1), client };
}

describe("probes", () => {
  test("/healthz is 200 while the process runs; /readyz is 200, then 503 with a JSON reason while draining", async () => {
    using a = greetBackend("A\n");
    const { proxy, config } = await webProxy([a.address]);
    await using admin = adminFor(proxy, config);
    expect((await fetch(`${admin.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${admin.url}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([200, { ready: true }]);

    const { client } = await whoAnswers(proxy); // a live session keeps the drain going
    const closing = proxy.close({ graceful: true, drainTimeoutMs: 10_000 });
    const draining = await fetch(`${admin.url}/readyz`);
    expect([draining.status, await draining.json()]).toEqual([503, { ready: false, reason: "draining: warren is shutting down" }]);
    expect((await fetch(`${admin.url}/healthz`)).status).toBe(200);
    client.socket.end();
    await closing;
  });
});

describe("reads", () => {
  test("/metrics is Prometheus text 0.0.4 that promtool accepts, and counts the sessions made", async () => {
    using a = greetBackend("A\n");
    const { proxy, config } = await webProxy([a.address]);
    await using _ = proxy;
    await using admin = adminFor(proxy, config);
    for (let i = 0; i < 3; i++) {
      const { client } = await whoAnswers(proxy);
      client.socket.end();
      await client.closed;
    }
    await waitFor(() => proxy.sessionCount === 0, "sessions to end");
    const r = await fetch(`${admin.url}/metrics`);
    expect(r.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(r.headers.get("server-timing")).toMatch(/^render;dur=\d+\.\d{3}$/);
    const text = await r.text();
    expect(promtoolCheck(text)).toEqual({ exitCode: 0, output: "" });
    expect(sampleOf(text, 'warren_frontend_sessions_total{proxy="web"}')).toBe(3);
    expect(sampleOf(text, `warren_server_status{proxy="web",server="${a.address}",state="UP"}`)).toBe(1);
  });

  test("stats, listeners and sessions are JSON; sessions come largest first, limited, per listener", async () => {
    using a = greetBackend("A\n");
    const { proxy, config } = await webProxy([a.address]);
    await using _ = proxy;
    await using admin = adminFor(proxy, config);
    const clients: TestClient[] = [];
    for (const size of [10, 3000, 200]) {
      const { client } = await whoAnswers(proxy);
      await client.send("x".repeat(size));
      clients.push(client);
    }
    await waitFor(() => proxy.stats().listeners[0]!.bytesFromClients === 3210, "bytes counted");

    const stats = (await (await fetch(`${admin.url}/api/v1/stats`)).json()) as { total: { sessions: number }; perWorker: unknown[] };
    expect([stats.total.sessions, stats.perWorker]).toEqual([3, []]);
    const listeners = (await (await fetch(`${admin.url}/api/v1/listeners`)).json()) as {
      listeners: { name: string; mode: string; backends: { address: string; adminState: string }[] }[];
    };
    expect(listeners.listeners.map((l) => [l.name, l.mode, l.backends.map((b) => [b.address, b.adminState])])).toEqual([
      ["web", "tunnel", [[a.address, "ready"]]],
    ]);

    const list = (await (await fetch(`${admin.url}/api/v1/sessions?listener=web&limit=2`)).json()) as {
      total: number;
      sort: string;
      sessions: { listener: string; backend: string; state: string; bytesFromClient: number }[];
    };
    expect([list.total, list.sort]).toEqual([3, "bytes"]);
    expect(list.sessions.map((s) => [s.listener, s.backend, s.state, s.bytesFromClient])).toEqual([
      ["web", a.address, "open", 3000],
      ["web", a.address, "open", 200],
    ]);
    const oldest = (await (await fetch(`${admin.url}/api/v1/sessions?sort=age&limit=1`)).json()) as {
      sessions: { bytesFromClient: number }[];
    };
    expect(oldest.sessions.map((s) => s.bytesFromClient)).toEqual([10]);

    const unknown = await fetch(`${admin.url}/api/v1/sessions?listener=nope`);
    expect([unknown.status, ((await unknown.json()) as { error: { code: string } }).error.code]).toEqual([404, "NO_SUCH_LISTENER"]);
    const badLimit = await fetch(`${admin.url}/api/v1/sessions?limit=0`);
    expect([badLimit.status, await badLimit.json()]).toEqual([
      400,
      { error: { code: "BAD_REQUEST", message: 'limit: expected an integer 1..10000, got "0"' } },
    ]);
    for (const c of clients) c.socket.end();
  });

  test("an unknown path is a JSON 404; a Host that is not loopback is refused (DNS rebinding); no CORS header ever", async () => {
    using a = greetBackend("A\n");
    const { proxy, config } = await webProxy([a.address]);
    await using _ = proxy;
    await using admin = adminFor(proxy, config);
    const missing = await fetch(`${admin.url}/nope`);
    expect([missing.status, await missing.json()]).toEqual([404, { error: { code: "NOT_FOUND", message: "no such endpoint: /nope" } }]);
    const rebound = await fetch(`${admin.url}/api/v1/stats`, { headers: { host: `evil.example:${admin.port}` } });
    expect([rebound.status, ((await rebound.json()) as { error: { code: string } }).error.code]).toEqual([403, "HOST_REJECTED"]);
    expect((await fetch(`${admin.url}/api/v1/stats`, { headers: { host: `localhost:${admin.port}` } })).status).toBe(200);
    const preflight = await fetch(`${admin.url}/api/v1/reload`, {
      method: "OPTIONS",
      headers: { origin: "http://evil.example", "access-control-request-method": "POST" },
    });
    expect(preflight.status).toBe(405);
    for (const r of [preflight, await fetch(`${admin.url}/api/v1/stats`, { headers: { origin: "http://evil.example" } })]) {
      expect([...r.headers.keys()].filter((k) => k.startsWith("access-control-"))).toEqual([]);
    }
  });
});

describe("state changes", () => {
  test("without a configured token they are refused with 403 and how to set one", async () => {
    using a = greetBackend("A\n");
    const { proxy, config } = await webProxy([a.address]);
    await using _ = proxy;
    await using admin = adminFor(proxy, config, { token: null });
    const r = await post(`${admin.url}/api/v1/listeners/web/backends/${a.address}/drain`, null);
    const body = (await r.json()) as { error: { code: string; message: string } };
    expect([r.status, body.error.code]).toEqual([403, "TOKEN_NOT_CONFIGURED"]);
    expect(body.error.message).toContain("WARREN_ADMIN_TOKEN");
    expect(body.error.message).toContain("[admin] token or tokenFile");
  });

  test("they need POST, the right bearer token and a JSON body: 405, 401, 415, 400 otherwise", async () => {
    using a = greetBackend("A\n");
    const { proxy, config } = await webProxy([a.address]);
    await using _ = proxy;
    await using admin = adminFor(proxy, config);
    const url = `${admin.url}/api/v1/listeners/web/backends/${a.address}/drain`;
    const codes = async (r: Promise<Response>) => {
      const res = await r;
      return [res.status, ((await res.json()) as { error: { code: string } }).error.code];
    };
    expect(await codes(fetch(url))).toEqual([405, "METHOD_NOT_ALLOWED"]);
    expect(await codes(post(url, null))).toEqual([401, "UNAUTHORIZED"]);
    expect(await codes(post(url, "wrong-token-0123456789abcdef"))).toEqual([401, "UNAUTHORIZED"]);
    expect(await codes(post(url, TEST_TOKEN.slice(0, -1)))).toEqual([401, "UNAUTHORIZED"]);
    expect(await codes(post(url, TEST_TOKEN, { type: "application/x-www-form-urlencoded", body: "a=1" }))).toEqual([
      415,
      "UNSUPPORTED_MEDIA_TYPE",
    ]);
    expect(await codes(post(url, TEST_TOKEN, { type: "text/plain" }))).toEqual([415, "UNSUPPORTED_MEDIA_TYPE"]);
    expect(await codes(post(url, TEST_TOKEN, { body: "{not json" }))).toEqual([400, "BAD_JSON"]);
    expect(proxy.stats().listeners[0]!.backends[0]!.adminState).toBe("ready"); // none of those changed anything
    const ok = await post(url);
    expect([ok.status, await ok.json()]).toEqual([200, { listener: "web", backend: a.address, action: "drain", adminState: "drain" }]);
  });

  test("drain sends a backend no new sessions while its live ones go on; enable brings it back; disable shows MAINT", async () => {
    using a = greetBackend("A\n");
    using b = greetBackend("B\n");
    const { proxy, config } = await webProxy([a.address, b.address]);
    await using _ = proxy;
    await using admin = adminFor(proxy, config);
    const live = await whoAnswers(proxy);
    const drained = live.name === "A" ? a : b;
    const other = live.name === "A" ? "B" : "A";

    expect((await post(`${admin.url}/api/v1/listeners/web/backends/${drained.address}/drain`)).status).toBe(200);
    const names: string[] = [];
    for (let i = 0; i < 6; i++) {
      const s = await whoAnswers(proxy);
      names.push(s.name);
      s.client.socket.end();
    }
    expect(names).toEqual(Array(6).fill(other));
    await live.client.send("still here");
    expect(live.client.events).not.toContain("close"); // the live session on the drained backend goes on
    let text = await (await fetch(`${admin.url}/metrics`)).text();
    expect(sampleOf(text, `warren_server_status{proxy="web",server="${drained.address}",state="DRAIN"}`)).toBe(1);

    expect((await post(`${admin.url}/api/v1/listeners/web/backends/${drained.address}/disable`)).status).toBe(200);
    text = await (await fetch(`${admin.url}/metrics`)).text();
    expect(sampleOf(text, `warren_server_status{proxy="web",server="${drained.address}",state="MAINT"}`)).toBe(1);
    expect(sampleOf(text, 'warren_backend_active_servers{proxy="web"}')).toBe(1);

    expect((await post(`${admin.url}/api/v1/listeners/web/backends/${drained.address}/enable`)).status).toBe(200);
    const back = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const s = await whoAnswers(proxy);
      back.add(s.name);
      s.client.socket.end();
    }
    expect([...back].sort()).toEqual(["A", "B"]);
    live.client.socket.end();
  });

  test("unknown listeners and backends are JSON 404s naming what exists", async () => {
    using a = greetBackend("A\n");
    const { proxy, config } = await webProxy([a.address]);
    await using _ = proxy;
    await using admin = adminFor(proxy, config);
    const r1 = await post(`${admin.url}/api/v1/listeners/nope/backends/${a.address}/drain`);
    expect([r1.status, await r1.json()]).toEqual([
      404,
      { error: { code: "NO_SUCH_LISTENER", message: 'no listener named "nope"; listeners: web' } },
    ]);
    const r2 = await post(`${admin.url}/api/v1/listeners/web/backends/10.9.9.9:1/drain`);
    expect([r2.status, await r2.json()]).toEqual([
      404,
      { error: { code: "NO_SUCH_BACKEND", message: `listener "web" has no backend "10.9.9.9:1"; backends: ${a.address}` } },
    ]);
  });

  test("a drained backend stays drained across a reload that keeps it; reload errors come back with key paths", async () => {
    using a = greetBackend("A\n");
    using b = greetBackend("B\n");
    const { proxy, config, file } = await webProxy([a.address, b.address]);
    await using _ = proxy;
    await using admin = adminFor(proxy, config, { configPath: file });
    expect((await post(`${admin.url}/api/v1/listeners/web/backends/${a.address}/drain`)).status).toBe(200);

    const reloaded = await post(`${admin.url}/api/v1/reload`);
    expect([reloaded.status, await reloaded.json()]).toEqual([200, { reloaded: true, listeners: ["web"] }]);
    expect(proxy.stats().listeners[0]!.backends.map((x) => [x.address, x.adminState])).toEqual([
      [a.address, "drain"],
      [b.address, "ready"],
    ]);

    writeFileSync(file, JSON.stringify({ listeners: [{ name: "web", listen: "127.0.0.1:0", backends: [a.address], balance: "fastest" }] }));
    const rejected = await post(`${admin.url}/api/v1/reload`);
    const body = (await rejected.json()) as { error: { code: string; errors: { path: string }[] } };
    expect([rejected.status, body.error.code, body.error.errors.map((e) => e.path)]).toEqual([
      422,
      "CONFIG_INVALID",
      ["listeners[0].balance"],
    ]);
    expect(proxy.stats().listeners[0]!.backends.length).toBe(2); // the running config stays
  });
});

describe("the event stream", () => {
  test("sends a stats snapshot at once and about every second after", async () => {
    using a = greetBackend("A\n");
    const { proxy, config } = await webProxy([a.address]);
    await using _ = proxy;
    await using admin = adminFor(proxy, config);
    const r = await fetch(`${admin.url}/api/v1/events`);
    expect(r.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const reader = r.body!.getReader();
    let text = "";
    const started = performance.now();
    await eventually(
      async () => {
        const { value } = await reader.read();
        text += new TextDecoder().decode(value);
        return (text.match(/event: stats/g) ?? []).length;
      },
      (n) => n >= 2,
      "two snapshots",
    );
    expect(performance.now() - started).toBeGreaterThan(500);
    const first = JSON.parse(/data: (.*)\n/.exec(text)![1]!) as {
      listeners: { name: string; backends: { address: string; state: string }[] }[];
    };
    expect(first.listeners.map((l) => [l.name, l.backends.map((x) => [x.address, x.state])])).toEqual([["web", [[a.address, "UP"]]]]);
    await reader.cancel();
  });
});

describe("a pooled listener", () => {
  test("the event stream and sessions show its pool (in use, idle, waiters) and its clients", async () => {
    // maxPerBackend 1 with one pin allowed: a BLPOP holds the connection, and the next client waits for it.
    await using redis = await startRedis();
    const config = parseConfig({
      log: { level: "silent" },
      listeners: [
        {
          name: "cache",
          listen: "127.0.0.1:0",
          backends: [redis.address],
          mode: "pool",
          pool: { maxPerBackend: 1, maxPinnedPerBackend: 1, framer: { kind: "resp" } },
        },
      ],
    });
    if (config instanceof ConfigErrors) throw config;
    await using proxy = await startProxy(config, { logger: new Logger("silent") });
    await using admin = adminFor(proxy, config);
    using holder = await RespClient.connect(portOf(proxy));
    const held = holder.command("BLPOP", `admin:${Date.now()}`, 1); // holds the only connection
    await waitFor(() => proxy.stats().listeners[0]!.pool!.pinnedClients === 1, "the BLPOP to hold the only connection");
    using waiter = await RespClient.connect(portOf(proxy));
    const waiting = waiter.command("PING");
    const snapshot = async () => {
      const r = await fetch(`${admin.url}/api/v1/events`);
      const reader = r.body!.getReader();
      let text = "";
      while (!text.includes("event: stats")) text += new TextDecoder().decode((await reader.read()).value);
      await reader.cancel();
      return JSON.parse(/data: (.*)\n/.exec(text)![1]!) as {
        listeners: { pool: { address: string; inUse: number; idle: number; waiters: number; waitMs: number | null }[] }[];
      };
    };
    const pool = await eventually(
      async () => (await snapshot()).listeners[0]!.pool,
      (p) => p[0]?.waiters === 1,
      "the second client to wait for the pooled connection",
    );
    expect(pool).toEqual([{ address: redis.address, inUse: 1, idle: 0, waiters: 1, waitMs: null }]);
    const list = (await (await fetch(`${admin.url}/api/v1/sessions?listener=cache&sort=age`)).json()) as {
      sessions: { mode: string; state: string }[];
    };
    expect(list.sessions.map((s) => [s.mode, s.state])).toEqual([
      ["pool", "open"],
      ["pool", "open"],
    ]);
    expect(await held).toBe(null);
    expect(await waiting).toBe("PONG");
  });
});

/**
 * The admin server of the warren command: where it listens, what happens when it cannot, and with
 * workers the supervisor's one admin server over all of them (aggregated metrics, actions forwarded).
 */
import { afterAll, afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { post, TEST_TOKEN } from "../helpers/admin.ts";
import { echoBackend, greetBackend } from "../helpers/backends.ts";
import { exitsWithin, freePort, killAll, runWarren, startWarren, type WarrenProcess } from "../helpers/cli.ts";
import { connectClient } from "../helpers/client.ts";
import { promtoolCheck, sampleOf } from "../helpers/metrics-http.ts";
import { eventually } from "../helpers/poll.ts";

setDefaultTimeout(30_000);
const dir = mkdtempSync(join(tmpdir(), "warren-admin-cli-"));
afterEach(killAll);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function configFile(text: string, top = ""): string {
  const path = join(dir, `c${++files}.toml`);
  writeFileSync(path, `${top}[log]\nformat = "json"\n${text}`);
  return path;
}

/** The admin server's URL from its "admin listening" line. */
async function adminUrl(warren: WarrenProcess): Promise<string> {
  return String((await warren.waitForLog("admin listening", { timeoutMs: 20_000 })).url);
}

async function session(port: number, read = 5): Promise<string> {
  const c = await connectClient(port);
  await c.send("ping\n");
  await c.waitFor(read, 5000);
  c.socket.end();
  await c.closed;
  return c.received().toString();
}

describe("one process", () => {
  test("the built-in default address taken (a second warren): a warning, and warren runs without an admin server", async () => {
    using backend = echoBackend();
    // Hold 127.0.0.1:9510 — or find it held already: either way it is taken, which is the point.
    let holder: { stop(closeActive?: boolean): void } | null = null;
    try {
      holder = Bun.listen({ hostname: "127.0.0.1", port: 9510, socket: { data() {} } });
    } catch {}
    try {
      await using warren = await startWarren(["--listen", "127.0.0.1:0", "--backend", backend.address, "--log-format", "json"], {
        admin: "as-configured",
      });
      expect(warren.lines.find((l) => l.msg.startsWith("admin server not started"))).toMatchObject({
        level: "warn",
        address: "127.0.0.1:9510",
      });
      expect(await session(warren.port())).toBe("ping\n");
    } finally {
      holder?.stop(true);
    }
  });

  test("a configured address that cannot be bound is a start failure, exit 1, as for a listener", async () => {
    using backend = echoBackend();
    using taken = echoBackend();
    const r = await runWarren(["--listen", "127.0.0.1:0", "--backend", backend.address, "--log-format", "json", "--admin", taken.address]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`"msg":"cannot start","error":"admin server: cannot listen on ${taken.address}: EADDRINUSE"`);
  });

  test("a non-loopback address without a token is a config error at admin.token (exit 2); --check says so too", async () => {
    const file = configFile(`[[listeners]]\nlisten = "127.0.0.1:0"\nbackends = ["127.0.0.1:9501"]\n[admin]\nlisten = "0.0.0.0:0"\n`);
    for (const extra of [[], ["--check"]]) {
      const r = await runWarren(["--config", file, ...extra], { admin: "as-configured" });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`${file}: admin.token: admin.listen 0.0.0.0:0 is reachable from other hosts`);
    }
  });

  test("SIGTERM: /readyz turns 503 while live sessions drain, /healthz stays 200, then exit 0", async () => {
    using backend = echoBackend();
    const file = configFile(`[[listeners]]\nlisten = "127.0.0.1:0"\nbackends = ["${backend.address}"]\n[admin]\nlisten = "127.0.0.1:0"\n`);
    await using warren = await startWarren(["--config", file], { admin: "as-configured" });
    const url = await adminUrl(warren);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const live = await connectClient(warren.port());
    await live.send("x");
    await live.waitFor(1);
    warren.signal("SIGTERM");
    const draining = await eventually(
      () => fetch(`${url}/readyz`),
      (r) => r.status === 503,
      "/readyz to say 503",
    );
    expect(await draining.json()).toEqual({ ready: false, reason: "draining: warren is shutting down" });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    live.socket.end();
    expect(await exitsWithin(warren, 5_000)).toBe(0);
  });
});

describe("with 2 workers, the supervisor owns the admin server", () => {
  async function twoWorkers(backends: string[]): Promise<{ warren: WarrenProcess; port: number; url: string }> {
    const port = freePort();
    const file = configFile(
      `[[listeners]]\nname = "app"\nlisten = "127.0.0.1:${port}"\nbackends = [${backends.map((b) => `"${b}"`).join(", ")}]\n[admin]\nlisten = "127.0.0.1:0"\ntoken = "${TEST_TOKEN}"\n`,
      "workers = 2\n",
    );
    const warren = await startWarren(["--config", file], { timeoutMs: 20_000, admin: "as-configured" });
    return { warren, port, url: await adminUrl(warren) };
  }

  test("aggregated metrics count exactly the sessions made; ?per_worker=1 labels each worker's share; stats give both; the event stream and reload go through the supervisor", async () => {
    using backend = echoBackend();
    const { warren, port, url } = await twoWorkers([backend.address]);
    await using _ = warren;
    const made = 60;
    for (let i = 0; i < made; i += 20) await Promise.all(Array.from({ length: 20 }, () => session(port)));

    const total = async () => sampleOf(await (await fetch(`${url}/metrics`)).text(), 'warren_frontend_sessions_total{proxy="app"}');
    expect(await eventually(total, (n) => n === made, `${made} sessions in the aggregated metrics`)).toBe(made);

    const text = await (await fetch(`${url}/metrics?per_worker=1`)).text();
    expect(promtoolCheck(text)).toEqual({ exitCode: 0, output: "" });
    const shares = [0, 1].map((w) => sampleOf(text, `warren_frontend_sessions_total{proxy="app",worker="${w}"}`)!);
    expect(shares[0]! + shares[1]!).toBe(made);
    expect(Math.min(...shares)).toBeGreaterThan(0);

    const stats = (await (await fetch(`${url}/api/v1/stats`)).json()) as {
      total: { sessionsTotal: number };
      perWorker: { worker: number; stats: { sessionsTotal: number } }[];
    };
    expect(stats.total.sessionsTotal).toBe(made);

    // The dashboard's stream is the group's total too, and a reload through the API reaches every worker.
    const events = await fetch(`${url}/api/v1/events`);
    const reader = events.body!.getReader();
    let stream = "";
    while (!stream.includes("event: stats")) stream += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    const snap = JSON.parse(/data: (.*)\n/.exec(stream)![1]!) as { listeners: { name: string; sessionsTotal: number }[] };
    expect(snap.listeners.map((l) => [l.name, l.sessionsTotal])).toEqual([["app", made]]);
    const reloaded = await post(`${url}/api/v1/reload`);
    expect([reloaded.status, await reloaded.json()]).toEqual([200, { reloaded: true, listeners: ["app"] }]);
    expect(await session(port)).toBe("ping\n");
    expect(stats.perWorker.map((w) => [w.worker, w.stats.sessionsTotal])).toEqual([
      [0, shares[0]!],
      [1, shares[1]!],
    ]);
  });

  test("drain reaches every worker, and a worker that restarts gets it again; sessions say which worker serves them", async () => {
    using a = greetBackend("A\n");
    using b = greetBackend("B\n");
    const { warren, port, url } = await twoWorkers([a.address, b.address]);
    await using _ = warren;
    const drained = await post(`${url}/api/v1/listeners/app/backends/${a.address}/drain`);
    expect([drained.status, await drained.json()]).toEqual([
      200,
      { listener: "app", backend: a.address, action: "drain", adminState: "drain" },
    ]);
    const answers = (await Promise.all(Array.from({ length: 20 }, () => session(port, 2)))).map((r) => r.slice(0, 2));
    expect(new Set(answers)).toEqual(new Set(["B\n"]));

    const workersSeeDrain = async () => {
      const s = (await (await fetch(`${url}/api/v1/stats`)).json()) as {
        perWorker: { stats: { listeners: { backends: { address: string; adminState: string }[] }[] } }[];
      };
      return s.perWorker.map((w) => w.stats.listeners[0]!.backends.find((x) => x.address === a.address)!.adminState);
    };
    expect(await workersSeeDrain()).toEqual(["drain", "drain"]);

    // A live session, listed with its worker.
    const live = await connectClient(port);
    await live.waitFor(2);
    const list = (await (await fetch(`${url}/api/v1/sessions?listener=app`)).json()) as { sessions: { worker: number; backend: string }[] };
    expect(list.sessions).toHaveLength(1);
    expect([0, 1]).toContain(list.sessions[0]!.worker);
    live.socket.end();

    const pid = warren.lines.find((l) => l.msg === "worker started" && l.worker === 0)!.pid as number;
    process.kill(pid, "SIGKILL");
    await warren.waitForLog((l) => l.msg === "worker restarted" && l.worker === 0, { timeoutMs: 10_000 });
    expect(
      await eventually(workersSeeDrain, (s) => s.length === 2 && s.every((x) => x === "drain"), "the restarted worker to drain too"),
    ).toEqual(["drain", "drain"]);
  });
});

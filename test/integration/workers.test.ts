/**
 * workers = N (src/workers): a supervisor and N worker processes that each serve every listener on the
 * same port (SO_REUSEPORT). Through the warren command, as an operator runs it: connections spread
 * over the workers, a killed worker is restarted while the others keep serving, limits stay the file's
 * totals (Redis never sees more pooled connections than maxPerBackend), stats add up, and SIGHUP and
 * SIGTERM go to the supervisor and reach every worker.
 */
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { echoBackend, greetBackend } from "../helpers/backends.ts";
import { exitsWithin, freePort, killAll, processRuns, startWarren, type WarrenProcess } from "../helpers/cli.ts";
import { connectClient } from "../helpers/client.ts";
import { eventually } from "../helpers/poll.ts";
import { RespClient, startRedis, type TestRedis } from "../helpers/redis.ts";

setDefaultTimeout(30_000);
const dir = mkdtempSync(join(tmpdir(), "warren-workers-"));
afterEach(killAll);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function configFile(text: string): string {
  const path = join(dir, `w${++files}.toml`);
  writeFileSync(path, `workers = 2\n[log]\nformat = "json"\n${text}`);
  return path;
}

async function twoWorkers(text: string): Promise<WarrenProcess> {
  const warren = await startWarren(["--config", configFile(text)], { timeoutMs: 20_000 });
  expect(warren.lines.find((l) => l.msg === "warren started")).toMatchObject({ workers: 2 });
  return warren;
}

/** The pids of the two workers, from their "worker started" / "worker restarted" lines (the latest of each). */
function workerPids(warren: WarrenProcess): number[] {
  const pids: number[] = [];
  for (const l of warren.lines)
    if ((l.msg === "worker started" || l.msg === "worker restarted") && typeof l.worker === "number") pids[l.worker] = l.pid as number;
  return pids;
}

async function echoOnce(port: number, text = "ping\n"): Promise<string> {
  const c = await connectClient(port);
  await c.send(text);
  await c.waitFor(text.length, 5000);
  c.socket.end();
  await c.closed;
  return c.received().toString();
}

test("1000 connections spread over both workers: each serves at least 30%, and the stats line adds them up", async () => {
  using backend = echoBackend();
  const port = freePort();
  await using warren = await twoWorkers(`[[listeners]]\nlisten = "127.0.0.1:${port}"\nbackends = ["${backend.address}"]\n`);
  for (let i = 0; i < 1000; i += 50) await Promise.all(Array.from({ length: 50 }, () => echoOnce(port)));
  const sessions = await eventually(
    () => warren.lines.filter((l) => l.msg === "session"),
    (s) => s.length === 1000,
    "1000 access-log lines",
    10_000,
  );
  const perWorker = [0, 1].map((w) => sessions.filter((l) => l.worker === w).length);
  expect(perWorker[0]! + perWorker[1]!).toBe(1000);
  expect(Math.min(...perWorker)).toBeGreaterThanOrEqual(300);

  const mark = warren.mark;
  warren.signal("SIGUSR2");
  const stats = await warren.waitForLog("stats", { from: mark });
  expect(stats).toMatchObject({
    sessionsTotal: 1000,
    workers: [
      { worker: 0, sessionsTotal: perWorker[0] },
      { worker: 1, sessionsTotal: perWorker[1] },
    ],
  });
});

test("kill -9 of a worker: its sessions end, new connections are served again within 1 s, and it is back after its backoff", async () => {
  using backend = echoBackend();
  const port = freePort();
  await using warren = await twoWorkers(`[[listeners]]\nlisten = "127.0.0.1:${port}"\nbackends = ["${backend.address}"]\n`);
  const [victim, survivor] = workerPids(warren);
  // Ten live sessions: the kernel spreads them, so some are the victim's (all on one worker: p = 2^-9).
  const live = await Promise.all(Array.from({ length: 10 }, () => connectClient(port)));
  for (const c of live) {
    await c.send("x");
    await c.waitFor(1);
  }
  const mark = warren.mark;
  const killedAt = performance.now();
  process.kill(victim!, "SIGKILL");
  // Its sessions end (the kernel closes its sockets); the other worker's carry on.
  await eventually(
    () => live.filter((c) => c.events.some((e) => e.startsWith("close"))).length,
    (n) => n > 0,
    "the victim's sessions to end",
  );
  const survivors = live.filter((c) => !c.events.some((e) => e.startsWith("close")));
  expect(survivors.length).toBeGreaterThan(0);
  for (const c of survivors) {
    await c.send("y");
    await c.waitFor(2);
  }
  // New connections: once the dead worker's listening socket has left the port's group (the kernel may
  // still hand it a connection or two right after the kill), every one is served.
  await eventually(
    async () => (await echoOnce(port).catch(() => "")) === "ping\n",
    (ok) => ok,
    "a new connection to be served",
    1000,
  );
  expect(performance.now() - killedAt).toBeLessThan(1000);
  for (let i = 0; i < 20; i++) expect(await echoOnce(port, `after ${i}\n`)).toBe(`after ${i}\n`);
  expect(await warren.waitForLog("worker exited; restarting", { from: mark })).toMatchObject({
    worker: 0,
    pid: victim,
    signal: "SIGKILL",
    restartInMs: 100,
  });
  const back = await warren.waitForLog("worker restarted", { from: mark, timeoutMs: 10_000 });
  expect(back).toMatchObject({ worker: 0, restarts: 1 });
  expect(back.pid).not.toBe(victim);
  expect(processRuns(survivor!)).toBe(true);
  for (const c of survivors) c.socket.end();
});

describe("pooled listener", () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis[Symbol.asyncDispose]();
  });

  test("maxPerBackend = 4 with 2 workers: Redis never sees more than 4 connections from warren", async () => {
    const port = freePort();
    await using warren = await twoWorkers(
      `[[listeners]]\nlisten = "127.0.0.1:${port}"\nbackends = ["${redis.address}"]\nmode = "pool"\n[listeners.pool]\nframer = { kind = "resp" }\nmaxPerBackend = 4\nminIdlePerBackend = 0\n`,
    );
    const fromWarren = async (): Promise<number> => {
      const list = String(await redis.admin("CLIENT", "LIST"));
      return list.split("\n").filter((l) => l.includes("cmd=") && !l.includes("cmd=client|list")).length;
    };
    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, await fromWarren());
        await Bun.sleep(5);
      }
    })();
    // 40 clients with blocking commands and plain ones: each worker's share (2) is all it may open.
    const clients = await Promise.all(Array.from({ length: 40 }, () => RespClient.connect(port)));
    await Promise.all(
      clients.map(async (c, i) => {
        for (let j = 0; j < 10; j++) expect(await c.command("SET", `w:${i}:${j}`, "v")).toBe("OK");
      }),
    );
    sampling = false;
    await sampler;
    for (const c of clients) c.close();
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(4);
  });
});

test("SIGHUP reloads every worker; an invalid file is rejected and both keep serving; SIGTERM drains both and exits 0", async () => {
  using one = greetBackend("one\n");
  using two = greetBackend("two\n");
  const port = freePort();
  const path = configFile(`[[listeners]]\nname = "a"\nlisten = "127.0.0.1:${port}"\nbackends = ["${one.address}"]\n`);
  await using warren = await startWarren(["--config", path], { timeoutMs: 20_000 });
  const greeting = async (): Promise<string> => {
    const c = await connectClient(port);
    await c.waitFor(4);
    c.socket.end();
    return c.received().toString();
  };
  expect(await greeting()).toBe("one\n");

  writeFileSync(
    path,
    `workers = 2\n[log]\nformat = "json"\n[[listeners]]\nname = "a"\nlisten = "127.0.0.1:${port}"\nbackends = ["${two.address}"]\n`,
  );
  let mark = warren.mark;
  warren.signal("SIGHUP");
  await warren.waitForLog("reloaded", { from: mark });
  // Twenty sessions, spread over both workers, all on the new backend.
  for (let i = 0; i < 20; i++) expect(await greeting()).toBe("two\n");

  writeFileSync(path, `workers = 2\n[[listeners]]\nname = "a"\nlisten = "127.0.0.1:${port}"\nbackends = ["not an address"]\n`);
  mark = warren.mark;
  warren.signal("SIGHUP");
  expect(await warren.waitForLog("reload rejected: config invalid, keeping the running config", { from: mark })).toMatchObject({
    errors: [expect.stringContaining("listeners[0].backends[0]")],
  });
  for (let i = 0; i < 10; i++) expect(await greeting()).toBe("two\n");

  const pids = workerPids(warren);
  warren.signal("SIGTERM");
  expect(await exitsWithin(warren, 10_000)).toBe(0);
  expect(warren.lines.at(-1)).toMatchObject({ msg: "stopped" });
  for (const pid of pids) expect(processRuns(pid)).toBe(false);
  await expect(connectClient(port)).rejects.toMatchObject({ code: "ECONNREFUSED" });
});

test("the supervisor killed outright: its workers see the channel close, drain and exit", async () => {
  using backend = echoBackend();
  const port = freePort();
  const warren = await twoWorkers(`[[listeners]]\nlisten = "127.0.0.1:${port}"\nbackends = ["${backend.address}"]\n`);
  const pids = workerPids(warren);
  await warren.stop(); // SIGKILL to the supervisor
  for (const pid of pids)
    await eventually(
      () => processRuns(pid),
      (runs) => !runs,
      `worker ${pid} to exit`,
      10_000,
    );
  await expect(connectClient(port)).rejects.toMatchObject({ code: "ECONNREFUSED" });
});

/**
 * Active health against real sockets on 127.0.0.1: every kind of probe and
 * failure, and a checker watching a backend that dies and comes back on the
 * same port. Pass conditions poll state with deadlines; no fixed sleeps.
 */
import { describe, expect, test } from "bun:test";
import type { Socket, TCPSocketListener } from "bun";
import { Backend } from "../../src/balance/backend.ts";
import { HealthChecker } from "../../src/health/checker.ts";
import type { ActiveHealthConfig } from "../../src/config/schema.ts";
import { probe } from "../../src/health/probe.ts";
import { closedPort, echoBackend, greetBackend, sinkBackend } from "../helpers/backends.ts";
import { blackholeBackend } from "../helpers/blackhole.ts";
import { openFds, waitFor } from "../helpers/proxy.ts";
import { recordingLogger } from "../unit/health/helpers.ts";
import { DEFAULTS } from "../../src/defaults.ts";

const HOST = "127.0.0.1";
const TCP: ActiveHealthConfig = { ...DEFAULTS.health.active, enabled: true, timeoutMs: 1000 };
const PING: ActiveHealthConfig = { ...TCP, send: "PING\r\n", expect: "+PONG" };

/**
 * lineServer answers each chunk with `reply(chunk)`: a string is written, null
 * closes the connection, and a list is played out one item every 20 ms (to
 * split a reply across packets or close halfway). `delayMs` delays the answer.
 */
interface LineServer extends Disposable {
  readonly port: number;
  /** Connections open right now, and the most ever open at once. */
  readonly open: number;
  readonly maxOpen: number;
  /** performance.now() of each accepted connection. */
  readonly acceptedAt: number[];
  stop(): void;
}

type Answer = string | null | readonly (string | null)[];

function lineServer(reply: (chunk: string) => Answer, port = 0, delayMs = 0): LineServer {
  let open = 0;
  let maxOpen = 0;
  const acceptedAt: number[] = [];
  const sockets = new Set<Socket<undefined>>();
  const play = (s: Socket<undefined>, steps: readonly (string | null)[], i: number): void => {
    const step = steps[i];
    if (step === undefined || !sockets.has(s)) return;
    if (step === null) s.end();
    else s.write(step);
    setTimeout(play, 20, s, steps, i + 1);
  };
  const answer = (s: Socket<undefined>, text: string): void => {
    const r = reply(text);
    play(s, typeof r === "string" || r === null ? [r] : r, 0);
  };
  const listener: TCPSocketListener<undefined> = Bun.listen<undefined>({
    hostname: HOST,
    port,
    socket: {
      open(s) {
        sockets.add(s);
        acceptedAt.push(performance.now());
        maxOpen = Math.max(maxOpen, ++open);
      },
      data(s, chunk) {
        const text = chunk.toString("latin1");
        if (delayMs === 0) answer(s, text);
        else setTimeout(() => answer(s, text), delayMs);
      },
      close(s) {
        sockets.delete(s);
        open--;
      },
    },
  });
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    listener.stop(true);
    for (const s of sockets) s.terminate();
  };
  return {
    port: listener.port,
    get open() {
      return open;
    },
    get maxOpen() {
      return maxOpen;
    },
    acceptedAt,
    stop,
    [Symbol.dispose]: stop,
  };
}

const pong = (text: string): string | null => (text === "PING\r\n" ? "+PONG\r\n" : "-ERR unknown command\r\n");

describe("probe", () => {
  test("tcp: passes once connected, and closes its connection", async () => {
    using backend = echoBackend();
    const result = await probe({ host: HOST, port: backend.port }, TCP);
    expect(result).toEqual({ ok: true, ms: expect.any(Number) });
    expect(backend.accepted).toBe(1);
    await waitFor(() => backend.open === 0, "probe connection closed");
  });

  test("send/expect: passes when the reply starts with the expected bytes", async () => {
    using backend = lineServer(pong);
    expect(await probe({ host: HOST, port: backend.port }, PING)).toEqual({ ok: true, ms: expect.any(Number) });
    await waitFor(() => backend.open === 0, "probe connection closed");
  });

  test("send/expect: fails on another reply, quoting it with CR/LF visible", async () => {
    using backend = lineServer(() => "-ERR\r\n");
    expect(await probe({ host: HOST, port: backend.port }, PING)).toEqual({
      ok: false,
      reason: 'reply did not match: expected prefix "+PONG", got "-ERR\\r\\n"',
    });
    await waitFor(() => backend.open === 0, "probe connection closed");
  });

  test("send/expect: a reply split across packets is put together", async () => {
    using backend = lineServer(() => ["+PO", "NG\r\n"]);
    expect(await probe({ host: HOST, port: backend.port }, PING)).toEqual({ ok: true, ms: expect.any(Number) });
  });

  test("send/expect: a reply cut short by the backend's close", async () => {
    using backend = lineServer(() => ["+PO", null]);
    expect(await probe({ host: HOST, port: backend.port }, PING)).toEqual({
      ok: false,
      reason: 'closed after partial reply "+PO"',
    });
  });

  test("send/expect: a backend that closes without answering", async () => {
    using backend = lineServer(() => null);
    expect(await probe({ host: HOST, port: backend.port }, PING)).toEqual({ ok: false, reason: "closed before reply" });
  });

  test("expect without send: checks the greeting a server sends on connect", async () => {
    using backend = greetBackend("220 ready\r\n");
    const port = backend.port;
    expect(await probe({ host: HOST, port }, { ...TCP, expect: "220 " })).toEqual({ ok: true, ms: expect.any(Number) });
    expect(await probe({ host: HOST, port }, { ...TCP, expect: "+OK" })).toEqual({
      ok: false,
      reason: 'reply did not match: expected prefix "+OK", got "220 ready\\r\\n"',
    });
  });

  test("a refused port fails at once", async () => {
    const started = performance.now();
    expect(await probe({ host: HOST, port: closedPort() }, TCP)).toEqual({
      ok: false,
      reason: "connect refused (ECONNREFUSED)",
    });
    expect(performance.now() - started).toBeLessThan(500);
  });

  test("a backend that accepts but never answers times out, and the connection is closed", async () => {
    using backend = sinkBackend();
    const started = performance.now();
    expect(await probe({ host: HOST, port: backend.port }, { ...PING, timeoutMs: 150 })).toEqual({
      ok: false,
      reason: "timeout after 150 ms (waiting for reply)",
    });
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
    await waitFor(() => backend.open === 0, "probe connection closed");
  });

  test("a connect that hangs times out, and the socket that opens late is closed", async () => {
    await using blackhole = await blackholeBackend();
    const fdsBefore = openFds();
    const started = performance.now();
    expect(await probe({ host: HOST, port: blackhole.port }, { ...TCP, timeoutMs: 200 })).toEqual({
      ok: false,
      reason: "timeout after 200 ms (connecting)",
    });
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(195);
    expect(elapsed).toBeLessThan(900);
    // Let the hung connect complete (on the SYN retransmit): the probe terminates it on open.
    blackhole.release();
    await waitFor(() => openFds() <= fdsBefore, "late-opened probe socket closed", 4000);
  });
});

describe("HealthChecker", () => {
  const FAST: ActiveHealthConfig = { ...PING, intervalMs: 50, timeoutMs: 200, rise: 2, fall: 2 };

  test("a backend killed and restarted on the same port goes down after `fall` failures and up after `rise` passes", async () => {
    const log = recordingLogger();
    let server = lineServer(pong);
    const port = server.port;
    const b = new Backend({ host: HOST, port });
    using checker = new HealthChecker([b], FAST, log, { listener: "redis" });
    checker.start();
    try {
      await waitFor(() => b.checkSuccesses >= 2, "two passing probes");
      expect(b.healthy).toBe(true);
      expect(b.lastCheckReason).toBe("ok");
      expect(log.lines).toEqual([]);

      server.stop();
      await waitFor(() => !b.healthy, "backend marked down");
      expect(b.checkFailures).toBe(2);
      expect(b.downReason).toBe("connect refused (ECONNREFUSED)");

      server = lineServer(pong, port); // same port, new process-side listener
      await waitFor(() => b.healthy, "backend marked up");
      expect(b.checkSuccesses).toBe(2);
    } finally {
      server.stop();
    }
    expect(log.lines).toEqual([
      {
        level: "warn",
        msg: "backend down",
        listener: "redis",
        backend: `${HOST}:${port}`,
        reason: "connect refused (ECONNREFUSED)",
        source: "active",
        consecutive: 2,
      },
      { level: "warn", msg: "no healthy backend in group", listener: "redis", backends: 1 },
      {
        level: "info",
        msg: "backend up",
        listener: "redis",
        backend: `${HOST}:${port}`,
        reason: "check passed",
        source: "active",
        consecutive: 2,
        ms: expect.any(Number),
        downForMs: expect.any(Number),
      },
      { level: "info", msg: "group recovered", listener: "redis", healthy: 1, backends: 1 },
    ]);
  });

  test("one backend down of two: logged, but the group is not 'all down'", async () => {
    const log = recordingLogger();
    using good = lineServer(pong);
    using bad = lineServer(() => "-ERR\r\n");
    const [g, b] = [new Backend({ host: HOST, port: good.port }), new Backend({ host: HOST, port: bad.port })];
    using checker = new HealthChecker([g, b], FAST, log, { listener: "redis" });
    checker.start();
    await waitFor(() => !b.healthy && g.checksTotal >= 3, "bad backend down");
    expect(g.healthy).toBe(true);
    expect(log.lines).toEqual([
      expect.objectContaining({
        msg: "backend down",
        backend: b.key,
        reason: 'reply did not match: expected prefix "+PONG", got "-ERR\\r\\n"',
      }),
    ]);
  });

  test("probes of one backend never overlap, even when a probe outlasts the interval", async () => {
    using slow = lineServer(pong, 0, 120);
    const b = new Backend({ host: HOST, port: slow.port });
    using checker = new HealthChecker([b], { ...FAST, timeoutMs: 1000 }, recordingLogger(), { listener: "t" });
    checker.start();
    await waitFor(() => b.checksTotal >= 3, "three probes");
    expect(slow.maxOpen).toBe(1);
    expect(b.healthy).toBe(true);
  });

  test("a group's first probes are spread over one interval", async () => {
    const servers = [lineServer(pong), lineServer(pong), lineServer(pong), lineServer(pong)];
    try {
      const backends = servers.map((s) => new Backend({ host: HOST, port: s.port }));
      using checker = new HealthChecker(backends, { ...FAST, intervalMs: 400 }, recordingLogger(), { listener: "t" });
      checker.start();
      await waitFor(() => backends.every((b) => b.checksTotal >= 1), "first probe of each");
      const firsts = servers.map((s) => s.acceptedAt[0]!);
      // Offsets are 0, 100, 200 and 300 ms; timers only fire late, so allow some bunching.
      expect(Math.max(...firsts) - Math.min(...firsts)).toBeGreaterThanOrEqual(200);
    } finally {
      for (const s of servers) s.stop();
    }
  });

  test("update keeps the state of kept backends, starts new ones healthy, and stops probing removed ones", async () => {
    const log = recordingLogger();
    using good = lineServer(pong);
    const down = new Backend({ host: HOST, port: closedPort() });
    using checker = new HealthChecker([down], FAST, log, { listener: "t" });
    checker.start();
    await waitFor(() => !down.healthy, "down backend marked down");

    const added = new Backend({ host: HOST, port: good.port });
    checker.update([down, added], { ...FAST, rise: 3 });
    expect(down.healthy).toBe(false); // kept: still down, no restart from optimistic
    expect(down.activeDown).toBe(true);
    expect(added.healthy).toBe(true);
    expect(added.activeChecks).toBe(true);
    await waitFor(() => added.checksTotal >= 2, "new backend probed");

    checker.update([added], FAST);
    expect(down.activeChecks).toBe(false);
    const probesOfRemoved = down.checksTotal;
    await waitFor(() => added.checksTotal >= 5, "more probes of the kept backend");
    expect(down.checksTotal).toBe(probesOfRemoved);
    // Removed from the group: released quietly.
    expect(log.lines.filter((l) => l.msg === "backend up")).toEqual([]);
  });

  test("turning active checks off on reload brings a backend only the checker held down back, with a line", async () => {
    const log = recordingLogger();
    const down = new Backend({ host: HOST, port: closedPort() });
    using checker = new HealthChecker([down], FAST, log, { listener: "t" });
    checker.start();
    await waitFor(() => !down.healthy, "marked down");
    checker.update([down], { ...FAST, enabled: false });
    expect(checker.running).toBe(false);
    expect(down.healthy).toBe(true);
    expect(down.activeChecks).toBe(false);
    expect(log.lines.slice(-2)).toEqual([
      {
        level: "info",
        msg: "backend up",
        listener: "t",
        backend: down.key,
        reason: "active checks turned off",
        source: "active",
      },
      { level: "info", msg: "group recovered", listener: "t", healthy: 1, backends: 1 },
    ]);
  });

  test("a checker whose config has active checks off never probes", async () => {
    using backend = echoBackend();
    const b = new Backend({ host: HOST, port: backend.port });
    using checker = new HealthChecker([b], { ...FAST, enabled: false }, recordingLogger(), { listener: "t" });
    checker.start();
    expect(checker.running).toBe(false);
    expect(b.activeChecks).toBe(false);
  });

  test("stop() cancels the schedule and releases the backends quietly", async () => {
    const log = recordingLogger();
    using good = lineServer(pong);
    const down = new Backend({ host: HOST, port: closedPort() });
    const up = new Backend({ host: HOST, port: good.port });
    const checker = new HealthChecker([down, up], FAST, log, { listener: "t" });
    checker.start();
    await waitFor(() => !down.healthy && up.checksTotal >= 1, "first verdicts");
    checker.stop();
    const probesAtStop = up.checksTotal;
    expect(checker.running).toBe(false);
    expect([down.healthy, down.activeChecks, up.activeChecks]).toEqual([true, false, false]);
    expect(log.lines.map((l) => l.msg)).toEqual(["backend down"]);
    // A probe in flight at stop() may still connect, but its result is dropped; nothing new starts.
    // (Proving an absence takes a wait: four intervals.)
    const seen = good.acceptedAt.length;
    await Bun.sleep(FAST.intervalMs * 4);
    expect(good.acceptedAt.length).toBeLessThanOrEqual(seen + 1);
    expect(up.checksTotal).toBe(probesAtStop);
  });
});

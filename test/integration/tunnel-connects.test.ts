/**
 * Tunnel connects that warren gives up on (timed out, or the client left)
 * release their socket at once instead of sitting in SYN_SENT until the kernel
 * gives up (~130 s), and maxConnectingPerBackend bounds how many are in flight
 * to one backend. Counted through the kernel's own view (ss), this process's
 * open descriptors and the backends' `connecting` stat.
 */
import { describe, expect, test } from "bun:test";
import type { ProxyServer } from "../../src/index.ts";
import { closedPort, echoBackend } from "../helpers/backends.ts";
import { blackholeBackend, synSentFrom } from "../helpers/blackhole.ts";
import { connectClient, type TestClient } from "../helpers/client.ts";
import { openFds, portOf, proxyTo, waitFor } from "../helpers/proxy.ts";

/** Passive health off, so a black-holed backend stays in rotation and every test client meets it. */
const KEEP_IN_ROTATION = { health: { passive: { failures: 0 } } };

/**
 * baselineFds counts this process's descriptors once everything opened lazily
 * is open: Bun.spawnSync (which runs ss) keeps an epoll and an eventfd from its
 * first use on.
 */
function baselineFds(port: number): number {
  synSentFrom(port);
  return openFds();
}

/** Each backend's connects in flight, as the proxy reports them. */
function connecting(proxy: ProxyServer): number[] {
  return proxy.stats().listeners[0]!.backends.map((b) => b.connecting);
}

/** One echo session through the proxy, so lazily opened descriptors are in the baseline. */
async function warmUp(proxy: ProxyServer): Promise<void> {
  const c = await connectClient(portOf(proxy));
  await c.send("w");
  await c.waitFor(1);
  c.socket.end();
  await waitFor(() => proxy.sessionCount === 0, "the warm-up session to end");
}

describe("tunnel connects", () => {
  test("a connect that times out leaves SYN_SENT within 1 s of connectTimeoutMs; fds return to baseline", async () => {
    await using hole = await blackholeBackend();
    await using proxy = await proxyTo([hole.address], { connectTimeoutMs: 200, ...KEEP_IN_ROTATION });
    const baseline = baselineFds(hole.port);
    const clients = await Promise.all(Array.from({ length: 20 }, () => connectClient(portOf(proxy))));
    await waitFor(() => synSentFrom(hole.port) === 20, "20 connects in SYN_SENT");
    // The proxy closes each client when its connect times out; by then the connect must be closed too.
    await Promise.all(clients.map((c) => c.closed));
    await waitFor(() => synSentFrom(hole.port) === 0, "SYN_SENT to clear after the timeouts", 1000);
    expect(proxy.stats().errors).toEqual({ CONNECT_TIMEOUT: 20 });
    expect(connecting(proxy)).toEqual([0]);
    await waitFor(() => openFds() <= baseline, `fds back to baseline ${baseline} (now ${openFds()})`);
  });

  test("a client that leaves while its connect is pending closes that connect at once, long before the timeout", async () => {
    await using hole = await blackholeBackend();
    await using proxy = await proxyTo([hole.address], { connectTimeoutMs: 60_000 });
    const client = await connectClient(portOf(proxy));
    await waitFor(() => synSentFrom(hole.port) === 1, "the connect in SYN_SENT");
    client.socket.terminate(); // a reset: the session ends at once
    await waitFor(() => proxy.sessionCount === 0, "the session to end");
    await waitFor(() => synSentFrom(hole.port) === 0, "SYN_SENT to clear", 1000);
    expect(proxy.stats().errors).toEqual({ ECONNRESET: 1 });
    expect(connecting(proxy)).toEqual([0]);
  });

  test("one black-holed backend beside a healthy one: 300 clients are all served after retry; SYN_SENT and fds return to baseline", async () => {
    await using hole = await blackholeBackend();
    using good = echoBackend();
    await using proxy = await proxyTo([hole.address, good.address], { connectTimeoutMs: 200, ...KEEP_IN_ROTATION });
    await warmUp(proxy);
    const baseline = baselineFds(hole.port);
    const one = async (i: number): Promise<string> => {
      const c = await connectClient(portOf(proxy));
      const message = `client ${i}`;
      await c.send(message);
      await c.waitFor(message.length, 5000);
      c.socket.end();
      return c.received().toString();
    };
    // 300 clients over ~3 s (10 every 100 ms); the ones sent to the black hole wait 200 ms, then retry.
    const served: Promise<string>[] = [];
    for (let i = 0; i < 300; i++) {
      served.push(one(i));
      if (i % 10 === 9) await Bun.sleep(100);
    }
    const answers = await Promise.all(served);
    expect(answers).toEqual(answers.map((_, i) => `client ${i}`));
    await waitFor(() => proxy.sessionCount === 0, "every session to end");
    const stats = proxy.stats().listeners[0]!;
    expect(stats.retries).toBeGreaterThanOrEqual(100); // round-robin sends about half to the black hole first
    expect(stats.errors).toEqual({});
    await waitFor(() => synSentFrom(hole.port) === 0, "SYN_SENT to clear", 1000);
    expect(connecting(proxy)).toEqual([0, 0]);
    await waitFor(() => openFds() <= baseline, `fds back to baseline ${baseline} (now ${openFds()})`);
  }, 30_000);

  test("a refused, a timed-out and an opened connect each release their count: every client is served, connecting ends at 0", async () => {
    await using hole = await blackholeBackend();
    using good = echoBackend();
    const refused = `127.0.0.1:${closedPort()}`;
    // Three attempts over three backends: each client meets the refused port and the black hole in some order, then the echo.
    await using proxy = await proxyTo([refused, hole.address, good.address], { connectTimeoutMs: 200, ...KEEP_IN_ROTATION });
    let peak = [0, 0, 0];
    const one = async (i: number): Promise<string> => {
      const c = await connectClient(portOf(proxy));
      await c.send(`c${i}`);
      while (c.receivedBytes < `c${i}`.length) {
        peak = connecting(proxy).map((n, j) => Math.max(n, peak[j]!));
        await Bun.sleep(5);
      }
      c.socket.end();
      return c.received().toString();
    };
    expect(await Promise.all([0, 1, 2, 3, 4, 5].map(one))).toEqual(["c0", "c1", "c2", "c3", "c4", "c5"]);
    await waitFor(() => proxy.sessionCount === 0, "every session to end");
    expect(peak[1]).toBeGreaterThanOrEqual(1); // the black hole held connects in flight meanwhile
    expect(connecting(proxy)).toEqual([0, 0, 0]);
    const backends = proxy.stats().listeners[0]!.backends;
    expect(backends.map((b) => b.active)).toEqual([0, 0, 0]);
    expect(backends[0]!.connectFailures).toBeGreaterThanOrEqual(1);
    expect(backends[1]!.connectFailures).toBeGreaterThanOrEqual(1);
  });
});

describe("maxConnectingPerBackend", () => {
  test("with a black-holed backend alone and a limit of 5, at most 5 connects are ever in SYN_SENT while 20 clients wait their turn", async () => {
    await using hole = await blackholeBackend();
    await using proxy = await proxyTo([hole.address], { connectTimeoutMs: 200, maxConnectingPerBackend: 5, ...KEEP_IN_ROTATION });
    const clients = await Promise.all(Array.from({ length: 20 }, () => connectClient(portOf(proxy))));
    let left = clients.length;
    for (const c of clients) void c.closed.then(() => left--);
    let peakSynSent = 0;
    let peakConnecting = 0;
    let peakQueued = 0;
    while (left > 0) {
      peakSynSent = Math.max(peakSynSent, synSentFrom(hole.port));
      const l = proxy.stats().listeners[0]!;
      peakConnecting = Math.max(peakConnecting, l.backends[0]!.connecting);
      peakQueued = Math.max(peakQueued, l.queued);
      await Bun.sleep(5);
    }
    expect(peakSynSent).toBe(5); // reached, never passed
    expect(peakConnecting).toBe(5);
    expect(peakQueued).toBeGreaterThanOrEqual(10); // the rest waited in the queue, not refused
    // Each client had its own turn at the backend: 20 connect timeouts, no queue timeout or refusal.
    expect(proxy.stats().errors).toEqual({ CONNECT_TIMEOUT: 20 });
    await waitFor(() => synSentFrom(hole.port) === 0, "SYN_SENT to clear", 1000);
    expect(connecting(proxy)).toEqual([0]);
  }, 15_000);

  test("a backend with the limit's connects in flight is skipped: new clients go to the other backend at once", async () => {
    await using hole = await blackholeBackend();
    using good = echoBackend();
    await using proxy = await proxyTo([hole.address, good.address], {
      connectTimeoutMs: 30_000,
      maxConnectingPerBackend: 3,
      ...KEEP_IN_ROTATION,
    });
    const clients: TestClient[] = [];
    for (let i = 0; i < 10; i++) {
      const c = await connectClient(portOf(proxy));
      await c.send(`c${i}`);
      clients.push(c);
      await waitFor(() => proxy.stats().sessionsTotal === i + 1, "the proxy to take the client");
    }
    await waitFor(() => clients.filter((c) => c.receivedBytes === 2).length === 7, "7 clients served by the echo backend");
    expect(connecting(proxy)).toEqual([3, 0]);
    expect(synSentFrom(hole.port)).toBe(3);
    expect(proxy.stats().listeners[0]!.backends.map((b) => b.sessionsTotal)).toEqual([3, 7]);
    for (const c of clients) c.socket.terminate();
    await waitFor(() => proxy.sessionCount === 0, "every session to end");
    await waitFor(() => synSentFrom(hole.port) === 0, "SYN_SENT to clear", 1000);
    expect(connecting(proxy)).toEqual([0, 0]);
  });
});

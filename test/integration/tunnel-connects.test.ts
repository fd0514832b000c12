/**
 * Tunnel connects that warren gives up on (timed out, or the client left)
 * release their socket at once instead of sitting in SYN_SENT until the kernel
 * gives up (~130 s). Counted through the kernel's own view (ss) and this
 * process's open descriptors.
 */
import { describe, expect, test } from "bun:test";
import type { ProxyServer } from "../../src/index.ts";
import { echoBackend } from "../helpers/backends.ts";
import { blackholeBackend, synSentFrom } from "../helpers/blackhole.ts";
import { connectClient } from "../helpers/client.ts";
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
    await waitFor(() => openFds() <= baseline, `fds back to baseline ${baseline} (now ${openFds()})`);
  }, 30_000);
});

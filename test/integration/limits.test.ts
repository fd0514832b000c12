/** Connection limits and leak-freedom under many short sessions. */
import { describe, expect, test } from "bun:test";
import { echoBackend } from "../helpers/backends.ts";
import { connectClient } from "../helpers/client.ts";
import { memoryLogger, openFds, portOf, proxyTo, waitFor } from "../helpers/proxy.ts";

describe("limits", () => {
  test("beyond maxConnections new clients are closed at once and counted", async () => {
    using backend = echoBackend();
    await using proxy = await proxyTo([backend.address], { maxConnections: 3 });
    const live = await Promise.all([1, 2, 3].map(() => connectClient(portOf(proxy))));
    for (const c of live) {
      await c.send("hi");
      await c.waitFor(2);
    }
    const extra = await connectClient(portOf(proxy));
    await extra.closed;
    expect(extra.receivedBytes).toBe(0);
    expect(proxy.stats().listeners[0]!.rejected.maxConnections).toBe(1);
    expect(backend.accepted).toBe(3);

    live[0]!.socket.end();
    await waitFor(() => proxy.sessionCount === 2, "a slot to free up");
    const again = await connectClient(portOf(proxy));
    await again.send("ok");
    await again.waitFor(2);
    for (const c of [...live.slice(1), again]) c.socket.end();
  });

  test("refused clients are counted per reason and logged at most once per reason per second", async () => {
    using backend = echoBackend();
    const log = memoryLogger();
    await using proxy = await proxyTo([backend.address], { deny: ["127.0.0.0/8"] }, log);
    const refused = await Promise.all(Array.from({ length: 20 }, () => connectClient(portOf(proxy))));
    for (const c of refused) expect(await c.closed).toBeNull();
    expect(proxy.stats().listeners[0]!.rejected.denied).toBe(20);
    const lines = () => log.lines.filter((l) => l.reason === "denied");
    // The first line at once; the other 19 in one line once the second is over (the sweep writes it).
    expect(lines()[0]).toMatchObject({ level: "warn", msg: "client refused", client: "127.0.0.1", suppressed: 0 });
    await waitFor(() => lines().length === 2, "the suppressed count to be logged", 5000);
    expect(lines()[1]).toMatchObject({ suppressed: 19 });
    expect(backend.accepted).toBe(0);
  });

  test("2000 short connections leave no session and no file descriptor behind", async () => {
    using backend = echoBackend();
    await using proxy = await proxyTo([backend.address]);
    // Warm up once so lazily opened descriptors (e.g. epoll) are in the baseline.
    const warm = await connectClient(portOf(proxy));
    await warm.send("w");
    await warm.waitFor(1);
    warm.socket.end();
    await waitFor(() => proxy.sessionCount === 0 && backend.open === 0, "warm-up to end");
    const baseline = openFds();

    const one = async (i: number): Promise<void> => {
      const c = await connectClient(portOf(proxy), { allowHalfOpen: i % 2 === 0 });
      await c.send(`message ${i}`);
      await c.waitFor(`message ${i}`.length);
      if (i % 3 === 0) c.socket.terminate();
      else c.socket.end();
    };
    for (let batch = 0; batch < 20; batch++) {
      await Promise.all(Array.from({ length: 100 }, (_, j) => one(batch * 100 + j)));
    }
    await waitFor(() => proxy.sessionCount === 0 && backend.open === 0, "every session to end", 10_000);
    await waitFor(() => openFds() <= baseline, `fds back to baseline ${baseline} (now ${openFds()})`, 5_000);
    const stats = proxy.stats();
    expect(stats.sessionsTotal).toBe(2001);
    expect(stats.listeners[0]!.backends[0]!.active).toBe(0);
  }, 60_000);
});

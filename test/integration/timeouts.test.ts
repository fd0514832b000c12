/** Connect, idle and lifetime limits, enforced by the coarse sweep. */
import { describe, expect, test } from "bun:test";
import { blackholeBackend } from "../helpers/blackhole.ts";
import { echoBackend } from "../helpers/backends.ts";
import { connectClient } from "../helpers/client.ts";
import { portOf, proxyTo, waitFor } from "../helpers/proxy.ts";

describe("timeouts", () => {
  test("connect timeout: a backend that never answers the SYN closes the client after connectTimeoutMs", async () => {
    await using backend = await blackholeBackend();
    await using proxy = await proxyTo([backend.address], { connectTimeoutMs: 300 });
    const started = performance.now();
    const client = await connectClient(portOf(proxy));
    await client.send("waiting");
    await client.closed;
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1500);
    await waitFor(() => proxy.sessionCount === 0, "session end");
    expect(proxy.stats().errors).toEqual({ CONNECT_TIMEOUT: 1 });
    expect(proxy.stats().listeners[0]!.backends[0]!.connectFailures).toBe(1);
  });

  test("idle timeout: a session where nothing moves is closed; one with traffic is not", async () => {
    using backend = echoBackend();
    // 500 ms leaves room for event-loop stalls on a loaded CI machine: the busy client's
    // 50 ms cadence must never look like a 500 ms silence.
    await using proxy = await proxyTo([backend.address], { idleTimeoutMs: 500 });
    const idle = await connectClient(portOf(proxy));
    const busy = await connectClient(portOf(proxy));
    await idle.send("x");
    await idle.waitFor(1);
    const idleStarted = performance.now();
    // Keep `busy` moving every 50 ms for 1100 ms: more than two idle periods long.
    for (let i = 0; i < 22; i++) {
      await busy.send("y");
      await Bun.sleep(50);
    }
    await idle.closed;
    const idleFor = performance.now() - idleStarted;
    expect(idleFor).toBeGreaterThanOrEqual(490);
    expect(busy.events).toEqual([]);
    await busy.waitFor(22);
    busy.socket.end();
    await waitFor(() => proxy.sessionCount === 0, "sessions to end");
    expect(proxy.stats().listeners[0]!.ends).toEqual({ IDLE_TIMEOUT: 1, ok: 1 });
  });

  test("max lifetime ends a session however busy it is", async () => {
    using backend = echoBackend();
    await using proxy = await proxyTo([backend.address], { maxLifetimeMs: 300 });
    const client = await connectClient(portOf(proxy));
    const started = performance.now();
    while (client.events.length === 0 && performance.now() - started < 3000) {
      await client.send("z");
      await Bun.sleep(20);
    }
    await client.closed;
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    await waitFor(() => proxy.sessionCount === 0, "session end");
    expect(proxy.stats().errors).toEqual({ LIFETIME_EXCEEDED: 1 });
  });
});

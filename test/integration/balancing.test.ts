/** Backend groups through the running proxy: algorithms, retries, queueing, limits, access lists. */
import { describe, expect, test } from "bun:test";
import { blackholeBackend } from "../helpers/blackhole.ts";
import { closedPort, echoBackend, greetBackend, replyAfterEndBackend, resetAfterBackend } from "../helpers/backends.ts";
import { connectClient } from "../helpers/client.ts";
import { portOf, proxyTo, waitFor } from "../helpers/proxy.ts";

/** Opens a client, reads the backend's greeting (its name), and returns it with the client. */
async function whoAnswers(port: number) {
  const client = await connectClient(port);
  await client.waitFor(2);
  return { name: client.received().toString().slice(0, 2), client };
}

describe("balancing through the proxy", () => {
  test.each(["round-robin", "least-connections", "random-two"] as const)(
    "%s spreads 300 sessions over 3 backends, honouring weights 2:1:1",
    async (balance) => {
      using a = greetBackend("A\n");
      using b = greetBackend("B\n");
      using c = greetBackend("C\n");
      await using proxy = await proxyTo([{ address: a.address, weight: 2 }, b.address, c.address], { balance });
      const counts: Record<string, number> = { "A\n": 0, "B\n": 0, "C\n": 0 };
      for (let i = 0; i < 30; i++) {
        // 10 concurrent sessions at a time, so least-connections sees real load.
        const batch = await Promise.all(Array.from({ length: 10 }, () => whoAnswers(portOf(proxy))));
        for (const { name, client } of batch) {
          counts[name]!++;
          client.socket.end();
        }
        await waitFor(() => proxy.sessionCount === 0, "batch to end");
      }
      expect(counts["A\n"]! + counts["B\n"]! + counts["C\n"]!).toBe(300);
      expect(counts["A\n"]!).toBeGreaterThan(105); // expected 150
      expect(counts["A\n"]!).toBeLessThan(195);
      expect(counts["B\n"]!).toBeGreaterThan(45); // expected 75
      expect(counts["C\n"]!).toBeGreaterThan(45);
    },
    30_000,
  );

  test("hash keeps a client address on the same backend", async () => {
    using a = greetBackend("A\n");
    using b = greetBackend("B\n");
    using c = greetBackend("C\n");
    await using proxy = await proxyTo([a.address, b.address, c.address], { balance: "hash" });
    const names = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const { name, client } = await whoAnswers(portOf(proxy));
      names.add(name);
      client.socket.end();
    }
    expect(names.size).toBe(1);
  });

  test("a refused backend is retried on the next one and the early bytes arrive intact", async () => {
    using good = replyAfterEndBackend((req) => Buffer.from(`echo:${req.toString()}`));
    const dead = `127.0.0.1:${closedPort()}`;
    await using proxy = await proxyTo([dead, good.address], { connectAttempts: 2 });
    for (let i = 0; i < 4; i++) {
      const client = await connectClient(portOf(proxy));
      await client.send(`early-${i}`); // sent at once: still queued while the dead backend is tried
      client.socket.shutdown();
      await client.closed;
      expect(client.received().toString()).toBe(`echo:early-${i}`);
    }
    const stats = proxy.stats().listeners[0]!;
    expect(stats.errors).toEqual({});
    expect(stats.retries).toBeGreaterThanOrEqual(1);
    expect(stats.backends[0]!.connectFailures).toBeGreaterThanOrEqual(1);
  });

  test("a backend that never answers the SYN is retried after connectTimeoutMs, early bytes intact", async () => {
    await using dead = await blackholeBackend();
    using good = replyAfterEndBackend((req) => Buffer.from(`echo:${req.toString()}`));
    await using proxy = await proxyTo([dead.address, good.address], { connectTimeoutMs: 200, connectAttempts: 2 });
    const client = await connectClient(portOf(proxy));
    await client.send("patient bytes");
    client.socket.shutdown();
    await client.closed;
    expect(client.received().toString()).toBe("echo:patient bytes");
    const s = proxy.stats().listeners[0]!;
    expect(s.retries).toBe(1);
    expect(s.errors).toEqual({});
  });

  test("a backend that resets before any byte moved is retried; after a byte has moved there is no retry", async () => {
    // `reset` accepts and resets at once (before any byte either way); `good` echoes.
    using reset = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { open: (s) => void s.terminate(), data() {} } });
    using good = echoBackend();
    await using proxy = await proxyTo([`127.0.0.1:${reset.port}`, good.address], { connectAttempts: 2 });
    const client = await connectClient(portOf(proxy));
    // Send only after the session has settled on a backend, so no byte went to the resetting one.
    await waitFor(() => proxy.stats().listeners[0]!.retries === 1 || good.accepted === 1, "the retry");
    await client.send("late");
    await client.waitFor(4);
    expect(client.received().toString()).toBe("late");
    client.socket.end();

    // A backend that resets after receiving bytes: the client sees the reset, no retry.
    using resetAfter = resetAfterBackend(1);
    await using strict = await proxyTo([resetAfter.address, good.address], { connectAttempts: 3 });
    const victim = await connectClient(portOf(strict));
    await victim.send("x");
    expect(await victim.closed).toBe("ECONNRESET");
    expect(strict.stats().listeners[0]!.retries).toBe(0);
  });

  test("with maxConnections reached, clients wait in the queue and get the next free slot", async () => {
    using backend = echoBackend();
    await using proxy = await proxyTo([{ address: backend.address, maxConnections: 2 }], { queueTimeoutMs: 5000 });
    const first = await connectClient(portOf(proxy));
    const second = await connectClient(portOf(proxy));
    for (const c of [first, second]) {
      await c.send("x");
      await c.waitFor(1);
    }
    const waiter = await connectClient(portOf(proxy));
    await waiter.send("queued bytes");
    await waitFor(() => proxy.stats().listeners[0]!.queued === 1, "the third client to queue");
    expect(backend.accepted).toBe(2);
    first.socket.end();
    await waiter.waitFor("queued bytes".length);
    expect(waiter.received().toString()).toBe("queued bytes");
    expect(backend.accepted).toBe(3);
    second.socket.end();
    waiter.socket.end();
  });

  test("a queued client is closed when queueTimeoutMs passes; a full queue refuses at once", async () => {
    using backend = echoBackend();
    await using proxy = await proxyTo([{ address: backend.address, maxConnections: 1 }], {
      queueTimeoutMs: 300,
      queueSize: 1,
    });
    const holder = await connectClient(portOf(proxy));
    await holder.send("x");
    await holder.waitFor(1);
    const started = performance.now();
    const queued = await connectClient(portOf(proxy));
    await waitFor(() => proxy.stats().listeners[0]!.queued === 1, "queueing");
    const overflow = await connectClient(portOf(proxy));
    await overflow.closed;
    expect(performance.now() - started).toBeLessThan(250);
    await queued.closed;
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    const s = proxy.stats().listeners[0]!;
    expect(s.queueTimeouts).toBe(1);
    expect(s.rejected.queueFull).toBe(1);
    expect(s.errors).toEqual({ QUEUE_TIMEOUT: 1, QUEUE_FULL: 1 });
    holder.socket.end();
  });

  test("draining and weight-0 backends get no new sessions", async () => {
    using a = greetBackend("A\n");
    using b = greetBackend("B\n");
    using c = greetBackend("C\n");
    await using proxy = await proxyTo([{ address: a.address, drain: true }, { address: b.address, weight: 0 }, c.address]);
    for (let i = 0; i < 6; i++) {
      const { name, client } = await whoAnswers(portOf(proxy));
      expect(name).toBe("C\n");
      client.socket.end();
    }
  });

  test("maxConnectionsPerClient limits one address's concurrent sessions", async () => {
    using backend = echoBackend();
    await using proxy = await proxyTo([backend.address], { maxConnectionsPerClient: 2 });
    const a = await connectClient(portOf(proxy));
    const b = await connectClient(portOf(proxy));
    for (const c of [a, b]) {
      await c.send("x");
      await c.waitFor(1);
    }
    const third = await connectClient(portOf(proxy));
    await third.closed;
    expect(proxy.stats().listeners[0]!.rejected.perClient).toBe(1);
    a.socket.end();
    await waitFor(() => proxy.sessionCount === 1, "a slot");
    const fourth = await connectClient(portOf(proxy));
    await fourth.send("y");
    await fourth.waitFor(1);
    b.socket.end();
    fourth.socket.end();
  });
});

describe("access lists", () => {
  const cases = [
    { family: "IPv4", listen: "127.0.0.1:0", host: "127.0.0.1", allow: ["127.0.0.0/8"], deny: ["127.0.0.1/32"], admitted: false },
    { family: "IPv4", listen: "127.0.0.1:0", host: "127.0.0.1", allow: ["10.0.0.0/8", "127.0.0.0/24"], deny: [], admitted: true },
    { family: "IPv4", listen: "127.0.0.1:0", host: "127.0.0.1", allow: ["10.0.0.0/8"], deny: [], admitted: false },
    { family: "IPv6", listen: "[::1]:0", host: "::1", allow: ["::1/128"], deny: [], admitted: true },
    { family: "IPv6", listen: "[::1]:0", host: "::1", allow: [], deny: ["::/64"], admitted: false },
    { family: "IPv6", listen: "[::1]:0", host: "::1", allow: ["2001:db8::/32"], deny: [], admitted: false },
  ];
  test.each(cases)("$family allow=$allow deny=$deny → admitted: $admitted", async ({ listen, host, allow, deny, admitted }) => {
    using backend = echoBackend();
    const { startProxy, Logger } = await import("../../src/index.ts");
    await using proxy = await startProxy(
      { listeners: [{ listen, backends: [backend.address], allow, deny }] },
      { logger: new Logger("silent") },
    );
    const { promise, resolve } = Promise.withResolvers<string>();
    const socket = await Bun.connect({
      hostname: host,
      port: portOf(proxy),
      socket: {
        data: (_s, d) => resolve(`echo:${d.toString()}`),
        close: () => resolve("closed"),
      },
    });
    socket.write("hi");
    expect(await promise).toBe(admitted ? "echo:hi" : "closed");
    socket.end();
    expect(proxy.stats().listeners[0]!.rejected.denied).toBe(admitted ? 0 : 1);
    expect(backend.accepted).toBe(admitted ? 1 : 0);
  });
});

describe("reloading backend groups", () => {
  test("a reload adds, removes and drains backends; live sessions on removed or drained backends survive", async () => {
    using a = echoBackend();
    using b = greetBackend("B\n");
    using c = greetBackend("C\n");
    const { startProxy, Logger, parseConfig } = await import("../../src/index.ts");
    const config = (backends: unknown[]) => ({ listeners: [{ name: "l", listen: "127.0.0.1:0", backends }] });
    await using proxy = await startProxy(config([a.address]), { logger: new Logger("silent") });
    const port = portOf(proxy);
    const live = await connectClient(port);
    await live.send("before");
    await live.waitFor(6);

    // Remove A (its session must live on), add B and C with C draining.
    const next = parseConfig(config([b.address, { address: c.address, drain: true }]));
    if (!("listeners" in next)) throw next;
    proxy.reload(next);
    expect(portOf(proxy)).toBe(port);
    for (let i = 0; i < 4; i++) {
      const { name, client } = await whoAnswers(port);
      expect(name).toBe("B\n");
      client.socket.end();
    }
    await live.send(" after");
    await live.waitFor(12);
    expect(live.received().toString()).toBe("before after");
    expect(proxy.stats().listeners[0]!.backends.map((x) => x.address)).toEqual([b.address, c.address]);

    // Undrain C: new sessions now reach it too.
    const undrained = parseConfig(config([b.address, c.address]));
    if (!("listeners" in undrained)) throw undrained;
    proxy.reload(undrained);
    const names = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const { name, client } = await whoAnswers(port);
      names.add(name);
      client.socket.end();
    }
    expect([...names].sort()).toEqual(["B\n", "C\n"]);
    live.socket.end();
    await waitFor(() => proxy.sessionCount === 0, "sessions to end");
    expect(proxy.stats().errors).toEqual({});
  });
});

/** The 1:1 relay: bytes unchanged, in order, both ways, with half-close honoured. */
import { describe, expect, test } from "bun:test";
import type { Socket } from "bun";
import { blackholeBackend } from "../helpers/blackhole.ts";
import { echoBackend, replyAfterEndBackend } from "../helpers/backends.ts";
import { connectClient, randomBytes, sha256 } from "../helpers/client.ts";
import { portOf, proxyTo, waitFor } from "../helpers/proxy.ts";

describe("relay", () => {
  test("64 concurrent connections × 4 MiB each way arrive byte-exact (SHA-256)", async () => {
    using backend = echoBackend();
    await using proxy = await proxyTo([backend.address]);
    const size = 4 * 1024 * 1024;
    const results = await Promise.all(
      Array.from({ length: 64 }, async (_, i) => {
        const payload = randomBytes(size, i + 1);
        const client = await connectClient(portOf(proxy));
        await Promise.all([client.send(payload), client.waitFor(size, 60_000)]);
        client.socket.end();
        return { sent: sha256(payload), got: sha256(client.received()), bytes: client.receivedBytes };
      }),
    );
    for (const r of results) {
      expect(r.bytes).toBe(size);
      expect(r.got).toBe(r.sent);
    }
    await waitFor(() => proxy.sessionCount === 0, "sessions to end");
    const stats = proxy.stats();
    expect(stats.bytesFromClients).toBe(64 * size);
    expect(stats.bytesFromBackends).toBe(64 * size);
    expect(stats.errors).toEqual({});
  }, 90_000);

  test("bytes sent before the backend connects are queued and delivered first, in order", async () => {
    // The blackhole leaves the backend's SYN unanswered until released, so the
    // client's first bytes certainly arrive while the backend is still connecting.
    await using backend = await blackholeBackend();
    await using proxy = await proxyTo([backend.address], { connectTimeoutMs: 10_000 });
    const client = await connectClient(portOf(proxy));
    await client.send("first,");
    await client.send("second,");
    await waitFor(() => proxy.stats().listeners[0]!.queuedBytes === 13, "early bytes to be queued");
    backend.release();
    await client.waitFor(13, 8000);
    await client.send("third");
    await client.waitFor(18);
    expect(client.received().toString()).toBe("first,second,third");
    client.socket.end();
  }, 15_000);

  test("client FIN is forwarded; the backend answers after it and the answer arrives", async () => {
    using backend = replyAfterEndBackend((req) => Buffer.from(`got ${req.byteLength} bytes: ${req.toString()}`));
    await using proxy = await proxyTo([backend.address]);
    const client = await connectClient(portOf(proxy));
    await client.send("question");
    client.socket.shutdown(); // half-close: we still read
    expect(await client.closed).toBe(null);
    expect(client.received().toString()).toBe("got 8 bytes: question");
    await waitFor(() => proxy.sessionCount === 0, "session end");
    expect(proxy.stats().listeners[0]!.ends).toEqual({ ok: 1 });
  });

  test("backend FIN is forwarded while the client keeps sending; the backend still gets it", async () => {
    const got: string[] = [];
    const { promise: backendGotAll, resolve } = Promise.withResolvers<void>();
    using server = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      allowHalfOpen: true,
      socket: {
        open(s) {
          s.write("bye");
          s.shutdown(); // the backend is done talking, but still listens
        },
        data(_s, d) {
          got.push(d.toString());
          if (got.join("") === "late words") resolve();
        },
        end(s) {
          s.end();
        },
      },
    });
    await using proxy = await proxyTo([`127.0.0.1:${server.port}`]);
    const client = await connectClient(portOf(proxy), { allowHalfOpen: true });
    await client.ended;
    expect(client.received().toString()).toBe("bye");
    expect(client.events).toEqual(["end"]);
    await client.send("late words");
    await backendGotAll;
    client.socket.shutdown();
    await client.closed;
    await waitFor(() => proxy.sessionCount === 0, "session end");
    expect(proxy.stats().listeners[0]!.ends).toEqual({ ok: 1 });
  });

  test("several listeners each forward to their own backends; several backends rotate", async () => {
    const greeter = (name: string) =>
      Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { open: (s: Socket) => void s.end(name), data() {} } });
    using a = greeter("A");
    using b = greeter("B");
    using c = greeter("C");
    const { startProxy, Logger } = await import("../../src/index.ts");
    await using proxy = await startProxy(
      {
        listeners: [
          { name: "ab", listen: "127.0.0.1:0", backends: [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`] },
          { name: "c", listen: "127.0.0.1:0", backends: [`127.0.0.1:${c.port}`] },
        ],
      },
      { logger: new Logger("silent") },
    );
    const [ab, cc] = proxy.addresses;
    const names: string[] = [];
    for (let i = 0; i < 4; i++) {
      const client = await connectClient(ab!.port);
      await client.ended;
      client.socket.end();
      names.push(client.received().toString());
    }
    const client = await connectClient(cc!.port);
    await client.ended;
    client.socket.end();
    expect(names).toEqual(["A", "B", "A", "B"]);
    expect(client.received().toString()).toBe("C");
  });
});

/**
 * Pins the Bun socket behaviour warren's relay relies on (Bun 1.4.4). If an
 * upgrade changes one of these, this file fails first and says which fact broke.
 */
import { describe, expect, test } from "bun:test";
import type { Socket } from "bun";
import { randomBytes, sha256 } from "../helpers/client.ts";

function listen(handlers: Parameters<typeof Bun.listen>[0]["socket"], allowHalfOpen = false) {
  return Bun.listen({ hostname: "127.0.0.1", port: 0, allowHalfOpen, socket: handlers });
}

describe("Bun sockets, as warren uses them", () => {
  test("data chunks may be kept after the handler returns: each event has its own buffer", async () => {
    const payload = randomBytes(8 * 1024 * 1024, 7);
    const kept: Buffer[] = [];
    let received = 0;
    const { promise: done, resolve } = Promise.withResolvers<void>();
    using server = listen({
      data(_s, chunk: Buffer) {
        kept.push(chunk); // no copy
        received += chunk.byteLength;
        if (received === payload.byteLength) resolve();
      },
    });
    const client = await Bun.connect({ hostname: "127.0.0.1", port: server.port, socket: { data() {} } });
    let off = 0;
    while (off < payload.byteLength) {
      const n = client.write(payload.subarray(off));
      off += Math.max(0, n);
      if (off < payload.byteLength) await Bun.sleep(1);
    }
    await done;
    expect(kept.length).toBeGreaterThan(1);
    expect(new Set(kept.map((c) => c.buffer)).size).toBe(kept.length); // distinct backing stores
    expect(sha256(Buffer.concat(kept))).toBe(sha256(payload));
    client.end();
  });

  test("write() returns a short count, then 0, while the peer does not read", async () => {
    using server = listen({ open: (s) => s.pause(), data() {} });
    const client = await Bun.connect({ hostname: "127.0.0.1", port: server.port, socket: { data() {} } });
    const block = new Uint8Array(1024 * 1024);
    const results: number[] = [];
    for (let i = 0; i < 64; i++) {
      const n = client.write(block);
      results.push(n);
      if (n === 0) break;
    }
    expect(results.at(-1)).toBe(0);
    expect(results.some((n) => n > 0 && n < block.byteLength) || results[0] === 0).toBe(true);
    client.terminate();
  });

  test("shutdown() half-closes: the peer gets end and can still write back", async () => {
    const events: string[] = [];
    const { promise: gotReply, resolve } = Promise.withResolvers<string>();
    using server = listen(
      {
        data(s) {
          events.push("server:data");
        },
        end(s) {
          events.push("server:end");
          s.write("reply");
          s.shutdown();
        },
      },
      true,
    );
    const client = await Bun.connect({
      hostname: "127.0.0.1",
      port: server.port,
      allowHalfOpen: true,
      socket: {
        data(_s, d) {
          resolve(d.toString());
        },
        end() {
          events.push("client:end");
        },
        close() {
          events.push("client:close");
        },
      },
    });
    client.write("req");
    await Bun.sleep(20);
    client.shutdown();
    expect(await gotReply).toBe("reply");
    await Bun.sleep(50);
    expect(client.write("x")).toBe(-1);
    // After our own shutdown(), the peer's FIN is reported as close without end.
    expect(events).toEqual(["server:data", "server:end", "client:close"]);
  });

  test("a peer reset arrives as close with ECONNRESET, not as an error event", async () => {
    using server = listen({ data: (s) => s.terminate() });
    const { promise, resolve } = Promise.withResolvers<string>();
    let errorCalled = false;
    const client = await Bun.connect({
      hostname: "127.0.0.1",
      port: server.port,
      socket: {
        data() {},
        error() {
          errorCalled = true;
        },
        close(_s, err) {
          resolve((err as { code?: string } | undefined)?.code ?? "none");
        },
      },
    });
    client.write("x");
    expect(await promise).toBe("ECONNRESET");
    expect(errorCalled).toBe(false);
  });

  test("a refused connect calls connectError with ECONNREFUSED and never open", async () => {
    const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = probe.port;
    probe.stop(true);
    const seen: string[] = [];
    await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open: () => void seen.push("open"),
        data() {},
        connectError: (_s, err) => void seen.push(`connectError:${(err as { code?: string }).code}`),
      },
    }).catch(() => seen.push("rejected"));
    expect(seen).toEqual(["connectError:ECONNREFUSED", "rejected"]);
  });

  test("with a connectError handler, a refused connect's promise needs no .catch (nothing unhandled)", async () => {
    const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = probe.port;
    probe.stop(true);
    let errors = 0;
    for (let i = 0; i < 5; ) {
      void Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {}, connectError: () => void errors++ } });
      i++;
    }
    await Bun.sleep(100); // an unhandled rejection would fail this test file here
    expect(errors).toBe(5);
  });

  test("listener data becomes each accepted socket's data; stop(false) keeps live sockets", async () => {
    const ctx = { name: "ctx" };
    const seen: unknown[] = [];
    const server = Bun.listen<unknown>({
      hostname: "127.0.0.1",
      port: 0,
      data: ctx,
      socket: {
        open(s) {
          seen.push(s.data);
        },
        data(s, d) {
          s.write(d);
        },
      },
    });
    const { promise, resolve } = Promise.withResolvers<string>();
    const client = await Bun.connect({ hostname: "127.0.0.1", port: server.port, socket: { data: (_s, d) => resolve(d.toString()) } });
    await Bun.sleep(10);
    server.stop(false);
    client.write("still here");
    expect(await promise).toBe("still here");
    expect(seen).toEqual([ctx]);
    client.end();
  });

  test("pause() holds data and a FIN until resume(), then delivers both in order", async () => {
    const events: string[] = [];
    const { promise: closed, resolve } = Promise.withResolvers<void>();
    let serverSocket: Socket<unknown> | null = null;
    using server = listen(
      {
        open(s) {
          serverSocket = s;
          s.pause();
        },
        data(_s, d) {
          events.push(`data:${d.toString()}`);
        },
        end(s) {
          events.push("end");
          resolve();
        },
      },
      true,
    );
    const client = await Bun.connect({ hostname: "127.0.0.1", port: server.port, allowHalfOpen: true, socket: { data() {} } });
    client.write("abc");
    client.shutdown();
    await Bun.sleep(50);
    expect(events).toEqual([]);
    serverSocket!.resume();
    await closed;
    expect(events).toEqual(["data:abc", "end"]);
    client.end();
  });
});

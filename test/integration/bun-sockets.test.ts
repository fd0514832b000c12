/**
 * Pins the Bun socket behaviour warren's relay relies on (Bun 1.4.4). If an
 * upgrade changes one of these, this file fails first and says which fact broke.
 */
import { describe, expect, test } from "bun:test";
import type { Socket, SocketHandler } from "bun";
import net from "node:net";
import { blackholeBackend, synSentFrom } from "../helpers/blackhole.ts";
import { closedPort } from "../helpers/backends.ts";
import { randomBytes, sha256 } from "../helpers/client.ts";
import { waitFor } from "../helpers/proxy.ts";

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

/**
 * A node:net socket that names its native handle: Bun's node:net keeps a plain
 * Bun socket in `_handle` (not in @types/node), which is what warren takes over.
 */
class NodeSocket extends net.Socket {
  declare _handle: Socket<unknown> | null;
}

function nodeConnect(port: number): NodeSocket {
  return new NodeSocket().connect({ host: "127.0.0.1", port });
}

/** What one taken-over socket saw through the Bun handlers it was given. */
interface Seen {
  chunks: Buffer[];
  bytes: number;
  events: string[];
}

const seenHandlers = {
  data(s, chunk) {
    s.data.chunks.push(chunk);
    s.data.bytes += chunk.byteLength;
  },
  drain(s) {
    s.data.events.push("drain");
  },
  end(s) {
    s.data.events.push("end");
  },
  close(s, err) {
    s.data.events.push(err === undefined ? "close" : `close:${(err as { code?: string }).code}`);
  },
} satisfies SocketHandler<Seen>;

/** takeOver does what warren's tunnel does on 'connect': Bun handlers and data of its own on node's handle. */
function takeOver(s: NodeSocket): Socket<Seen> {
  const handle = s._handle as Socket<Seen>; // set once node has connected
  handle.reload({ socket: seenHandlers });
  handle.data = { chunks: [], bytes: 0, events: [] };
  return handle;
}

describe("Bun sockets, as the edge (PROXY protocol) uses them", () => {
  test("a listener's reload() swaps the handlers of the sockets it already accepted, not only of new ones", async () => {
    const seen: string[] = [];
    using server = listen({ data: (s, d) => void seen.push(`old ${d}`) });
    const client = await Bun.connect({ hostname: "127.0.0.1", port: server.port, socket: { data() {} } });
    client.write("a");
    await waitFor(() => seen.length === 1, "the first chunk");
    server.reload({ socket: { data: (s, d) => void seen.push(`new ${d}`) } });
    client.write("b");
    await waitFor(() => seen.length === 2, "the second chunk");
    expect(seen).toEqual(["old a", "new b"]);
    client.end();
  });

  test("a write in open to a peer that reset on accept returns -1, then end and close come without an error (the reset is not reported)", async () => {
    using server = listen({ open: (s) => void s.terminate(), data() {} });
    for (let i = 0; i < 5; i++) {
      const events: string[] = [];
      const { promise, resolve } = Promise.withResolvers<void>();
      await Bun.connect({
        hostname: "127.0.0.1",
        port: server.port,
        socket: {
          open: (s) => void events.push(`write ${s.write("PROXY UNKNOWN\r\n")}`),
          data() {},
          end: () => void events.push("end"),
          close(_s, err) {
            events.push(err === undefined ? "close" : `close:${(err as { code?: string }).code}`);
            resolve();
          },
        },
      });
      await promise;
      expect(events).toEqual(["write -1", "end", "close"]);
    }
  });
});

describe("node:net connects, as warren's tunnel uses them", () => {
  test("destroy() while still connecting closes the socket at once: no SYN_SENT left, no 'connect', no 'error'", async () => {
    await using hole = await blackholeBackend();
    const events: string[] = [];
    let closed = 0;
    const sockets = Array.from({ length: 20 }, () =>
      nodeConnect(hole.port)
        .on("connect", () => events.push("connect"))
        .on("error", (err: Error & { code?: string }) => events.push(`error:${err.code}`))
        .on("close", () => closed++),
    );
    await waitFor(() => synSentFrom(hole.port) === 20, "20 connects in SYN_SENT");
    const started = performance.now();
    for (const s of sockets) s.destroy();
    await waitFor(() => synSentFrom(hole.port) === 0, "the destroyed connects to leave SYN_SENT", 1000);
    expect(performance.now() - started).toBeLessThan(1000);
    await waitFor(() => closed === 20, "every 'close'");
    expect(events).toEqual([]);
  });

  test("a refused connect emits 'error' with code ECONNREFUSED and never 'connect'", async () => {
    const events: string[] = [];
    const { promise, resolve } = Promise.withResolvers<void>();
    nodeConnect(closedPort())
      .on("connect", () => events.push("connect"))
      .on("error", (err: Error & { code?: string }) => {
        events.push(`error:${err.code}`);
        resolve();
      });
    await promise;
    expect(events).toEqual(["error:ECONNREFUSED"]);
  });

  test("after 'connect', reload() on _handle hands every byte to Bun handlers, including a greeting sent on accept", async () => {
    const greeting = randomBytes(1024, 3);
    const payload = randomBytes(256 * 1024, 4);
    using server = listen({
      open: (s) => void s.write(greeting),
      data: (s, d) => void s.write(d), // loopback takes 256 KiB in one go: no short write to handle
    });
    const connections = 200;
    const sockets: NodeSocket[] = [];
    const handles: Socket<Seen>[] = [];
    for (let i = 0; i < connections; i++) {
      const s = nodeConnect(server.port);
      s.on("connect", () => handles.push(takeOver(s)));
      sockets.push(s);
    }
    await waitFor(() => handles.length === connections && handles.every((h) => h.data.bytes >= greeting.byteLength), "every greeting");
    for (const h of handles) expect(h.write(payload)).toBe(payload.byteLength);
    const total = greeting.byteLength + payload.byteLength;
    await waitFor(() => handles.every((h) => h.data.bytes === total), "every echo", 10_000);
    const expected = sha256(Buffer.concat([greeting, payload]));
    for (const h of handles) expect(sha256(Buffer.concat(h.data.chunks))).toBe(expected);
    // The default binaryType, as on a Bun.connect socket: the relay forwards Buffers.
    expect(handles.every((h) => h.data.chunks.every((c) => Buffer.isBuffer(c)))).toBe(true);
    // node's own side saw nothing: not one byte went to its handlers.
    expect(sockets.map((s) => s.bytesRead + s.readableLength)).toEqual(sockets.map(() => 0));
    for (const h of handles) h.end();
  });

  test("a taken-over socket is half-open and sees the events a Bun.connect({ allowHalfOpen: true }) socket sees", async () => {
    let byes = 0;
    using server = listen(
      {
        data(_s, d) {
          if (d.toString() === "bye") byes++;
        },
        open: (s) => s.shutdown(), // FIN at once; keep receiving
      },
      true,
    );
    const run = async (socket: Socket<Seen>): Promise<string[]> => {
      await waitFor(() => socket.data.events.includes("end"), "the server's FIN");
      expect(socket.write("bye")).toBe(3); // still open for writing after the peer's FIN
      const before = byes;
      await waitFor(() => byes === before + 1, "the server to get the bytes sent after its FIN");
      socket.end();
      return socket.data.events;
    };
    const direct = await Bun.connect<Seen>({
      hostname: "127.0.0.1",
      port: server.port,
      allowHalfOpen: true,
      data: { chunks: [], bytes: 0, events: [] },
      socket: seenHandlers,
    });
    const s = nodeConnect(server.port);
    const { promise: connected, resolve: onConnect } = Promise.withResolvers<Socket<Seen>>();
    s.on("connect", () => onConnect(takeOver(s)));
    const viaNode = await connected;
    expect(await run(viaNode)).toEqual(await run(direct));
  });

  test("reload() on _handle before 'connect' does not take effect: node hands its own handlers to the connect", async () => {
    using server = listen({ open: (s) => void s.write("hello"), data() {} });
    const events: string[] = [];
    const s = nodeConnect(server.port);
    s._handle!.reload({ socket: { open: () => void events.push("mine:open"), data: () => void events.push("mine:data") } });
    const { promise, resolve } = Promise.withResolvers<void>();
    s.on("connect", () => events.push("node:connect"));
    s.on("data", (d: Buffer) => {
      events.push(`node:data:${d.toString()}`);
      resolve();
    });
    await promise;
    expect(events).toEqual(["node:connect", "node:data:hello"]);
    s.destroy();
  });

  test("right after 'connect', node:net writes `req = undefined` onto the handle's data (warren's Session declares `req`)", async () => {
    using server = listen({ data() {} });
    const s = nodeConnect(server.port);
    const { promise, resolve } = Promise.withResolvers<Socket<Seen>>();
    s.on("connect", () => {
      const handle = takeOver(s);
      expect(Object.hasOwn(handle.data, "req")).toBe(false);
      resolve(handle);
    });
    const handle = await promise;
    expect(Object.hasOwn(handle.data, "req")).toBe(true);
    expect(Reflect.get(handle.data, "req")).toBeUndefined();
    handle.end();
  });

  test("the handle keeps its node socket alive through a symbol described 'owner_symbol'; nulled, the node socket is collected and the handle still works", async () => {
    using server = listen({ data: (s, d) => void s.write(d) });
    const collected = async (release: boolean): Promise<number> => {
      const refs: WeakRef<NodeSocket>[] = [];
      const handles: Socket<Seen>[] = [];
      for (let i = 0; i < 50; i++) {
        const s = nodeConnect(server.port);
        refs.push(new WeakRef(s));
        s.on("connect", () => {
          const handle = takeOver(s);
          const owner = Object.getOwnPropertySymbols(handle).find((k) => k.description === "owner_symbol");
          expect(owner).toBeDefined();
          if (release) Reflect.set(handle, owner!, null);
          handles.push(handle);
        });
      }
      await waitFor(() => handles.length === 50, "50 connects");
      for (let i = 0; i < 2; i++) {
        await Bun.sleep(0); // WeakRef targets stay alive until the current job ends
        Bun.gc(true);
      }
      const dead = refs.filter((r) => r.deref() === undefined).length;
      for (const h of handles) expect(h.write("ping")).toBe(4);
      await waitFor(() => handles.every((h) => h.data.bytes === 4), "every echo through a handle whose node socket is gone");
      for (const h of handles) h.end();
      return dead;
    };
    expect(await collected(false)).toBe(0);
    // Conservative stack scanning keeps a few (up to 7 of 50 seen in a full test run): most must go.
    expect(await collected(true)).toBeGreaterThanOrEqual(40);
  });
});

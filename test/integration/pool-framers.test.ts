/**
 * Pooled mode with the length-prefixed and delimiter framers, against small
 * protocol servers written here: replies route to their own client, pipelining
 * works, a bad frame closes only its client, and (no error form) a queue
 * timeout closes the client.
 */
import { expect, test } from "bun:test";
import type { Socket } from "bun";
import { memoryLogger, portOf, proxyTo, waitFor } from "../helpers/proxy.ts";
import { connectClient } from "../helpers/client.ts";

/** frame encodes a 4-byte big-endian length and the payload. */
function frame(text: string): Buffer {
  const payload = Buffer.from(text);
  const out = Buffer.alloc(4 + payload.length);
  out.writeUInt32BE(payload.length, 0);
  payload.copy(out, 4);
  return out;
}

/**
 * A length-prefixed server that answers each frame with its payload upper-cased,
 * 20 ms later if the payload starts with "slow", and never for "stall".
 */
function lengthServer(): { port: number; connections: () => number; stop: () => void } {
  let connections = 0;
  const server = Bun.listen<{ buf: Buffer; chain: Promise<void> }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(s) {
        s.data = { buf: Buffer.alloc(0), chain: Promise.resolve() };
        connections++;
      },
      data(s: Socket<{ buf: Buffer; chain: Promise<void> }>, chunk) {
        s.data.buf = Buffer.concat([s.data.buf, chunk]);
        while (s.data.buf.length >= 4) {
          const n = s.data.buf.readUInt32BE(0);
          if (s.data.buf.length < 4 + n) break;
          const text = s.data.buf.subarray(4, 4 + n).toString();
          s.data.buf = s.data.buf.subarray(4 + n);
          if (text.startsWith("stall")) continue;
          const reply = frame(text.toUpperCase());
          // Replies leave in request order (an in-order protocol), a slow one delaying those behind it.
          const delayMs = text.startsWith("slow") ? 20 : 0;
          s.data.chain = s.data.chain.then(() => (delayMs > 0 ? Bun.sleep(delayMs) : undefined)).then(() => void s.write(reply));
        }
      },
      close() {
        connections--;
      },
    },
  });
  return { port: server.port, connections: () => connections, stop: () => server.stop(true) };
}

/** A line server: each "\n"-terminated line is answered with the line reversed. */
function lineServer(): { port: number; stop: () => void } {
  const server = Bun.listen<{ text: string }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(s) {
        s.data = { text: "" };
      },
      data(s, chunk) {
        s.data.text += chunk.toString();
        let nl = s.data.text.indexOf("\n");
        while (nl >= 0) {
          const line = s.data.text.slice(0, nl);
          s.data.text = s.data.text.slice(nl + 1);
          s.write(`${[...line].reverse().join("")}\n`);
          nl = s.data.text.indexOf("\n");
        }
      },
    },
  });
  return { port: server.port, stop: () => server.stop(true) };
}

for (const multiplex of [false, true]) {
  test(`length framer (${multiplex ? "multiplexed" : "exclusive"}): 100 clients, pipelined and split frames, each gets its own replies over 2 connections`, async () => {
    const backend = lengthServer();
    try {
      await using proxy = await proxyTo([`127.0.0.1:${backend.port}`], {
        mode: "pool",
        pool: { framer: { kind: "length", lengthBytes: 4 }, maxPerBackend: 2, multiplex },
      });
      const port = portOf(proxy);
      const results = await Promise.all(
        Array.from({ length: 100 }, async (_, i) => {
          const c = await connectClient(port);
          const texts = [`client ${i} a`, `${i % 10 === 0 ? "slow " : ""}client ${i} b`, `client ${i} c`];
          const bytes = Buffer.concat(texts.map(frame));
          if (i % 2 === 0)
            await c.send(bytes); // pipelined in one write
          else for (let k = 0; k < bytes.length; k += 3) await c.send(bytes.subarray(k, k + 3)); // split mid-frame
          const expected = Buffer.concat(texts.map((t) => frame(t.toUpperCase())));
          await c.waitFor(expected.length, 5000);
          c.socket.end();
          return c.received().equals(expected) ? null : `client ${i}: ${c.received().toString("hex")} vs ${expected.toString("hex")}`;
        }),
      );
      expect(results.filter((r) => r !== null)).toEqual([]);
      expect(backend.connections()).toBeLessThanOrEqual(2);
    } finally {
      backend.stop();
    }
  }, 15_000);
}

test("length framer: an oversized frame closes only its client; the connection and other clients carry on", async () => {
  const backend = lengthServer();
  try {
    await using proxy = await proxyTo([`127.0.0.1:${backend.port}`], {
      mode: "pool",
      pool: { framer: { kind: "length", maxFrameBytes: 64 }, maxPerBackend: 1 },
    });
    const port = portOf(proxy);
    const good = await connectClient(port);
    const bad = await connectClient(port);
    await good.send(frame("one"));
    await good.waitFor(7);
    // A header announcing 1000 bytes is refused at once, before any payload is forwarded.
    await bad.send(Buffer.concat([Buffer.from([0, 0, 3, 232]), Buffer.from("partial")]));
    expect(await bad.closed).toBe(null);
    expect(bad.receivedBytes).toBe(0);
    await good.send(frame("two"));
    await good.waitFor(14);
    expect(good.received().equals(Buffer.concat([frame("ONE"), frame("TWO")]))).toBe(true);
    expect(proxy.stats().listeners[0]!.pool!.backends[0]!.connectionsLost).toBe(0);
    good.socket.end();
  } finally {
    backend.stop();
  }
});

test("length framer: no error form, so a request that times out in the queue closes its client", async () => {
  const backend = lengthServer();
  try {
    await using proxy = await proxyTo([`127.0.0.1:${backend.port}`], {
      mode: "pool",
      pool: { framer: { kind: "length" }, maxPerBackend: 1, queueTimeoutMs: 100 },
    });
    const port = portOf(proxy);
    const holder = await connectClient(port);
    await holder.send(frame("stall")); // never answered: holds the only connection
    await Bun.sleep(20);
    const waiter = await connectClient(port);
    const started = performance.now();
    await waiter.send(frame("hello"));
    expect(await waiter.closed).toBe(null);
    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
    expect(waiter.receivedBytes).toBe(0);
    expect(proxy.stats().listeners[0]!.pool!.queueTimeouts).toBe(1);
    await waitFor(() => proxy.stats().listeners[0]!.ends.POOL_REJECTED === 1, "the waiter's session to end POOL_REJECTED");
    holder.socket.end();
  } finally {
    backend.stop();
  }
});

test("delimiter framer: pipelined lines from many clients; a line over maxFrameBytes closes only its client", async () => {
  const backend = lineServer();
  try {
    await using proxy = await proxyTo([`127.0.0.1:${backend.port}`], {
      mode: "pool",
      pool: { framer: { kind: "delimiter", delimiter: "\n", maxFrameBytes: 32 }, maxPerBackend: 2, multiplex: true },
    });
    const port = portOf(proxy);
    const results = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const c = await connectClient(port);
        await c.send(`abc${i}\nxyz${i}\n`);
        const rev = (s: string): string => [...s].reverse().join("");
        const expected = `${rev(`abc${i}`)}\n${rev(`xyz${i}`)}\n`;
        await c.waitFor(expected.length);
        c.socket.end();
        return c.received().toString() === expected ? null : `client ${i}: ${c.received().toString()}`;
      }),
    );
    expect(results.filter((r) => r !== null)).toEqual([]);
    const bad = await connectClient(port);
    const good = await connectClient(port);
    await bad.send("x".repeat(40));
    expect(await bad.closed).toBe(null);
    await good.send("still fine\n");
    await good.waitFor(11);
    expect(good.received().toString()).toBe("enif llits\n");
    good.socket.end();
  } finally {
    backend.stop();
  }
});

test("each pooled client that leaves writes one access-log line: bytes each way, duration, how it ended", async () => {
  const backend = lengthServer();
  try {
    const log = memoryLogger();
    await using proxy = await proxyTo(
      [`127.0.0.1:${backend.port}`],
      { name: "lp", mode: "pool", pool: { framer: { kind: "length", maxFrameBytes: 64 }, maxPerBackend: 1 } },
      log,
    );
    const good = await connectClient(portOf(proxy));
    await good.send(frame("hello"));
    await good.waitFor(9);
    good.socket.end();
    const bad = await connectClient(portOf(proxy));
    await bad.send(Buffer.from([0, 0, 3, 232]));
    await bad.closed;
    await waitFor(() => log.lines.filter((l) => String(l.msg).startsWith("pooled session")).length === 2, "two access lines");
    const lines = log.lines.filter((l) => String(l.msg).startsWith("pooled session"));
    expect(lines[0]).toMatchObject({
      msg: "pooled session",
      level: "info",
      listener: "lp",
      mode: "pool",
      bytesFromClient: 9,
      bytesToClient: 9,
      end: "ok",
    });
    expect(lines[0]!.client).toBe("127.0.0.1");
    expect(lines[1]).toMatchObject({ level: "warn", listener: "lp", bytesFromClient: 4, bytesToClient: 0 });
    expect(lines[1]!.end).toBe("MALFORMED_REQUEST");
    expect(proxy.stats().listeners[0]!.errors).toEqual({ MALFORMED_REQUEST: 1 });
  } finally {
    backend.stop();
  }
});

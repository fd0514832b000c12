/**
 * The preamble stage between accept and the mode (src/listener/preamble.ts): a preamble holds the
 * client's first bytes until it has read what it needs, the client is admitted with what it learned,
 * and the mode gets the rest of the stream intact — in both modes, whichever way the bytes are cut.
 * test/helpers/preamble.ts is the test's own preamble, shaped like a small PROXY header.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Logger, type ProxyServer, startProxy } from "../../src/index.ts";
import { echoBackend, type TestBackend } from "../helpers/backends.ts";
import { connectClient } from "../helpers/client.ts";
import { testHeader, testPreamble } from "../helpers/preamble.ts";
import { memoryLogger, portOf, waitFor } from "../helpers/proxy.ts";
import { RespClient, type TestRedis, startRedis } from "../helpers/redis.ts";

function withPreamble(listener: Record<string, unknown>, logger: Logger = new Logger("silent"), timeoutMs = 1000): Promise<ProxyServer> {
  return startProxy({ listeners: [{ listen: "127.0.0.1:0", ...listener }] }, { logger, preambleFor: () => testPreamble(timeoutMs) });
}

/** sendCut writes `bytes` in pieces cut at the given indices, each a write of its own. */
async function sendCut(send: (b: Uint8Array) => Promise<void>, bytes: Buffer, cuts: number[]): Promise<void> {
  let from = 0;
  for (const at of [...cuts, bytes.length]) {
    if (at > from) await send(bytes.subarray(from, at));
    from = at;
  }
}

describe("tunnel mode behind a preamble", () => {
  let backend: TestBackend;
  beforeAll(() => {
    backend = echoBackend();
  });
  afterAll(() => backend.stop());

  test("the bytes after the header reach the backend intact: header and stream in one write, and split at every index", async () => {
    await using proxy = await withPreamble({ backends: [backend.address] });
    const payload = Buffer.from("first bytes of the stream\n");
    const whole = Buffer.concat([testHeader(), payload]);
    for (const cut of [-1, ...Array.from({ length: whole.length - 1 }, (_, i) => i + 1)]) {
      const c = await connectClient(portOf(proxy));
      await sendCut((b) => c.send(b), whole, cut < 0 ? [] : [cut]);
      await c.waitFor(payload.length);
      expect(c.received().toString()).toBe(payload.toString());
      c.socket.end();
    }
  });

  test("byte by byte: the preamble holds every byte until its header is complete", async () => {
    await using proxy = await withPreamble({ backends: [backend.address] });
    const payload = Buffer.from("x".repeat(100));
    const whole = Buffer.concat([testHeader("10.1.2.3:4567"), payload]);
    const c = await connectClient(portOf(proxy));
    await sendCut(
      (b) => c.send(b),
      whole,
      Array.from({ length: whole.length }, (_, i) => i),
    );
    await c.waitFor(payload.length);
    expect(c.received().equals(payload)).toBe(true);
    c.socket.end();
  });

  test("the address the preamble tells is the client's: admission (deny) and the access log use it", async () => {
    const log = memoryLogger();
    await using proxy = await withPreamble({ backends: [backend.address], deny: ["10.9.8.0/24"] }, log);
    const refused = await connectClient(portOf(proxy));
    await refused.send(Buffer.concat([testHeader("10.9.8.7:1000"), Buffer.from("no")]));
    expect(await refused.closed).toBeNull();
    expect(refused.receivedBytes).toBe(0);
    expect(proxy.stats().listeners[0]!.rejected.denied).toBe(1);

    const admitted = await connectClient(portOf(proxy));
    await admitted.send(Buffer.concat([testHeader("192.0.2.44:5555"), Buffer.from("yes")]));
    await admitted.waitFor(3);
    admitted.socket.end();
    await waitFor(() => log.lines.some((l) => l.msg === "session"), "the access-log line");
    expect(log.lines.find((l) => l.msg === "session")).toMatchObject({
      client: "192.0.2.44",
      clientPort: 5555,
      bytesFromClient: 3,
      end: "ok",
    });
  });

  test("a client that stalls in its preamble is closed after the preamble's timeout, counted, and never admitted", async () => {
    await using proxy = await withPreamble({ backends: [backend.address] }, new Logger("silent"), 100);
    const acceptedBefore = backend.accepted;
    const c = await connectClient(portOf(proxy));
    await c.send("WR");
    expect(await c.closed).toBeNull();
    expect(proxy.stats().listeners[0]!.sessionsTotal).toBe(0);
    expect(proxy.stats().listeners[0]!.preambleFailures).toEqual({ PREAMBLE_TIMEOUT: 1 });
    expect(backend.accepted).toBe(acceptedBefore);
  });

  test("a malformed preamble closes only that client; the next one is served", async () => {
    await using proxy = await withPreamble({ backends: [backend.address] });
    const bad = await connectClient(portOf(proxy));
    await bad.send("NOPE and more");
    expect(await bad.closed).toBeNull();
    expect(proxy.stats().listeners[0]!.preambleFailures).toEqual({ MALFORMED_REQUEST: 1 });
    const good = await connectClient(portOf(proxy));
    await good.send(Buffer.concat([testHeader(), Buffer.from("ok")]));
    await good.waitFor(2);
    expect(good.received().toString()).toBe("ok");
    good.socket.end();
  });
  test("a preamble parser that throws is a bug in warren: that client is closed and counted INTERNAL, the listener serves on", async () => {
    const log = memoryLogger();
    const throwing = {
      timeoutMs: 1000,
      start: () => ({
        feed: (): never => {
          throw new Error("parser bug");
        },
      }),
    };
    await using proxy = await startProxy(
      { listeners: [{ listen: "127.0.0.1:0", backends: [backend.address] }] },
      { logger: log, preambleFor: () => throwing },
    );
    const c = await connectClient(portOf(proxy));
    await c.send("anything");
    expect(await c.closed).toBeNull();
    expect(proxy.stats().listeners[0]!.preambleFailures).toEqual({ INTERNAL: 1 });
    expect(log.lines.some((l) => String(l.reason ?? l.msg).includes("parser bug"))).toBe(true);
    const next = await connectClient(portOf(proxy));
    await next.send("again");
    expect(await next.closed).toBeNull();
    expect(proxy.stats().listeners[0]!.preambleFailures).toEqual({ INTERNAL: 2 });
  });
});

describe("pool mode behind a preamble", () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis[Symbol.asyncDispose]();
  });

  test("RESP requests after the header, in the same write and split at every index, are served", async () => {
    await using proxy = await withPreamble({
      backends: [redis.address],
      mode: "pool",
      pool: { framer: { kind: "resp" }, multiplex: true },
    });
    const requests = Buffer.from("*3\r\n$3\r\nSET\r\n$4\r\npre:k\r\n$1\r\nv\r\n".replace("$4\r\npre:k", "$5\r\npre:k") + "PING\r\n");
    const whole = Buffer.concat([testHeader("198.51.100.9:1"), requests]);
    for (let cut = 1; cut < whole.length; cut++) {
      using c = await RespClient.connect(portOf(proxy));
      const replies = c.sendRaw(whole.subarray(0, cut), 0);
      await replies;
      const got = await c.sendRaw(whole.subarray(cut), 2);
      expect(got).toEqual(["OK", "PONG"]);
    }
  });
});

/**
 * `proxyProtocol` on a listener (tunnel and pooled): the header is required from trusted sources, its
 * client address is the client's everywhere (allow/deny, per-client limits, hash balancing, the access
 * log, which also names the real peer), the bytes after it are the stream, and an untrusted source is
 * refused, or served as itself with untrusted = "direct". A reload can turn it on and off.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Logger, type ProxyServer, startProxy } from "../../src/index.ts";
import { PROXY_V1_UNKNOWN, PROXY_V2_LOCAL } from "../../src/edge/proxy-encode.ts";
import { echoBackend, type TestBackend } from "../helpers/backends.ts";
import { connectClient } from "../helpers/client.ts";
import { memoryLogger, portOf, waitFor } from "../helpers/proxy.ts";
import { v1From, v2From } from "../helpers/proxy-protocol.ts";
import { RespClient, type TestRedis, startRedis } from "../helpers/redis.ts";

const TRUST_LOOPBACK = { trusted: ["127.0.0.0/8"] };

function start(listener: Record<string, unknown>, logger: Logger = new Logger("silent")): Promise<ProxyServer> {
  return startProxy({ listeners: [{ listen: "127.0.0.1:0", ...listener }] }, { logger });
}

/** roundTrip sends `bytes` and waits for `expect` to come back; returns the client for more. */
async function roundTrip(proxy: ProxyServer, bytes: Uint8Array[], expected: string) {
  const c = await connectClient(portOf(proxy));
  for (const b of bytes) await c.send(b);
  await c.waitFor(expected.length);
  expect(c.received().toString()).toBe(expected);
  return c;
}

describe("tunnel mode", () => {
  let backend: TestBackend;
  beforeAll(() => {
    backend = echoBackend();
  });
  afterAll(() => backend.stop());

  test("v1 and v2 from a trusted source: the stream after the header reaches the backend intact, in one write or cut anywhere", async () => {
    await using proxy = await start({ backends: [backend.address], proxyProtocol: TRUST_LOOPBACK });
    for (const header of [v1From("192.0.2.10:4000"), v2From("192.0.2.10:4000", "127.0.0.1:9509", { uniqueId: "x" })]) {
      const whole = Buffer.concat([header, Buffer.from("hello")]);
      for (const cuts of [
        [],
        [1],
        [header.length - 1],
        [header.length],
        [header.length + 2],
        Array.from({ length: whole.length }, (_, i) => i),
      ]) {
        const pieces: Uint8Array[] = [];
        let from = 0;
        for (const at of [...cuts, whole.length]) {
          if (at > from) pieces.push(whole.subarray(from, at));
          from = at;
        }
        const c = await roundTrip(proxy, pieces, "hello");
        c.socket.end();
      }
    }
    const l = proxy.stats().listeners[0]!;
    expect(l.preambles).toEqual({ live: 0, done: 12, bypassed: 0 });
    expect(l.preambleFailures).toEqual({});
  });

  test("the access log names the header's client and the real peer; UNKNOWN and LOCAL use the connection's own address", async () => {
    const log = memoryLogger();
    await using proxy = await start({ backends: [backend.address], proxyProtocol: TRUST_LOOPBACK }, log);
    for (const header of [v2From("[2001:db8::5]:7000", "[2001:db8::1]:443", { uniqueId: "lb-17" }), PROXY_V1_UNKNOWN, PROXY_V2_LOCAL]) {
      const c = await roundTrip(proxy, [Buffer.concat([header, Buffer.from("ping")])], "ping");
      c.socket.end();
      await c.closed;
    }
    await waitFor(() => log.lines.filter((l) => l.msg === "session").length === 3, "three access-log lines");
    const lines = log.lines.filter((l) => l.msg === "session");
    expect(lines[0]).toMatchObject({
      client: "2001:db8::5",
      clientPort: 7000,
      peer: "127.0.0.1",
      peerPort: expect.any(Number),
      upstreamId: "lb-17",
      bytesFromClient: 4,
    });
    for (const line of lines.slice(1)) {
      expect(line).toMatchObject({ client: "127.0.0.1" });
      expect(line.peer).toBeUndefined();
      expect(line.upstreamId).toBeUndefined();
    }
  });

  test("allow/deny and maxConnectionsPerClient count the header's address, not the proxy's", async () => {
    await using proxy = await start({
      backends: [backend.address],
      proxyProtocol: TRUST_LOOPBACK,
      deny: ["198.51.100.0/24"],
      maxConnectionsPerClient: 1,
    });
    const denied = await connectClient(portOf(proxy));
    await denied.send(Buffer.concat([v1From("198.51.100.7:1"), Buffer.from("x")]));
    expect(await denied.closed).toBeNull();
    expect(denied.receivedBytes).toBe(0);
    // Two clients through one proxy address: both served, because they are different clients.
    const a = await roundTrip(proxy, [Buffer.concat([v1From("203.0.113.1:1"), Buffer.from("a")])], "a");
    const b = await roundTrip(proxy, [Buffer.concat([v1From("203.0.113.2:1"), Buffer.from("b")])], "b");
    // A second connection of 203.0.113.1 is over its limit of 1.
    const again = await connectClient(portOf(proxy));
    await again.send(Buffer.concat([v1From("203.0.113.1:2"), Buffer.from("c")]));
    expect(await again.closed).toBeNull();
    expect(proxy.stats().listeners[0]!.rejected).toMatchObject({ denied: 1, perClient: 1 });
    a.socket.end();
    b.socket.end();
  });

  test("hash balancing hashes the header's address: one client sticks to one backend, many spread", async () => {
    using second = echoBackend();
    using third = echoBackend();
    await using proxy = await start({
      backends: [backend.address, second.address, third.address],
      balance: "hash",
      proxyProtocol: TRUST_LOOPBACK,
    });
    const stats = () => proxy.stats().listeners[0]!.backends.map((b) => b.sessionsTotal);
    for (let i = 0; i < 6; i++) (await roundTrip(proxy, [Buffer.concat([v2From("10.20.30.40:1"), Buffer.from("s")])], "s")).socket.end();
    expect(stats().filter((n) => n > 0)).toEqual([6]);
    for (let i = 0; i < 60; i++)
      (await roundTrip(proxy, [Buffer.concat([v2From(`10.${i}.${i * 3}.1:1`), Buffer.from("s")])], "s")).socket.end();
    expect(stats().every((n) => n > 6)).toBe(true);
  });

  test("an untrusted source is refused at once and counted; nothing reaches a backend", async () => {
    await using proxy = await start({ backends: [backend.address], proxyProtocol: { trusted: ["10.0.0.0/8"] } });
    const before = backend.accepted;
    const c = await connectClient(portOf(proxy));
    await c.send(Buffer.concat([v1From("10.1.1.1:1"), Buffer.from("x")])).catch(() => {});
    expect(await c.closed).toBeNull();
    expect(proxy.stats().listeners[0]!.preambleFailures).toEqual({ PROXY_UNTRUSTED: 1 });
    expect(proxy.stats().listeners[0]!.sessionsTotal).toBe(0);
    expect(backend.accepted).toBe(before);
  });

  test('untrusted = "direct": an untrusted source is served as itself, and a header it sends is just its data', async () => {
    const log = memoryLogger();
    await using proxy = await start({ backends: [backend.address], proxyProtocol: { trusted: ["10.0.0.0/8"], untrusted: "direct" } }, log);
    const header = v1From("10.1.1.1:1");
    const c = await roundTrip(proxy, [Buffer.concat([header, Buffer.from("x")])], `${Buffer.from(header).toString()}x`);
    c.socket.end();
    await waitFor(() => log.lines.some((l) => l.msg === "session"), "the access-log line");
    expect(log.lines.find((l) => l.msg === "session")).toMatchObject({ client: "127.0.0.1" });
    expect(proxy.stats().listeners[0]!.preambles).toEqual({ live: 0, done: 0, bypassed: 1 });
  });

  test("a server-speaks-first backend is not reached before the header is complete", async () => {
    using greeter = echoBackend();
    await using proxy = await start({ backends: [greeter.address], proxyProtocol: { ...TRUST_LOOPBACK, timeoutMs: 2000 } });
    const c = await connectClient(portOf(proxy));
    const header = v2From("192.0.2.1:1");
    await c.send(header.subarray(0, 10));
    await Bun.sleep(50);
    expect(greeter.accepted).toBe(0);
    await c.send(header.subarray(10));
    await waitFor(() => greeter.accepted === 1, "the backend connect after the header");
    c.socket.end();
  });

  test("reload turns proxyProtocol on and off: a live session keeps flowing, new connections follow the new setting", async () => {
    const base = { listeners: [{ name: "l", listen: "127.0.0.1:0", backends: [backend.address] }] };
    await using proxy = await startProxy(base, { logger: new Logger("silent") });
    const port = portOf(proxy);
    const live = await roundTrip(proxy, [Buffer.from("before")], "before");
    proxy.reload(await parse({ listeners: [{ ...base.listeners[0]!, proxyProtocol: TRUST_LOOPBACK }] }));
    await live.send("during");
    await live.waitFor("beforeduring".length);
    const bare = await connectClient(port);
    await bare.send("no header");
    expect(await bare.closed).toBeNull();
    expect(proxy.stats().listeners[0]!.preambleFailures).toEqual({ PROXY_MISSING: 1 });
    (await roundTrip(proxy, [Buffer.concat([v1From("192.0.2.2:2"), Buffer.from("with")])], "with")).socket.end();
    proxy.reload(await parse(base));
    (await roundTrip(proxy, [Buffer.from("off again")], "off again")).socket.end();
    await live.send("after");
    await live.waitFor("beforeduringafter".length);
    expect(live.received().toString()).toBe("beforeduringafter");
    live.socket.end();
  });
});

async function parse(config: unknown) {
  const { parseConfig } = await import("../../src/index.ts");
  const c = parseConfig(config);
  if (c instanceof Error) throw c;
  return c;
}

describe("pool mode", () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis[Symbol.asyncDispose]();
  });

  test("a pooled listener accepts the header: requests after it are served, the client is the header's", async () => {
    const log = memoryLogger();
    await using proxy = await start(
      { backends: [redis.address], mode: "pool", pool: { framer: { kind: "resp" }, multiplex: true }, proxyProtocol: TRUST_LOOPBACK },
      log,
    );
    for (const header of [v1From("192.0.2.77:5000"), v2From("192.0.2.78:5001")]) {
      using c = await RespClient.connect(portOf(proxy));
      expect(await c.sendRaw(Buffer.concat([header, Buffer.from("PING\r\n*1\r\n$4\r\nPING\r\n")]), 2)).toEqual(["PONG", "PONG"]);
    }
    await waitFor(() => log.lines.filter((l) => l.msg === "pooled session").length === 2, "two pooled access-log lines");
    expect(log.lines.filter((l) => l.msg === "pooled session").map((l) => [l.client, l.clientPort, l.peer])).toEqual([
      ["192.0.2.77", 5000, "127.0.0.1"],
      ["192.0.2.78", 5001, "127.0.0.1"],
    ]);
  });
});

/**
 * SNI routing without terminating TLS: real TLS servers (Bun.listen with tls, certificates made by
 * openssl at test time) behind warren, real TLS clients (Bun's, and openssl s_client) in front. Each
 * client lands on the route its server name picks (exact, then the longest wildcard, then the
 * listener's own backends), completes its handshake with that server end to end, and the bytes each
 * side receives are exactly the bytes the other sent. A reload changes routes for new sessions.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Logger, parseConfig, startProxy } from "../../src/index.ts";
import { closedPort, echoBackend } from "../helpers/backends.ts";
import { connectClient } from "../helpers/client.ts";
import { memoryLogger, portOf, waitFor } from "../helpers/proxy.ts";
import { makeCert, opensslClientHello, tap, type TestCert, tlsAsk, tlsTagServer } from "../helpers/sni-peers.ts";

let cert: TestCert;
beforeAll(() => {
  cert = makeCert(["example.com", "*.example.com", "*.b.example.com", "other.org"]);
});
afterAll(() => cert[Symbol.dispose]());

function servers(tags: string[]) {
  const all = tags.map((t) => tlsTagServer(cert, t));
  return Object.assign(all, { [Symbol.dispose]: () => all.forEach((s) => s.stop()) });
}

describe("which route a name picks", () => {
  test("exact first, then the longest wildcard suffix, then the default; case-insensitive; no SNI goes to the default", async () => {
    using s = servers(["A", "W", "L", "D"]);
    const [a, w, l, d] = s;
    const log = memoryLogger();
    await using proxy = await startProxy(
      {
        listeners: [
          {
            name: "sni",
            listen: "127.0.0.1:0",
            backends: [d!.address],
            routes: [
              { sni: "*.example.com", backends: [w!.address] },
              { sni: "a.example.com", backends: [a!.address] },
              { sni: "*.b.example.com", backends: [l!.address] },
            ],
          },
        ],
      },
      { logger: log },
    );
    const port = portOf(proxy);
    const asked: [string | null, string][] = [
      ["a.example.com", "A"],
      ["A.Example.COM", "A"],
      ["x.example.com", "W"],
      ["b.example.com", "W"], // "*.b.example.com" needs a label in front of b.example.com
      ["y.b.example.com", "L"],
      ["z.y.b.example.com", "L"],
      ["example.com", "D"], // a wildcard never matches its own suffix
      ["other.org", "D"],
      // Bun's client, given no serverName, sends the host it connects to, "127.0.0.1", as SNI (RFC 6066
      // forbids IP literals there); no route can name an IP address, so it takes the default route.
      [null, "D"],
    ];
    const got: [string | null, string][] = [];
    for (const [name] of asked) got.push([name, (await tlsAsk(port, name, "hi")).split(":")[0]!]);
    expect(got).toEqual(asked);
    const st = proxy.stats().listeners[0]!;
    expect(st.routes!.map((r) => [r.sni, r.sessionsTotal])).toEqual([
      ["*.example.com", 2],
      ["a.example.com", 2],
      ["*.b.example.com", 2],
    ]);
    expect(st.sessionsTotal).toBe(9);
    expect(st.routes![0]!.backends.map((b) => [b.address, b.sessionsTotal])).toEqual([[w!.address, 2]]);
    await waitFor(() => log.lines.filter((x) => x.msg === "session").length === 9, "nine access-log lines");
    const lines = log.lines.filter((x) => x.msg === "session").map((x) => [x.sni ?? null, x.route ?? null, x.backend]);
    expect(lines).toContainEqual(["a.example.com", "a.example.com", a!.address]);
    expect(lines).toContainEqual(["y.b.example.com", "*.b.example.com", l!.address]);
    expect(lines).toContainEqual(["other.org", null, d!.address]);
    expect(lines).toContainEqual(["127.0.0.1", null, d!.address]);
  });

  test("openssl s_client -servername completes its handshake with the routed server and talks to it", async () => {
    using s = servers(["A", "D"]);
    await using proxy = await startProxy(
      { listeners: [{ listen: "127.0.0.1:0", backends: [s[1]!.address], routes: [{ sni: "a.example.com", backends: [s[0]!.address] }] }] },
      { logger: new Logger("silent") },
    );
    const proc = Bun.spawn(["openssl", "s_client", "-connect", `127.0.0.1:${portOf(proxy)}`, "-servername", "a.example.com", "-quiet"], {
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
    });
    proc.stdin.write("ping\n");
    await proc.stdin.flush();
    const reader = proc.stdout.getReader();
    let out = "";
    const deadline = performance.now() + 10_000;
    while (!out.includes("A:ping") && performance.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      out += Buffer.from(value).toString();
    }
    proc.kill();
    await proc.exited;
    expect(out).toContain("A:ping");
    expect(s[0]!.handshakes).toBe(1);
  });
});

test("differential: the bytes the backend receives are the bytes the client sent, and back, through a full TLS session", async () => {
  using server = tlsTagServer(cert, "A");
  using backendSide = tap(server.port); // what reaches the backend
  await using proxy = await startProxy(
    { listeners: [{ listen: "127.0.0.1:0", routes: [{ sni: "a.example.com", backends: [`127.0.0.1:${backendSide.port}`] }] }] },
    { logger: new Logger("silent") },
  );
  using clientSide = tap(portOf(proxy)); // what the client sends
  for (const message of ["one", "x".repeat(20_000)]) {
    const reply = await tlsAsk(clientSide.port, "a.example.com", message);
    expect(reply.startsWith("A:")).toBe(true);
  }
  await waitFor(
    () =>
      clientSide.connections.every((c) => c.closed) &&
      backendSide.connections.every((c) => c.closed) &&
      backendSide.connections.length === 2,
    "both sessions closed on both sides",
  );
  expect(clientSide.connections.length).toBe(2);
  for (let i = 0; i < 2; i++) {
    const c = clientSide.connections[i]!;
    const b = backendSide.connections[i]!;
    expect(Buffer.concat(c.up).byteLength).toBeGreaterThan(200); // a ClientHello at least
    expect(Buffer.concat(b.up).equals(Buffer.concat(c.up))).toBe(true);
    expect(Buffer.concat(c.down).equals(Buffer.concat(b.down))).toBe(true);
  }
});

describe("what is not TLS, or matches nothing", () => {
  test("with a default route, plain bytes and a hello without SNI go to it untouched", async () => {
    using plain = echoBackend();
    using s = servers(["A"]);
    await using proxy = await startProxy(
      { listeners: [{ listen: "127.0.0.1:0", backends: [plain.address], routes: [{ sni: "a.example.com", backends: [s[0]!.address] }] }] },
      { logger: new Logger("silent") },
    );
    const c = await connectClient(portOf(proxy));
    await c.send("GET / HTTP/1.1\r\n\r\n");
    await c.waitFor(18);
    expect(c.received().toString()).toBe("GET / HTTP/1.1\r\n\r\n");
    c.socket.end();
    const noSni = await opensslClientHello(null);
    const h = await connectClient(portOf(proxy));
    await h.send(noSni);
    await h.waitFor(noSni.byteLength);
    expect(h.received().equals(Buffer.from(noSni))).toBe(true); // the echo backend is the default route
    h.socket.end();
  });

  test("without a default route, an unmatched name, a hello without SNI and plain bytes are refused as SNI_NO_ROUTE, before any backend is touched", async () => {
    using s = servers(["A"]);
    await using proxy = await startProxy(
      { listeners: [{ listen: "127.0.0.1:0", routes: [{ sni: "a.example.com", backends: [s[0]!.address] }] }] },
      { logger: new Logger("silent") },
    );
    const port = portOf(proxy);
    await expect(tlsAsk(port, "other.org", "hi")).rejects.toThrow();
    const noSni = await connectClient(port);
    await noSni.send(await opensslClientHello(null));
    expect(await noSni.closed).toBeNull();
    const c = await connectClient(port);
    await c.send("GET / HTTP/1.1\r\n\r\n");
    expect(await c.closed).toBeNull();
    expect(await tlsAsk(port, "a.example.com", "hi")).toBe("A:hi");
    const st = proxy.stats().listeners[0]!;
    expect(st.preambleFailures).toEqual({ SNI_NO_ROUTE: 3 });
    expect(st.sessionsTotal).toBe(1);
    expect(s[0]!.handshakes).toBe(1);
  });
});

test("a reload changes the routes for new sessions; a session on a route that went keeps its backend", async () => {
  using s = servers(["A", "B", "D"]);
  const [a, b, d] = s;
  const config = (routes: { sni: string; backends: string[] }[]) => {
    const c = parseConfig({ listeners: [{ name: "sni", listen: "127.0.0.1:0", backends: [d!.address], routes }] });
    if (c instanceof Error) throw c;
    return c;
  };
  await using proxy = await startProxy(config([{ sni: "a.example.com", backends: [a!.address] }]), { logger: new Logger("silent") });
  const port = portOf(proxy);
  expect(await tlsAsk(port, "a.example.com", "1")).toBe("A:1");
  // A session that stays open across the reload.
  const live = Promise.withResolvers<string>();
  const replies: string[] = [];
  const liveSocket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    tls: { serverName: "a.example.com", rejectUnauthorized: false },
    socket: {
      handshake: (sock) => void sock.write("before"),
      data: (_sock, chunk) => {
        replies.push(Buffer.from(chunk).toString());
        live.resolve(replies.join(""));
      },
    },
  });
  expect(await live.promise).toBe("A:before");
  proxy.reload(
    config([
      { sni: "a.example.com", backends: [b!.address] },
      { sni: "*.example.com", backends: [a!.address] },
    ]),
  );
  expect(await tlsAsk(port, "a.example.com", "2")).toBe("B:2");
  expect(await tlsAsk(port, "z.example.com", "3")).toBe("A:3");
  liveSocket.write("after");
  await waitFor(() => replies.join("").includes("A:after"), "the live session's reply from its own backend");
  liveSocket.end();
  proxy.reload(config([{ sni: "q.example.com", backends: [b!.address] }]));
  expect(await tlsAsk(port, "a.example.com", "4")).toBe("D:4");
  expect(proxy.stats().listeners[0]!.routes!.map((r) => r.sni)).toEqual(["q.example.com"]);
});

test("behind a PROXY header: the header's address is the client's, the hello after it picks the route", async () => {
  using s = servers(["A", "D"]);
  const log = memoryLogger();
  await using proxy = await startProxy(
    {
      listeners: [
        {
          listen: "127.0.0.1:0",
          backends: [s[1]!.address],
          routes: [{ sni: "a.example.com", backends: [s[0]!.address] }],
          proxyProtocol: { trusted: ["127.0.0.0/8"] },
        },
      ],
    },
    { logger: log },
  );
  // A relay that puts a v1 header in front of the client's TLS bytes, as a load balancer would.
  const front = Bun.listen<{ up: import("bun").Socket<unknown> | null; queued: Buffer[] }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(client) {
        client.data = { up: null, queued: [Buffer.from("PROXY TCP4 192.0.2.7 192.0.2.1 4242 443\r\n")] };
        Bun.connect({
          hostname: "127.0.0.1",
          port: portOf(proxy),
          socket: {
            open(up) {
              client.data.up = up;
              for (const q of client.data.queued) up.write(q);
            },
            data: (_u, chunk) => void client.write(chunk),
            close: () => void client.end(),
          },
        });
      },
      data(client, chunk) {
        if (client.data.up === null) client.data.queued.push(Buffer.from(chunk));
        else client.data.up.write(chunk);
      },
      close: (client) => void client.data.up?.end(),
    },
  });
  try {
    expect(await tlsAsk(front.port, "a.example.com", "hi")).toBe("A:hi");
    await waitFor(() => log.lines.some((x) => x.msg === "session"), "the access-log line");
    const line = log.lines.find((x) => x.msg === "session")!;
    expect([line.client, line.clientPort, line.sni, line.route]).toEqual(["192.0.2.7", 4242, "a.example.com", "a.example.com"]);
  } finally {
    front.stop(true);
  }
});

test("each route balances and checks its own backends: round robin within the route, a dead one marked down by active checks", async () => {
  using s = servers(["A1", "A2", "D"]);
  const dead = `127.0.0.1:${closedPort()}`;
  await using proxy = await startProxy(
    {
      listeners: [
        {
          listen: "127.0.0.1:0",
          backends: [s[2]!.address],
          routes: [{ sni: "a.example.com", backends: [s[0]!.address, s[1]!.address, dead] }],
          health: { active: { enabled: true, intervalMs: 50, timeoutMs: 200, rise: 1, fall: 1 } },
        },
      ],
    },
    { logger: new Logger("silent") },
  );
  const route = () => proxy.stats().listeners[0]!.routes![0]!;
  await waitFor(
    () => route().backends.find((b) => b.address === dead)?.healthy === false,
    "the dead backend marked down by the route's own checks",
  );
  expect(
    route()
      .backends.filter((b) => b.healthy)
      .map((b) => b.address),
  ).toEqual([s[0]!.address, s[1]!.address]);
  expect(proxy.stats().listeners[0]!.backends.map((b) => [b.address, b.healthy])).toEqual([[s[2]!.address, true]]);
  const tags: string[] = [];
  for (let i = 0; i < 4; i++) tags.push((await tlsAsk(portOf(proxy), "a.example.com", "x")).split(":")[0]!);
  expect(tags.toSorted()).toEqual(["A1", "A1", "A2", "A2"]);
  expect(proxy.stats().listeners[0]!.backends[0]!.sessionsTotal).toBe(0); // the default route took none
});

test("behind a PROXY header, a stall is counted under the stage it stalls in", async () => {
  using s = servers(["A"]);
  await using proxy = await startProxy(
    {
      listeners: [
        {
          listen: "127.0.0.1:0",
          routes: [{ sni: "a.example.com", backends: [s[0]!.address] }],
          proxyProtocol: { trusted: ["127.0.0.0/8"], timeoutMs: 150 },
          clientHello: { timeoutMs: 150 },
        },
      ],
    },
    { logger: new Logger("silent") },
  );
  const header = "PROXY TCP4 192.0.2.7 192.0.2.1 4242 443\r\n";
  const inHeader = await connectClient(portOf(proxy));
  await inHeader.send(header.slice(0, 10));
  const inHello = await connectClient(portOf(proxy));
  await inHello.send(Buffer.concat([Buffer.from(header), Buffer.from([22, 3, 1, 1, 0, 1])]));
  await Promise.all([inHeader.closed, inHello.closed]);
  expect(proxy.stats().listeners[0]!.preambleFailures).toEqual({ PREAMBLE_TIMEOUT: 1, CLIENT_HELLO_TIMEOUT: 1 });
});

test('with sendProxy = "v2" the backend\'s PROXY header carries the SNI as AUTHORITY, and the hello follows it untouched', async () => {
  const { recordingBackend } = await import("../helpers/proxy-protocol.ts");
  const { ProxyParser } = await import("../../src/edge/proxy-parser.ts");
  const { bunClientHello } = await import("../helpers/sni-peers.ts");
  using rec = recordingBackend();
  await using proxy = await startProxy(
    { listeners: [{ listen: "127.0.0.1:0", routes: [{ sni: "a.example.com", backends: [rec.address] }], sendProxy: "v2" }] },
    { logger: new Logger("silent") },
  );
  const hello = await bunClientHello("A.example.com");
  const c = await connectClient(portOf(proxy));
  await c.send(hello);
  await rec.waitFor(1, hello.byteLength + 16);
  const got = rec.connections[0]!;
  const parser = new ProxyParser("v2");
  const at = parser.feed(got);
  expect(parser.header!.tlvs.authority).toBe("a.example.com");
  await waitFor(() => rec.connections[0]!.byteLength - at === hello.byteLength, "the whole hello behind the header");
  expect(Buffer.from(rec.connections[0]!.subarray(at)).equals(Buffer.from(hello))).toBe(true);
  c.socket.end();
});

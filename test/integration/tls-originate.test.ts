/**
 * TLS to the backends (backendTls): warren is the TLS client, verifying by default. A backend whose
 * certificate does not verify (another CA, another name) is a failed connect, TLS_VERIFY_FAILED,
 * retried on the next backend and counted by passive health; verify = false lets it through. Backends
 * are Bun TLS servers and openssl s_server; clients are plain TCP or TLS themselves (TLS both ways).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TCPSocketListener } from "bun";
import { Logger, startProxy } from "../../src/index.ts";
import { connectClient } from "../helpers/client.ts";
import { eventually } from "../helpers/poll.ts";
import { portOf } from "../helpers/proxy.ts";
import { freePort, startHaproxy } from "../helpers/peers.ts";
import { recordingBackend } from "../helpers/proxy-protocol.ts";
import { ProxyParser } from "../../src/edge/proxy-parser.ts";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeCa, type Issued, type TestCa } from "../helpers/tls-certs.ts";
import { tlsConnect } from "../helpers/tls-client.ts";

let ca: TestCa;
let other: TestCa;
let ipCert: Issued;
let named: Issued;
let stranger: Issued;
beforeAll(() => {
  ca = makeCa();
  other = makeCa("someone else");
  ipCert = ca.issue(["127.0.0.1"]);
  named = ca.issue(["backend.internal"]);
  stranger = other.issue(["127.0.0.1"]);
});
afterAll(() => {
  ca[Symbol.dispose]();
  other[Symbol.dispose]();
});

const quiet = { logger: new Logger("silent") };

/** parseHeader reads the PROXY header a recording backend got, and the bytes after it. */
function parseHeader(bytes: Uint8Array) {
  const p = new ProxyParser();
  const at = p.feed(bytes);
  if (at < 0) throw new Error(`not a PROXY header (${p.failure}: ${p.reason})`);
  return { header: p.header!, rest: Buffer.from(bytes.subarray(at)).toString("latin1") };
}

/** A Bun TLS server that answers each chunk with `tag:` and the chunk; counts its completed handshakes. */
function tlsTagBackend(
  cert: Issued,
  tag: string,
  extra: Record<string, unknown> = {},
): { server: TCPSocketListener<undefined>; handshakes: number; address: string; [Symbol.dispose](): void } {
  const state = { handshakes: 0 };
  const server = Bun.listen<undefined>({
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert: cert.cert, key: cert.key, ...extra },
    socket: {
      handshake(_s, ok) {
        if (ok) state.handshakes++;
      },
      data(s, d) {
        s.write(`${tag}:${d}`);
      },
    },
  });
  return {
    server,
    get handshakes() {
      return state.handshakes;
    },
    address: `127.0.0.1:${server.port}`,
    [Symbol.dispose]: () => server.stop(true),
  };
}

async function ask(port: number, message: string): Promise<string> {
  const c = await connectClient(port);
  await c.send(Buffer.from(message));
  await eventually(
    () => c.receivedBytes,
    (n) => n > 0,
    "a reply",
  );
  const reply = c.received().toString();
  c.socket.end();
  return reply;
}

describe("verification", () => {
  test("a backend with a certificate from `ca` for its IP address is reached; the bytes go over TLS", async () => {
    using good = tlsTagBackend(ipCert, "A");
    await using proxy = await startProxy(
      { listeners: [{ listen: "127.0.0.1:0", backends: [good.address], backendTls: { ca: ca.certPath } }] },
      quiet,
    );
    expect(await ask(portOf(proxy), "hi")).toBe("A:hi");
    expect(good.handshakes).toBe(1);
  });

  test("a backend that fails verification is TLS_VERIFY_FAILED, retried on the next backend, and marked down by passive health", async () => {
    using bad = tlsTagBackend(stranger, "BAD");
    using good = tlsTagBackend(ipCert, "GOOD");
    await using proxy = await startProxy(
      {
        listeners: [
          {
            listen: "127.0.0.1:0",
            backends: [bad.address, good.address],
            balance: "round-robin",
            backendTls: { ca: ca.certPath },
            health: { passive: { failures: 2, cooldownMs: 60_000 } },
          },
        ],
      },
      quiet,
    );
    const port = portOf(proxy);
    const replies = [];
    for (let i = 0; i < 4; i++) replies.push(await ask(port, String(i)));
    expect(replies).toEqual(["GOOD:0", "GOOD:1", "GOOD:2", "GOOD:3"]);
    const st = proxy.stats().listeners[0]!;
    const badStats = st.backends.find((b) => b.address === bad.address)!;
    expect({ errors: badStats.connectErrors, healthy: badStats.healthy, retries: st.retries }).toEqual({
      errors: { TLS_VERIFY_FAILED: 2 },
      healthy: false,
      retries: 2,
    });
    expect(bad.handshakes).toBe(0);
  });

  test("with only unverifiable backends the client's session ends TLS_VERIFY_FAILED, blamed on the backend; verify = false connects", async () => {
    using bad = tlsTagBackend(stranger, "BAD");
    await using strict = await startProxy(
      { listeners: [{ listen: "127.0.0.1:0", backends: [bad.address], backendTls: { ca: ca.certPath } }] },
      quiet,
    );
    const c = await connectClient(portOf(strict));
    await c.send(Buffer.from("x"));
    await c.closed;
    expect(c.receivedBytes).toBe(0);
    await eventually(
      () => strict.stats().listeners[0]!.endsBySide,
      (e) => e["TLS_VERIFY_FAILED backend"] === 1,
      "the end counted",
    );
    await using lax = await startProxy(
      { listeners: [{ listen: "127.0.0.1:0", backends: [bad.address], backendTls: { verify: false } }] },
      quiet,
    );
    expect(await ask(portOf(lax), "y")).toBe("BAD:y");
  });

  test("serverName: sent as SNI and checked against the certificate; a name it does not carry fails", async () => {
    using backend = tlsTagBackend(named, "N");
    await using right = await startProxy(
      {
        listeners: [
          { listen: "127.0.0.1:0", backends: [backend.address], backendTls: { ca: ca.certPath, serverName: "backend.internal" } },
        ],
      },
      quiet,
    );
    expect(await ask(portOf(right), "z")).toBe("N:z");
    await using wrong = await startProxy(
      {
        listeners: [{ listen: "127.0.0.1:0", backends: [backend.address], backendTls: { ca: ca.certPath, serverName: "other.internal" } }],
      },
      quiet,
    );
    const c = await connectClient(portOf(wrong));
    await c.closed;
    expect(wrong.stats().listeners[0]!.backends[0]!.connectErrors).toEqual({ TLS_VERIFY_FAILED: 1 });
  });
});

test("sendProxy with backendTls to a backend that fails the handshake after the header: TLS_VERIFY_FAILED, retried on the next", async () => {
  using bad = tlsTagBackend(stranger, "BAD");
  const record = recordingBackend();
  const haproxyPort = freePort();
  const pem = join(ca.dir, "haproxy-retry.pem");
  writeFileSync(pem, named.cert + named.key);
  await using _haproxy = await startHaproxy(
    `frontend tls_in\n    bind 127.0.0.1:${haproxyPort} accept-proxy ssl crt ${pem}\n    default_backend record\nbackend record\n    server r ${record.address}\n`,
    [haproxyPort],
  );
  try {
    await using proxy = await startProxy(
      {
        listeners: [
          {
            listen: "127.0.0.1:0",
            backends: [bad.address, `127.0.0.1:${haproxyPort}`],
            balance: "round-robin",
            sendProxy: "v1",
            backendTls: { ca: ca.certPath, serverName: "backend.internal" },
          },
        ],
      },
      quiet,
    );
    const c = await connectClient(portOf(proxy));
    await c.send("hello");
    await eventually(
      () => record.connections.map((x) => Buffer.from(x).toString()),
      (all) => all.includes("hello"),
      "the session on the second backend",
    );
    const st = proxy.stats().listeners[0]!;
    expect(st.backends.find((b) => b.address === bad.address)!.connectErrors).toEqual({ TLS_VERIFY_FAILED: 1 });
    expect(st.retries).toBe(1);
    c.socket.end();
  } finally {
    record.stop();
  }
});

describe("active health checks over TLS", () => {
  test("probes complete a verified handshake: a backend whose certificate fails is down, the good one stays up", async () => {
    using bad = tlsTagBackend(stranger, "BAD");
    using good = tlsTagBackend(ipCert, "GOOD");
    await using proxy = await startProxy(
      {
        listeners: [
          {
            listen: "127.0.0.1:0",
            backends: [bad.address, good.address],
            backendTls: { ca: ca.certPath },
            health: { active: { enabled: true, intervalMs: 100, timeoutMs: 500, rise: 1, fall: 1, send: "ping", expect: "GOOD:ping" } },
          },
        ],
      },
      quiet,
    );
    const backends = () => proxy.stats().listeners[0]!.backends;
    await eventually(
      () => backends().map((b) => b.checksTotal),
      (n) => n.every((x) => x >= 2),
      "two probes of each",
    );
    const [b, g] = backends();
    expect({ healthy: b!.healthy, reason: b!.lastCheckReason?.slice(0, 20) }).toEqual({ healthy: false, reason: "TLS handshake failed" });
    expect({ healthy: g!.healthy, ok: g!.lastCheckOk }).toEqual({ healthy: true, ok: true });
    expect(good.handshakes).toBeGreaterThanOrEqual(2);
  });
});

test("terminate, route by SNI, originate again: a route's backends are reached and probed over verified TLS", async () => {
  using routed = tlsTagBackend(ipCert, "R");
  using fallback = tlsTagBackend(ipCert, "D");
  const front = ca.issue(["api.example.com", "localhost"]);
  await using proxy = await startProxy(
    {
      listeners: [
        {
          listen: "127.0.0.1:0",
          backends: [fallback.address],
          tls: { cert: front.certPath, key: front.keyPath },
          routes: [{ sni: "api.example.com", backends: [routed.address] }],
          backendTls: { ca: ca.certPath },
          health: { active: { enabled: true, intervalMs: 100, timeoutMs: 500, rise: 1, fall: 1, send: "ping", expect: "R:ping" } },
        },
      ],
    },
    quiet,
  );
  const st = () => proxy.stats().listeners[0]!;
  await eventually(
    () => st().routes?.[0]?.backends[0]?.lastCheckOk,
    (ok) => ok === true,
    "the route's backend probed over TLS",
  );
  const c = await tlsConnect(portOf(proxy), { serverName: "api.example.com", ca: ca.cert });
  await c.send(Buffer.from("hi"));
  expect((await c.read(4)).toString()).toBe("R:hi");
  c.end();
  // The default route's backend answers "D:ping", which the listener's probe does not expect: down, by the reply, after a verified handshake.
  await eventually(
    () => st().backends[0]!.lastCheckReason ?? "",
    (r) => r.startsWith("reply did not match"),
    "the default backend's probe reply",
  );
});

describe("interop", () => {
  test("sendProxy with backendTls: the PROXY header in plaintext, then TLS, into HAProxy `bind … accept-proxy ssl crt`; probes too", async () => {
    const record = recordingBackend();
    const haproxyPort = freePort();
    const pem = join(ca.dir, "haproxy.pem");
    writeFileSync(pem, named.cert + named.key);
    await using _haproxy = await startHaproxy(
      `
frontend tls_in
    bind 127.0.0.1:${haproxyPort} accept-proxy ssl crt ${pem}
    default_backend record

backend record
    server r ${record.address} send-proxy-v2
`,
      [haproxyPort],
    );
    try {
      await using proxy = await startProxy(
        {
          listeners: [
            {
              listen: "127.0.0.1:0",
              backends: [`127.0.0.1:${haproxyPort}`],
              sendProxy: "v2",
              backendTls: { ca: ca.certPath, serverName: "backend.internal" },
              health: { active: { enabled: true, intervalMs: 60_000 } },
            },
          ],
        },
        quiet,
      );
      // The first probe: a LOCAL header in plaintext, a verified handshake; HAProxy relays it as warren's own connection.
      await eventually(
        () => record.connections.length,
        (n) => n >= 1,
        "the probe through HAProxy",
      );
      await eventually(
        () => proxy.stats().listeners[0]!.backends[0]!.lastCheckOk,
        (ok) => ok === true,
        "the probe to pass",
      );
      const c = await connectClient(portOf(proxy));
      await c.send("payload over TLS");
      const i = record.connections.length; // the probe's connection came first
      await eventually(
        () => Buffer.from(record.connections[i] ?? new Uint8Array()).toString("latin1"),
        (t) => t.endsWith("payload over TLS"),
        "the session through HAProxy",
      );
      const got = parseHeader(record.connections[i]!);
      // HAProxy read warren's header before the TLS handshake: the client's own address reached the backend.
      expect(got.header).toMatchObject({
        source: { address: "127.0.0.1", port: c.socket.localPort },
        destination: { address: "127.0.0.1", port: portOf(proxy) },
      });
      expect(got.rest).toBe("payload over TLS");
      c.socket.end();
    } finally {
      record.stop();
    }
  });

  test("openssl s_server as the backend, requiring warren's client certificate; TLS in and TLS out", async () => {
    const port = freePort();
    const client = ca.issue(["warren"], { client: true });
    const front = ca.issue(["localhost"]);
    const server = Bun.spawn(
      [
        "openssl",
        "s_server",
        "-accept",
        `127.0.0.1:${port}`,
        "-cert",
        named.certPath,
        "-key",
        named.keyPath,
        "-CAfile",
        ca.certPath,
        "-Verify",
        "1",
        "-rev",
        "-quiet",
      ],
      { stdin: "pipe", stdout: "pipe", stderr: "pipe" },
    );
    try {
      await eventually(
        () =>
          Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } }).then(
            (s) => (s.end(), true),
            () => false,
          ),
        (ok) => ok,
        "openssl s_server to listen",
      );
      await using proxy = await startProxy(
        {
          listeners: [
            {
              listen: "127.0.0.1:0",
              backends: [`127.0.0.1:${port}`],
              tls: { cert: front.certPath, key: front.keyPath },
              backendTls: { ca: ca.certPath, serverName: "backend.internal", cert: client.certPath, key: client.keyPath },
            },
          ],
        },
        quiet,
      );
      const c = await tlsConnect(portOf(proxy), { serverName: "localhost", ca: ca.cert });
      expect(c.authorized).toBe(true);
      // s_server -rev answers each line reversed.
      await c.send(Buffer.from("warren\n"));
      expect((await c.read(7)).toString()).toBe("nerraw\n");
      c.end();
    } finally {
      server.kill();
    }
  });
});

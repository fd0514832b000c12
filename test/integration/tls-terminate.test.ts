/**
 * TLS termination: warren holds the certificates, the mode sees plaintext. Real clients (Bun's TLS
 * client, openssl s_client, curl) against certificates made by openssl at test time; plain backends
 * behind. The relay is the mode's own: byte-exact both ways, backpressure, the same session stats.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Logger, startProxy } from "../../src/index.ts";
import { echoBackend, floodBackend, stallBackend } from "../helpers/backends.ts";
import { startRedis } from "../helpers/redis.ts";
import { randomBytes, sha256 } from "../helpers/client.ts";
import { eventually } from "../helpers/poll.ts";
import { portOf } from "../helpers/proxy.ts";
import { makeCa, type Issued, type TestCa } from "../helpers/tls-certs.ts";
import { tlsConnect } from "../helpers/tls-client.ts";

let ca: TestCa;
let main: Issued;
let wild: Issued;
beforeAll(() => {
  ca = makeCa();
  main = ca.issue(["localhost", "127.0.0.1"]);
  wild = ca.issue(["*.example.com"]);
});
afterAll(() => ca[Symbol.dispose]());

const quiet = { logger: new Logger("silent") };

function tlsListener(backend: string, tls: Record<string, unknown> = {}, more: Record<string, unknown> = {}) {
  return {
    listeners: [
      { name: "tls", listen: "127.0.0.1:0", backends: [backend], tls: { cert: main.certPath, key: main.keyPath, ...tls }, ...more },
    ],
  };
}

describe("termination", () => {
  test("a Bun TLS client gets the main certificate, verified by the CA, and its bytes echoed byte-exact", async () => {
    using backend = echoBackend();
    await using proxy = await startProxy(tlsListener(backend.address), quiet);
    const c = await tlsConnect(portOf(proxy), { serverName: "localhost", ca: ca.cert });
    expect({ authorized: c.authorized, serial: c.serial }).toEqual({ authorized: true, serial: main.serial });
    const payload = randomBytes(3 << 20, 7);
    await c.send(payload);
    const got = await c.read(payload.byteLength, 10_000);
    expect(sha256(got)).toBe(sha256(payload));
    c.end();
    await eventually(
      () => proxy.stats().listeners[0]!.ends.ok ?? 0,
      (n) => n === 1,
      "the session to end ok",
    );
    const l = proxy.stats().listeners[0]!;
    expect({ sessionsTotal: l.sessionsTotal, fromClients: l.bytesFromClients, fromBackends: l.bytesFromBackends }).toEqual({
      sessionsTotal: 1,
      fromClients: payload.byteLength,
      fromBackends: payload.byteLength,
    });
  });
});

/** openssl s_client's view of a handshake: the served certificate's subject, the protocol, ALPN, and whether it got through. */
async function sClient(port: number, args: string[]): Promise<string> {
  const p = Bun.spawn(["openssl", "s_client", "-connect", `127.0.0.1:${port}`, "-CAfile", ca.certPath, ...args], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
  });
  p.stdin.write("ping\n");
  p.stdin.end();
  const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
  await p.exited;
  return out + err;
}

describe("the relay on a TLS socket", () => {
  test("backpressure: a TLS client that stops reading pauses the backend; warren queues at most highWaterBytes and a chunk", async () => {
    const TOTAL = 64 << 20;
    using backend = floodBackend(TOTAL);
    await using proxy = await startProxy(tlsListener(backend.address, {}, { highWaterBytes: 256 * 1024 }), quiet);
    const c = await tlsConnect(portOf(proxy), { serverName: "localhost" });
    c.socket.pause();
    // Wait until the queue stops growing: the backend is paused, and nothing more is read from it.
    let last = -1;
    const queued = () => proxy.stats().listeners[0]!.queuedBytes;
    await eventually(
      async () => {
        const q = queued();
        const stable = q === last && q > 0;
        last = q;
        await Bun.sleep(50);
        return stable;
      },
      (x) => x,
      "the queue to stop growing",
    );
    expect(queued()).toBeLessThanOrEqual(256 * 1024 + 512 * 1024);
    c.socket.resume();
    await c.read(TOTAL, 20_000);
    expect(c.received().byteLength).toBe(TOTAL);
  }, 30_000);

  test("backpressure the other way: a backend that stops reading pauses the TLS client's socket, and the client's writes stall", async () => {
    using backend = stallBackend();
    await using proxy = await startProxy(tlsListener(backend.address, {}, { highWaterBytes: 256 * 1024 }), quiet);
    const c = await tlsConnect(portOf(proxy), { serverName: "localhost" });
    const TOTAL = 256 << 20;
    let sent = 0;
    const block = Buffer.alloc(64 * 1024, 0x62);
    const sending = (async () => {
      while (sent < TOTAL) {
        const n = c.socket.write(block);
        if (n < 0) return;
        sent += n;
        if (n < block.byteLength) await Bun.sleep(5);
      }
    })();
    let last = -1;
    await eventually(
      async () => {
        const stable = sent === last && sent > 0;
        last = sent;
        await Bun.sleep(100);
        return stable;
      },
      (x) => x,
      "the client's writes to stall",
    );
    // What is in flight is the kernel's buffers on both hops and warren's high-water mark, not the whole upload.
    expect(sent).toBeLessThan(64 << 20);
    expect(proxy.stats().listeners[0]!.queuedBytes).toBeLessThanOrEqual(256 * 1024 + 512 * 1024);
    c.socket.terminate();
    await sending;
  }, 30_000);

  test("a pooled listener terminates TLS too: Redis commands over TLS, replies in order", async () => {
    await using redis = await startRedis();
    await using proxy = await startProxy(tlsListener(redis.address, {}, { mode: "pool", pool: { framer: { kind: "resp" } } }), quiet);
    const c = await tlsConnect(portOf(proxy), { serverName: "localhost", ca: ca.cert });
    await c.send(Buffer.from("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nv1\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPING\r\n"));
    expect((await c.read(20)).toString()).toBe("+OK\r\n$2\r\nv1\r\n+PONG\r\n");
    c.end();
    await eventually(
      () => proxy.stats().listeners[0]!.sessionsTotal,
      (n) => n === 1,
      "one pooled client",
    );
  });
});

describe("certificates by SNI, ALPN, versions", () => {
  test("openssl s_client -servername gets the certificate of the name it asks for; no match or no SNI gets the main one", async () => {
    using backend = echoBackend();
    await using proxy = await startProxy(
      tlsListener(backend.address, { certs: [{ serverName: "*.example.com", cert: wild.certPath, key: wild.keyPath }] }),
      quiet,
    );
    const port = portOf(proxy);
    const subject = (out: string) => /subject=\s*CN\s*=\s*(\S+)/.exec(out)?.[1] ?? out;
    expect(subject(await sClient(port, ["-servername", "a.example.com"]))).toBe("*.example.com");
    expect(subject(await sClient(port, ["-servername", "A.EXAMPLE.COM"]))).toBe("*.example.com");
    expect(subject(await sClient(port, ["-servername", "a.b.example.com"]))).toBe("localhost"); // one label, as certificates match
    expect(subject(await sClient(port, ["-servername", "other.org"]))).toBe("localhost");
    expect(subject(await sClient(port, ["-noservername"]))).toBe("localhost");
    const bun = await tlsConnect(port, { serverName: "x.example.com", ca: ca.cert });
    expect({ serial: bun.serial, authorized: bun.authorized }).toEqual({ serial: wild.serial, authorized: true });
    bun.end();
  });

  test("ALPN picks the first of the listener's protocols the client offers; minVersion TLSv1.3 refuses a TLS 1.2 client", async () => {
    using backend = echoBackend();
    await using proxy = await startProxy(tlsListener(backend.address, { alpn: ["h2", "http/1.1"], minVersion: "TLSv1.3" }), quiet);
    const port = portOf(proxy);
    const c = await tlsConnect(port, { serverName: "localhost", alpn: ["http/1.1", "h2"] });
    expect(c.alpn).toBe("h2");
    c.end();
    expect(await sClient(port, ["-servername", "localhost", "-alpn", "http/1.1"])).toContain("ALPN protocol: http/1.1");
    expect(await sClient(port, ["-servername", "localhost", "-tls1_2"])).toContain("alert protocol version");
    await eventually(
      () => proxy.stats().listeners[0]!.preambleFailures,
      (f) => f.TLS_HANDSHAKE_FAILED === 1,
      "the TLS 1.2 handshake counted as failed",
    );
  });

  test("curl --resolve through warren to an HTTP backend, verifying warren's certificate with the CA", async () => {
    using http = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (req) => new Response(`hello ${new URL(req.url).pathname}`) });
    await using proxy = await startProxy(tlsListener(`127.0.0.1:${http.port}`), quiet);
    const port = portOf(proxy);
    const p = Bun.spawn(
      ["curl", "-sS", "--cacert", ca.certPath, "--resolve", `localhost:${port}:127.0.0.1`, `https://localhost:${port}/path`],
      { stdout: "pipe", stderr: "pipe" },
    );
    const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
    expect({ code: await p.exited, out, err }).toEqual({ code: 0, out: "hello /path", err: "" });
  });
});

describe("mutual TLS", () => {
  test("a client certificate from clientCa is let through; none, or one from another CA, is refused and counted as TLS_CLIENT_CERT_REJECTED", async () => {
    using backend = echoBackend();
    using other = makeCa("someone else");
    const good = ca.issue(["client-a"], { client: true });
    const bad = other.issue(["client-b"], { client: true });
    await using proxy = await startProxy(tlsListener(backend.address, { clientCa: ca.certPath, requireClientCert: true }), quiet);
    const port = portOf(proxy);
    const c = await tlsConnect(port, { serverName: "localhost", cert: good.cert, key: good.key });
    await c.send(Buffer.from("hi"));
    expect((await c.read(2)).toString()).toBe("hi");
    // TLS 1.3: the client's handshake completes before the server has checked its certificate; the refusal is a close.
    for (const opts of [{}, { cert: bad.cert, key: bad.key }]) {
      const r = await tlsConnect(port, { serverName: "localhost", ...opts }).then(
        (x) => x.closed.then(() => "closed"),
        () => "failed",
      );
      expect(["closed", "failed"]).toContain(r);
    }
    await eventually(
      () => proxy.stats().listeners[0]!.preambleFailures,
      (f) => f.TLS_CLIENT_CERT_REJECTED === 2,
      "two rejections",
    );
    c.end();
  });

  test("clientCa without requireClientCert: no certificate is fine, an untrusted one is not", async () => {
    using backend = echoBackend();
    using other = makeCa("someone else");
    const bad = other.issue(["client-b"], { client: true });
    await using proxy = await startProxy(tlsListener(backend.address, { clientCa: ca.certPath }), quiet);
    const c = await tlsConnect(portOf(proxy), { serverName: "localhost" });
    await c.send(Buffer.from("hi"));
    expect((await c.read(2)).toString()).toBe("hi");
    c.end();
    await tlsConnect(portOf(proxy), { serverName: "localhost", cert: bad.cert, key: bad.key }).then(
      (x) => x.closed,
      () => undefined,
    );
    await eventually(
      () => proxy.stats().listeners[0]!.preambleFailures,
      (f) => f.TLS_CLIENT_CERT_REJECTED === 1,
      "the untrusted certificate refused",
    );
  });
});

describe("routes behind termination", () => {
  test("with tls, routes pick backends by the SNI of the handshake warren terminated; no match goes to the default route", async () => {
    const tag = (t: string) => Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data: (s, d) => void s.write(`${t}:${d}`) } });
    const a = tag("A");
    const d = tag("D");
    try {
      await using proxy = await startProxy(
        {
          listeners: [
            {
              name: "tls",
              listen: "127.0.0.1:0",
              backends: [`127.0.0.1:${d.port}`],
              tls: {
                cert: main.certPath,
                key: main.keyPath,
                certs: [{ serverName: "*.example.com", cert: wild.certPath, key: wild.keyPath }],
              },
              routes: [{ sni: "api.example.com", backends: [`127.0.0.1:${a.port}`] }],
            },
          ],
        },
        quiet,
      );
      const ask = async (serverName: string) => {
        const c = await tlsConnect(portOf(proxy), { serverName, ca: ca.cert });
        await c.send(Buffer.from("x"));
        const reply = (await c.read(3)).toString();
        c.end();
        return [c.serial, reply];
      };
      expect(await ask("api.example.com")).toEqual([wild.serial, "A:x"]);
      expect(await ask("www.example.com")).toEqual([wild.serial, "D:x"]);
      expect(await ask("localhost")).toEqual([main.serial, "D:x"]);
      expect(proxy.stats().listeners[0]!.routes).toMatchObject([{ sni: "api.example.com", sessionsTotal: 1 }]);
    } finally {
      a.stop(true);
      d.stop(true);
    }
  });
});

describe("a unix socket listener", () => {
  test("terminates TLS on unix:/PATH as on TCP", async () => {
    using backend = echoBackend();
    const path = `${ca.dir}/tls.sock`;
    await using _proxy = await startProxy(
      { listeners: [{ name: "u", listen: `unix:${path}`, backends: [backend.address], tls: { cert: main.certPath, key: main.keyPath } }] },
      quiet,
    );
    const got = Promise.withResolvers<string>();
    const socket = await Bun.connect({
      unix: path,
      tls: { serverName: "localhost", ca: ca.cert },
      socket: {
        handshake(s, ok) {
          expect({ ok, authorized: s.authorized }).toEqual({ ok: true, authorized: true });
          s.write("over unix");
        },
        data: (_s, d) => got.resolve(d.toString()),
      },
    });
    expect(await got.promise).toBe("over unix");
    socket.end();
  });
});

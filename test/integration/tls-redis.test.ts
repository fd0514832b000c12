/**
 * A pooled listener to Redis over TLS (backendTls): Debian's redis-server is built with TLS, so a real
 * Redis listening only on a TLS port (--port 0) serves the pool's connections, verified against the
 * test CA; a Redis whose certificate the CA did not sign is refused as TLS_VERIFY_FAILED and each
 * client's request fails without ever reaching it.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Logger, startProxy } from "../../src/index.ts";
import { connectClient } from "../helpers/client.ts";
import { eventually } from "../helpers/poll.ts";
import { portOf } from "../helpers/proxy.ts";
import { freePort } from "../helpers/redis.ts";
import { makeCa, type Issued, type TestCa } from "../helpers/tls-certs.ts";

let ca: TestCa;
let other: TestCa;
let server: Issued;
let stranger: Issued;
beforeAll(() => {
  ca = makeCa();
  other = makeCa("someone else");
  server = ca.issue(["redis.internal", "127.0.0.1"]);
  stranger = other.issue(["redis.internal", "127.0.0.1"]);
});
afterAll(() => {
  ca[Symbol.dispose]();
  other[Symbol.dispose]();
});

/** tlsRedis starts redis-server on a TLS port only, with `cert`; resolves once it answers a TLS PING. */
async function tlsRedis(cert: Issued, caPath: string): Promise<{ address: string; [Symbol.asyncDispose](): Promise<void> }> {
  const port = freePort();
  const proc = Bun.spawn(
    [
      "redis-server",
      "--port",
      "0",
      "--tls-port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--tls-cert-file",
      cert.certPath,
      "--tls-key-file",
      cert.keyPath,
      "--tls-ca-cert-file",
      caPath,
      "--tls-auth-clients",
      "no",
      "--save",
      "",
      "--appendonly",
      "no",
      "--loglevel",
      "warning",
    ],
    { stdout: "ignore", stderr: "ignore" },
  );
  await eventually(
    () =>
      Bun.connect({ hostname: "127.0.0.1", port, tls: { rejectUnauthorized: false }, socket: { data() {} } }).then(
        (s) => (s.end(), true),
        () => false,
      ),
    (up) => up,
    "redis-server to listen on its TLS port",
  );
  return {
    address: `127.0.0.1:${port}`,
    async [Symbol.asyncDispose]() {
      proc.kill();
      await proc.exited;
    },
  };
}

const RESP = { mode: "pool", pool: { framer: { kind: "resp" } } };

test("pooled connections to a TLS-only Redis, verified by the CA: commands and replies in order", async () => {
  await using redis = await tlsRedis(server, ca.certPath);
  await using proxy = await startProxy(
    {
      listeners: [
        { listen: "127.0.0.1:0", backends: [redis.address], ...RESP, backendTls: { ca: ca.certPath, serverName: "redis.internal" } },
      ],
    },
    { logger: new Logger("silent") },
  );
  const c = await connectClient(portOf(proxy));
  await c.send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nv1\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPING\r\n");
  await c.waitFor(20);
  expect(c.received().toString()).toBe("+OK\r\n$2\r\nv1\r\n+PONG\r\n");
  c.socket.end();
});

test("a Redis whose certificate does not verify: the request fails with an error reply, the connect is counted as TLS_VERIFY_FAILED", async () => {
  await using redis = await tlsRedis(stranger, other.certPath);
  await using proxy = await startProxy(
    { listeners: [{ listen: "127.0.0.1:0", backends: [redis.address], ...RESP, backendTls: { ca: ca.certPath } }] },
    { logger: new Logger("silent") },
  );
  const c = await connectClient(portOf(proxy));
  await c.send("*1\r\n$4\r\nPING\r\n");
  await c.waitFor(1);
  expect(c.received().toString()).toStartWith("-ERR warren:");
  await eventually(
    () => proxy.stats().listeners[0]!.backends[0]!.connectErrors,
    (e) => (e.TLS_VERIFY_FAILED ?? 0) >= 1,
    "the failed verification counted",
  );
  c.socket.end();
});

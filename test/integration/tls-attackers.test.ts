/**
 * Attacks on a TLS-terminating listener: bytes that are not a ClientHello, a client that connects and
 * sends nothing (only the handshake timeout ends it: Bun gives no event), half a ClientHello then a
 * FIN or a reset, and a client certificate warren does not trust. Each closes only its own connection,
 * under its own code, before any backend is touched; an honest TLS session beside them flows on; no
 * socket or descriptor is left behind.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Logger, startProxy } from "../../src/index.ts";
import { echoBackend } from "../helpers/backends.ts";
import { connectClient, type TestClient } from "../helpers/client.ts";
import { openFds, portOf, waitFor } from "../helpers/proxy.ts";
import { bunClientHello } from "../helpers/sni-peers.ts";
import { makeCa, type Issued, type TestCa } from "../helpers/tls-certs.ts";
import { tlsConnect } from "../helpers/tls-client.ts";

const TIMEOUT_MS = 600;

/** Sockets on `port` that a process still holds: every state but LISTEN and TIME-WAIT. */
function liveSocketsOn(port: number): number {
  const out = Bun.spawnSync(["ss", "-Htan", `( sport = :${port} )`]).stdout.toString();
  return out.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("LISTEN") && !l.startsWith("TIME-WAIT")).length;
}
let ca: TestCa;
let main: Issued;
beforeAll(() => {
  ca = makeCa();
  main = ca.issue(["localhost"]);
});
afterAll(() => ca[Symbol.dispose]());

test("every attack closes only its own connection, under its own code; an honest session flows on; nothing leaks", async () => {
  using backend = echoBackend();
  using other = makeCa("someone else");
  const stranger = other.issue(["stranger"], { client: true });
  const friend = ca.issue(["friend"], { client: true });
  await using proxy = await startProxy(
    {
      listeners: [
        {
          listen: "127.0.0.1:0",
          backends: [backend.address],
          tls: { cert: main.certPath, key: main.keyPath, clientCa: ca.certPath, handshakeTimeoutMs: TIMEOUT_MS },
        },
      ],
    },
    { logger: new Logger("silent") },
  );
  const port = portOf(proxy);
  const hello = await bunClientHello("localhost");
  const fdsBefore = openFds();

  const honest = await tlsConnect(port, { serverName: "localhost", ca: ca.cert, cert: friend.cert, key: friend.key });
  const keepTalking = (async () => {
    for (let i = 0; i < 10; i++) {
      await honest.send(Buffer.from(String(i)));
      await honest.read(i + 1);
      await Bun.sleep(40);
    }
  })();

  const attack = async (send: (c: TestClient) => Promise<void>): Promise<{ ms: number }> => {
    const started = performance.now();
    const c = await connectClient(port);
    await send(c).catch(() => {});
    await c.closed;
    return { ms: performance.now() - started };
  };
  const [garbage, silent] = await Promise.all([
    attack((c) => c.send(Buffer.from("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"))),
    attack(async () => {}),
    attack(async (c) => {
      await c.send(hello.subarray(0, 50));
      await Bun.sleep(20);
      c.socket.end();
    }),
    attack(async (c) => {
      await c.send(hello.subarray(0, 50));
      await Bun.sleep(20);
      c.socket.terminate();
    }),
    tlsConnect(port, { serverName: "localhost", cert: stranger.cert, key: stranger.key }).then(
      (c) => c.closed,
      () => undefined,
    ),
  ]);
  await keepTalking;

  expect(garbage!.ms).toBeLessThan(TIMEOUT_MS);
  expect(silent!.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
  expect(silent!.ms).toBeLessThan(TIMEOUT_MS * 5);
  const st = proxy.stats().listeners[0]!;
  expect(st.preambleFailures).toEqual({ TLS_HANDSHAKE_FAILED: 3, TLS_HANDSHAKE_TIMEOUT: 1, TLS_CLIENT_CERT_REJECTED: 1 });
  // The same ends by code and side, as warren_frontend_session_ends_total renders them.
  expect(st.endsBySide).toMatchObject({
    "TLS_HANDSHAKE_FAILED client": 3,
    "TLS_HANDSHAKE_TIMEOUT client": 1,
    "TLS_CLIENT_CERT_REJECTED client": 1,
  });
  expect(st.sessionsTotal).toBe(1); // only the honest one was admitted
  expect(backend.accepted).toBe(1);
  expect(honest.received().toString()).toBe("0123456789");
  expect(st.preambles.live).toBe(0);

  honest.end();
  await waitFor(() => proxy.sessionCount === 0, "every session to end");
  await waitFor(() => liveSocketsOn(port) === 0, "no socket left open on warren's port (TIME-WAIT is the kernel's, not a leak)");
  await waitFor(() => openFds() <= fdsBefore, `fds back to ${fdsBefore} (now ${openFds()})`);
}, 20_000);

test("handshakes in progress count toward maxConnections: silent clients cannot hold more sockets than the listener serves; leaving without a byte is no failure", async () => {
  using backend = echoBackend();
  await using proxy = await startProxy(
    {
      listeners: [
        {
          listen: "127.0.0.1:0",
          backends: [backend.address],
          maxConnections: 2,
          tls: { cert: main.certPath, key: main.keyPath, handshakeTimeoutMs: 60_000 },
        },
      ],
    },
    { logger: new Logger("silent") },
  );
  const port = portOf(proxy);
  const silent = [await connectClient(port), await connectClient(port)];
  await waitFor(() => proxy.stats().listeners[0]!.preambles.live === 2, "two handshakes pending");
  const third = await connectClient(port);
  expect(await third.closed).toBeNull();
  expect(proxy.stats().listeners[0]!.rejected.maxConnections).toBe(1);
  for (const c of silent) c.socket.end();
  await waitFor(() => proxy.stats().listeners[0]!.preambles.live === 0, "the silent clients gone");
  // Connected and left without a byte (a port check): no failed handshake, as for a PROXY header.
  expect(proxy.stats().listeners[0]!.preambleFailures).toEqual({});
  const honest = await tlsConnect(port, { serverName: "localhost" });
  await honest.send(Buffer.from("ok"));
  expect((await honest.read(2)).toString()).toBe("ok");
  honest.end();
});

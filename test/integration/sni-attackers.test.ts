/**
 * Attacks on a listener with SNI routes: a ClientHello trickled one byte at a time (served: it is still
 * a hello, within the timeout), one that announces more than clientHello.maxBytes, one that stalls past
 * clientHello.timeoutMs, one cut off by a close or a reset halfway, and TLS records that are no
 * ClientHello. Each closes only its own connection, with its own end code and counter, before any
 * backend is touched; an honest TLS session beside them flows on; nothing is left on warren's port.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Logger, startProxy } from "../../src/index.ts";
import { connectClient, type TestClient } from "../helpers/client.ts";
import { openFds, portOf, waitFor } from "../helpers/proxy.ts";
import { tcpSocketsOn } from "../helpers/proxy-protocol.ts";
import { bunClientHello, makeCert, type TestCert, tlsTagServer } from "../helpers/sni-peers.ts";

const TIMEOUT_MS = 600;
let cert: TestCert;
beforeAll(() => {
  cert = makeCert(["a.example.com"]);
});
afterAll(() => cert[Symbol.dispose]());

test("every attack closes only its own connection, under its own code; a trickled hello is served; an honest session flows on", async () => {
  using server = tlsTagServer(cert, "A");
  await using proxy = await startProxy(
    {
      listeners: [
        {
          listen: "127.0.0.1:0",
          routes: [{ sni: "a.example.com", backends: [server.address] }],
          clientHello: { timeoutMs: TIMEOUT_MS, maxBytes: 4096 },
        },
      ],
    },
    { logger: new Logger("silent") },
  );
  const port = portOf(proxy);
  const hello = await bunClientHello("a.example.com");
  tcpSocketsOn(port);
  const fdsBefore = openFds();

  // The honest session: a real TLS client, talking throughout.
  const replies: string[] = [];
  const honestOpen = Promise.withResolvers<void>();
  const honest = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    tls: { serverName: "a.example.com", rejectUnauthorized: false },
    socket: {
      handshake: () => honestOpen.resolve(),
      data: (_s, chunk) => void replies.push(Buffer.from(chunk).toString()),
    },
  });
  await honestOpen.promise;
  const keepTalking = (async () => {
    for (let i = 0; i < 10; i++) {
      honest.write(String(i));
      await waitFor(() => replies.length > i, `honest reply ${i}`);
      await Bun.sleep(40);
    }
  })();

  const attack = async (send: (c: TestClient) => Promise<void>): Promise<{ closed: string | null; ms: number; bytes: number }> => {
    const started = performance.now();
    const c = await connectClient(port);
    await send(c).catch(() => {});
    const closed = await c.closed;
    return { closed, ms: performance.now() - started, bytes: c.receivedBytes };
  };
  const results = await Promise.all([
    // Trickled one byte at a time, fast enough to finish in time: a hello is a hello, however it comes.
    (async () => {
      const c = await connectClient(port);
      for (const byte of hello) await c.send(Uint8Array.of(byte));
      await waitFor(() => c.receivedBytes > 0, "the server's answer to the trickled hello");
      const first = c.received()[0];
      c.socket.end();
      await c.closed;
      return { closed: null, ms: 0, bytes: first === 22 ? 1 : -1 }; // a TLS handshake record back: the ServerHello
    })(),
    // Announces a 60 000-byte hello: refused at the first 9 bytes.
    attack((c) => c.send(Uint8Array.from([22, 3, 1, 0x40, 0x00, 1, 0x00, 0xea, 0x60]))),
    // Stalls: half a hello, then nothing.
    attack((c) => c.send(hello.subarray(0, 50))),
    // Half a hello, then a FIN; half, then a reset.
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
    // A handshake record that is not a ClientHello (a ServerHello type).
    attack((c) => c.send(Uint8Array.from([22, 3, 3, 0, 4, 2, 0, 0, 0]))),
  ]);
  await keepTalking;

  const [trickled, huge, stalled, , , malformed] = results;
  expect(trickled!.bytes).toBe(1);
  expect(stalled!.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
  expect(stalled!.ms).toBeLessThan(TIMEOUT_MS * 4);
  for (const quick of [huge!, malformed!]) expect(quick.ms).toBeLessThan(TIMEOUT_MS);
  expect(results.slice(1).every((r) => r.bytes === 0)).toBe(true);

  const st = proxy.stats().listeners[0]!;
  expect(st.preambleFailures).toEqual({
    CLIENT_HELLO_TOO_LARGE: 1,
    CLIENT_HELLO_TIMEOUT: 1,
    PREAMBLE_ABORTED: 2,
    CLIENT_HELLO_MALFORMED: 1,
  });
  expect(st.sessionsTotal).toBe(2); // the honest one and the trickled one
  expect(server.handshakes).toBe(1); // the trickled hello got a ServerHello, but its client never finished: only the honest one completed
  expect(replies.join("")).toBe("A:0A:1A:2A:3A:4A:5A:6A:7A:8A:9");
  expect(st.preambles.live).toBe(0);

  honest.end();
  await waitFor(() => proxy.sessionCount === 0, "every session to end");
  await waitFor(() => openFds() <= fdsBefore, `fds back to ${fdsBefore} (now ${openFds()})`);
}, 20_000);

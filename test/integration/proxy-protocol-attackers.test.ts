/**
 * Attacks on a listener with `proxyProtocol`, each from a source that is trusted or not: no header,
 * garbage, a huge v2 length, a header dribbled one byte every 100 ms past the timeout, a header cut off
 * by a close or a reset, a header from an untrusted source. Each closes only its own connection, with its
 * own end code and counter, before anything is admitted or reaches a backend; an honest session beside
 * them flows on; afterwards no socket is left on warren's port and no timer is left pending.
 */
import { expect, test } from "bun:test";
import { Logger, startProxy } from "../../src/index.ts";
import { echoBackend } from "../helpers/backends.ts";
import { connectClient, type TestClient } from "../helpers/client.ts";
import { openFds, portOf, waitFor } from "../helpers/proxy.ts";
import { countTimers, tcpSocketsOn, v1From, v2From } from "../helpers/proxy-protocol.ts";

const TIMEOUT_MS = 300;

test("every attack closes only its own connection, counted under its own code; an honest session flows on; nothing leaks", async () => {
  using backend = echoBackend();
  // Trusted: loopback as 127.0.0.1; a second listener trusts only 10/8, so loopback is untrusted there.
  await using proxy = await startProxy(
    {
      listeners: [
        {
          name: "trusting",
          listen: "127.0.0.1:0",
          backends: [backend.address],
          proxyProtocol: { trusted: ["127.0.0.0/8"], timeoutMs: TIMEOUT_MS },
        },
        {
          name: "wary",
          listen: "127.0.0.1:0",
          backends: [backend.address],
          proxyProtocol: { trusted: ["10.0.0.0/8"], timeoutMs: TIMEOUT_MS },
        },
      ],
    },
    { logger: new Logger("silent") },
  );
  const port = portOf(proxy);
  const waryPort = proxy.addresses[1]!.port;
  tcpSocketsOn(port); // Bun.spawnSync keeps an epoll and an eventfd from its first use: take them before counting fds
  const fdsBefore = openFds();
  using timers = countTimers();

  // The honest session: admitted first, keeps echoing throughout.
  const honest = await connectClient(port);
  await honest.send(Buffer.concat([v2From("192.0.2.1:1000"), Buffer.from("0")]));
  await honest.waitFor(1);
  let echoed = 1;
  const keepTalking = (async () => {
    for (let i = 1; i <= 12; i++) {
      await honest.send(String(i % 10));
      echoed++;
      await honest.waitFor(echoed);
      await Bun.sleep(50);
    }
  })();

  const accepted = backend.accepted;
  const attack = async (
    send: (c: TestClient) => Promise<void>,
    targetPort = port,
  ): Promise<{ closed: string | null; ms: number; bytes: number }> => {
    const started = performance.now();
    const c = await connectClient(targetPort);
    await send(c).catch(() => {}); // a write after warren closed is fine: the point is that it closed
    const closed = await c.closed;
    return { closed, ms: performance.now() - started, bytes: c.receivedBytes };
  };
  const header = v1From("203.0.113.9:4444");
  const results = await Promise.all([
    // Trusted, but sends no header: nothing at all (times out), or its protocol straight away.
    attack(async () => {}),
    attack((c) => c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")),
    // Garbage that starts like a header.
    attack((c) => c.send("PROXY TCP4 \x00\x01\x02\x03 garbage\r\n")),
    // A v2 header announcing 65535 bytes: refused after its 16 fixed bytes, nothing more is waited for.
    attack((c) => c.send(Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x11, 0xff, 0xff]))),
    // The whole header, one byte every 100 ms: the timeout counts from accept, so dribbling cannot extend it.
    attack(async (c) => {
      for (const byte of header) {
        await c.send(Uint8Array.of(byte));
        await Bun.sleep(100);
      }
    }),
    // Half a header, then a FIN; half a header, then a reset.
    attack(async (c) => {
      await c.send(header.subarray(0, 20));
      await Bun.sleep(20);
      c.socket.end();
    }),
    attack(async (c) => {
      await c.send(header.subarray(0, 20));
      await Bun.sleep(20);
      c.socket.terminate();
    }),
    // A well-formed header from a source the listener does not trust.
    attack((c) => c.send(Buffer.concat([header, Buffer.from("let me in")])), waryPort),
  ]);
  await keepTalking;

  const [silent, plain, garbage, huge, dribble] = results;
  expect(silent!.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
  expect(silent!.ms).toBeLessThan(TIMEOUT_MS * 3);
  expect(dribble!.ms).toBeLessThan(TIMEOUT_MS * 3); // long before the 32 bytes × 100 ms it wanted
  for (const quick of [plain!, garbage!, huge!]) expect(quick.ms).toBeLessThan(TIMEOUT_MS);
  expect(results.every((r) => r.bytes === 0)).toBe(true); // nothing is ever answered before a header

  const [trusting, wary] = proxy.stats().listeners;
  expect(trusting!.preambleFailures).toEqual({
    PREAMBLE_TIMEOUT: 2,
    PROXY_MISSING: 1,
    PROXY_MALFORMED: 1,
    PROXY_TOO_LARGE: 1,
    PREAMBLE_ABORTED: 2,
  });
  expect(wary!.preambleFailures).toEqual({ PROXY_UNTRUSTED: 1 });
  expect(backend.accepted).toBe(accepted); // no attacker reached a backend
  expect(trusting!.sessionsTotal + wary!.sessionsTotal).toBe(1); // the honest one only
  expect(honest.received().toString()).toBe("0123456789012");
  expect(trusting!.preambles.live).toBe(0);

  honest.socket.end();
  await honest.closed;
  await waitFor(() => proxy.sessionCount === 0, "the honest session to end");
  // Nothing left behind: no socket on either port (TIME_WAIT aside, which is the kernel's), no fd, no timer.
  await waitFor(
    () => tcpSocketsOn(port) - timeWaitOn(port) === 0 && tcpSocketsOn(waryPort) - timeWaitOn(waryPort) === 0,
    "no sockets left on warren's ports",
  );
  await waitFor(() => openFds() <= fdsBefore, `fds back to ${fdsBefore} (now ${openFds()})`);
  await Bun.sleep(120); // the test client's own 50 ms poll timers fire
  expect(timers.live).toBe(0);
}, 15_000);

function timeWaitOn(port: number): number {
  const out = Bun.spawnSync(["ss", "-Htan", "state", "time-wait", `( sport = :${port} or dport = :${port} )`]).stdout.toString();
  return out.split("\n").filter((l) => l.trim() !== "").length;
}

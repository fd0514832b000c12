/**
 * `sendProxy`: every backend connection of a tunnel listener begins with a PROXY header naming the
 * client (as admission saw it) and the address it connected to, before any client byte; v2 carries the
 * session id as UNIQUE_ID and the AUTHORITY when one is known; a retried connect sends one header to the
 * backend that answers; health probes send a v2 LOCAL (or v1 UNKNOWN) header.
 */
import { describe, expect, test } from "bun:test";
import { Logger, type ProxyServer, startProxy } from "../../src/index.ts";
import { PROXY_V1_UNKNOWN, PROXY_V2_LOCAL } from "../../src/edge/proxy-encode.ts";
import { ProxyParser } from "../../src/edge/proxy-parser.ts";
import { connectClient } from "../helpers/client.ts";
import { memoryLogger, portOf, waitFor } from "../helpers/proxy.ts";
import { recordingBackend, v2From } from "../helpers/proxy-protocol.ts";

function start(listener: Record<string, unknown>, logger: Logger = new Logger("silent")): Promise<ProxyServer> {
  return startProxy({ listeners: [{ listen: "127.0.0.1:0", ...listener }] }, { logger });
}

/** header splits what a backend received into the PROXY header warren sent and the rest. */
function header(received: Uint8Array) {
  const p = new ProxyParser();
  const at = p.feed(received);
  if (at < 0) throw new Error(`no header: ${p.failure} ${p.reason}: ${Buffer.from(received).toString("latin1")}`);
  return { header: p.header!, rest: Buffer.from(received.subarray(at)).toString() };
}

describe("sendProxy", () => {
  test('"v1": the client and the listener address, then the early bytes, byte-exact', async () => {
    using backend = recordingBackend();
    await using proxy = await start({ backends: [backend.address], sendProxy: "v1" });
    const c = await connectClient(portOf(proxy));
    await c.send("early bytes");
    await backend.waitFor(1, 1);
    await backend.waitFor(1, 40);
    const text = Buffer.from(backend.connections[0]!).toString();
    expect(text).toBe(`PROXY TCP4 127.0.0.1 127.0.0.1 ${c.socket.localPort} ${portOf(proxy)}\r\nearly bytes`);
    c.socket.end();
  });

  test('"v2": UNIQUE_ID is the session id of the access log; bytes sent after the connect follow the header', async () => {
    using backend = recordingBackend();
    const log = memoryLogger();
    await using proxy = await start({ backends: [backend.address], sendProxy: "v2" }, log);
    const c = await connectClient(portOf(proxy));
    await backend.waitFor(1, 16);
    await c.send("later");
    await backend.waitFor(1, 16 + 12 + 3 + 1 + 5);
    const got = header(backend.connections[0]!);
    expect(got.header).toMatchObject({
      version: 2,
      command: "proxy",
      family: "tcp4",
      source: { address: "127.0.0.1", port: c.socket.localPort },
      destination: { address: "127.0.0.1", port: portOf(proxy) },
    });
    expect(got.rest).toBe("later");
    c.socket.end();
    await waitFor(() => log.lines.some((l) => l.msg === "session"), "the access-log line");
    const session = log.lines.find((l) => l.msg === "session")!.session;
    expect(Buffer.from(got.header.tlvs.uniqueId!).toString()).toBe(String(session));
    expect(got.header.tlvs.authority).toBeNull();
  });

  test("behind proxyProtocol: the header passes on the client, the destination and the AUTHORITY warren was told", async () => {
    using backend = recordingBackend();
    await using proxy = await start({ backends: [backend.address], proxyProtocol: { trusted: ["127.0.0.1/32"] }, sendProxy: "v2" });
    const c = await connectClient(portOf(proxy));
    await c.send(Buffer.concat([v2From("[2001:db8::9]:6000", "[2001:db8::1]:443", { authority: "shop.example" }), Buffer.from("GET /")]));
    await backend.waitFor(1, 16 + 36 + 5);
    const got = header(backend.connections[0]!);
    expect(got.header).toMatchObject({
      family: "tcp6",
      source: { address: "2001:db8::9", port: 6000 },
      destination: { address: "2001:db8::1", port: 443 },
    });
    expect(got.header.tlvs.authority).toBe("shop.example");
    expect(got.rest).toBe("GET /");
    c.socket.end();
  });

  test("a connect retried after the first backend reset sends exactly one header to the backend that answers", async () => {
    using reset = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { open: (s) => void s.terminate(), data() {} } });
    using good = recordingBackend();
    await using proxy = await start({ backends: [`127.0.0.1:${reset.port}`, good.address], sendProxy: "v1", connectAttempts: 2 });
    const c = await connectClient(portOf(proxy));
    await waitFor(() => proxy.stats().listeners[0]!.retries === 1 || good.connections.length === 1, "the retry");
    await good.waitFor(1, 20);
    await c.send("data");
    await waitFor(() => Buffer.from(good.connections[0]!).toString().endsWith("data"), "the data after the header");
    const text = Buffer.from(good.connections[0]!).toString();
    expect(text).toBe(`PROXY TCP4 127.0.0.1 127.0.0.1 ${c.socket.localPort} ${portOf(proxy)}\r\ndata`);
    c.socket.end();
  });

  test("health probes send a v2 LOCAL header (v1: UNKNOWN), then the probe's own bytes, in one write", async () => {
    for (const [version, prefix] of [
      ["v2", PROXY_V2_LOCAL],
      ["v1", PROXY_V1_UNKNOWN],
    ] as const) {
      using backend = recordingBackend({
        reply: (all) => (Buffer.from(all).toString("latin1").endsWith("PING\r\n") ? Buffer.from("+PONG\r\n") : null),
      });
      await using proxy = await start({
        backends: [backend.address],
        sendProxy: version,
        health: { active: { enabled: true, intervalMs: 50, timeoutMs: 500, send: "PING\r\n", expect: "+PONG" } },
      });
      await backend.waitFor(2, prefix.byteLength + 6);
      for (const conn of backend.connections.slice(0, 2))
        expect(Buffer.from(conn)).toEqual(Buffer.concat([prefix, Buffer.from("PING\r\n")]));
      await waitFor(() => proxy.stats().listeners[0]!.backends[0]!.lastCheckOk === true, "a passing probe");
    }
  });
});

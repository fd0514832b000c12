/**
 * The PROXY protocol against real peers, each side asserting the addresses the other reports:
 * - HAProxy `send-proxy` and `send-proxy-v2` (with a unique-id) in front of warren, and nginx stream
 *   `proxy_protocol on` in front of warren: warren's access log names the client HAProxy or nginx saw,
 *   and the header warren passes on names the address the client connected to;
 * - warren's `sendProxy` v1 and v2 into HAProxy `accept-proxy` (HAProxy re-sends what it understood
 *   with send-proxy-v2 to a recording backend) and into nginx `listen … proxy_protocol` (nginx answers
 *   with its $proxy_protocol_* variables); warren's health probes' LOCAL/UNKNOWN headers are accepted.
 * The client connects from 127.0.0.2 and the proxy in front from 127.0.0.3, so client and peer differ by
 * address, not only by port.
 */
import { expect, test } from "bun:test";
import net from "node:net";
import { ProxyParser } from "../../src/edge/proxy-parser.ts";
import { Logger, type ProxyServer, startProxy } from "../../src/index.ts";
import { memoryLogger, portOf, waitFor } from "../helpers/proxy.ts";
import { freePort, startHaproxy, startNginx } from "../helpers/peers.ts";
import { recordingBackend } from "../helpers/proxy-protocol.ts";

const CLIENT = "127.0.0.2";
const FRONT = "127.0.0.3";

/** talk connects from `from` to `port`, sends `bytes`, and resolves with the client's port and what came back before `until` says enough. */
function talk(
  port: number,
  bytes: string,
  until: (got: string) => boolean = () => true,
  from = CLIENT,
): Promise<{ port: number; got: string; socket: net.Socket }> {
  return new Promise((resolve, reject) => {
    let got = "";
    const socket = net.connect({ host: "127.0.0.1", port, localAddress: from }, () => {
      socket.write(bytes);
      if (until(got)) resolve({ port: socket.localPort!, got, socket });
    });
    socket.on("data", (d) => {
      got += d.toString("latin1");
      if (until(got)) resolve({ port: socket.localPort!, got, socket });
    });
    socket.on("error", reject);
  });
}

function parseHeader(bytes: Uint8Array) {
  const p = new ProxyParser();
  const at = p.feed(bytes);
  if (at < 0) throw new Error(`not a PROXY header (${p.failure}: ${p.reason}): ${JSON.stringify(Buffer.from(bytes).toString("latin1"))}`);
  return { header: p.header!, rest: Buffer.from(bytes.subarray(at)).toString("latin1") };
}

function warrenBehind(trusted: string, backend: string, log: Logger, extra: Record<string, unknown> = {}): Promise<ProxyServer> {
  return startProxy(
    { listeners: [{ listen: "127.0.0.1:0", backends: [backend], proxyProtocol: { trusted: [trusted] }, sendProxy: "v2", ...extra }] },
    { logger: log },
  );
}

test("HAProxy send-proxy and send-proxy-v2 in front of warren: warren sees HAProxy's client, and passes on the address it connected to", async () => {
  await using backend = recordingBackend();
  const log = memoryLogger();
  await using warren = await warrenBehind(`${FRONT}/32`, backend.address, log);
  const [v1Port, v2Port] = [freePort(), freePort()];
  await using _haproxy = await startHaproxy(
    `
frontend in_v1
    bind 127.0.0.1:${v1Port}
    default_backend to_warren_v1

backend to_warren_v1
    server warren 127.0.0.1:${portOf(warren)} source ${FRONT} send-proxy

frontend in_v2
    bind 127.0.0.1:${v2Port}
    unique-id-format hap-%ci-%cp
    default_backend to_warren_v2

backend to_warren_v2
    server warren 127.0.0.1:${portOf(warren)} source ${FRONT} send-proxy-v2 proxy-v2-options unique-id
`,
    [v1Port, v2Port],
  );
  const clientPorts: number[] = [];
  for (const [i, port] of [v1Port, v2Port].entries()) {
    const c = await talk(port, `hello ${i}`);
    clientPorts.push(c.port);
    await waitFor(
      () =>
        (backend.connections[i]?.byteLength ?? 0) > 16 && Buffer.from(backend.connections[i]!).toString("latin1").endsWith(`hello ${i}`),
      `warren to pass on connection ${i}`,
    );
    const got = parseHeader(backend.connections[i]!);
    expect(got.header).toMatchObject({ source: { address: CLIENT, port: c.port }, destination: { address: "127.0.0.1", port } });
    expect(got.rest).toBe(`hello ${i}`);
    c.socket.destroy();
  }
  await waitFor(() => log.lines.filter((l) => l.msg === "session").length === 2, "both access-log lines");
  const lines = log.lines.filter((l) => l.msg === "session");
  for (const line of lines) expect(line).toMatchObject({ client: CLIENT, peer: FRONT });
  // send-proxy-v2's UNIQUE_ID (HAProxy's unique-id-format) is in warren's log, to find the connection in HAProxy's.
  const byPort = new Map(lines.map((l) => [l.clientPort, l.upstreamId ?? null]));
  expect([byPort.get(clientPorts[0]!), byPort.get(clientPorts[1]!)]).toEqual([null, `hap-${CLIENT}-${clientPorts[1]}`]);
  expect(warren.stats().listeners[0]!.preambleFailures).toEqual({});
});

test("nginx stream `proxy_protocol on` in front of warren: warren sees nginx's client", async () => {
  await using backend = recordingBackend();
  const log = memoryLogger();
  await using warren = await warrenBehind("127.0.0.1/32", backend.address, log);
  const port = freePort();
  await using _nginx = await startNginx(
    `    server { listen 127.0.0.1:${port}; proxy_pass 127.0.0.1:${portOf(warren)}; proxy_protocol on; }`,
    [port],
  );
  const c = await talk(port, "via nginx");
  await waitFor(
    () =>
      Buffer.from(backend.connections[0] ?? new Uint8Array())
        .toString("latin1")
        .endsWith("via nginx"),
    "warren to pass it on",
  );
  expect(parseHeader(backend.connections[0]!).header).toMatchObject({
    version: 2,
    source: { address: CLIENT, port: c.port },
    destination: { address: "127.0.0.1", port },
  });
  c.socket.destroy();
  await waitFor(() => log.lines.some((l) => l.msg === "session"), "the access-log line");
  expect(log.lines.find((l) => l.msg === "session")).toMatchObject({ client: CLIENT, clientPort: c.port, peer: "127.0.0.1" });
});

test("warren's sendProxy v1 and v2 into HAProxy accept-proxy: HAProxy understands the client and warren's address; a probe's header is accepted", async () => {
  await using backend = recordingBackend();
  const haproxyPort = freePort();
  await using _haproxy = await startHaproxy(
    `
frontend pp_in
    bind 127.0.0.1:${haproxyPort} accept-proxy
    default_backend record

backend record
    server r ${backend.address} send-proxy-v2
`,
    [haproxyPort],
  );
  for (const version of ["v1", "v2"] as const) {
    const before = backend.connections.length;
    await using warren = await startProxy(
      {
        listeners: [
          {
            listen: "127.0.0.1:0",
            backends: [`127.0.0.1:${haproxyPort}`],
            sendProxy: version,
            health: { active: { enabled: true, intervalMs: 60_000 } },
          },
        ],
      },
      { logger: new Logger("silent") },
    );
    // The first probe runs at once: HAProxy accepts its LOCAL/UNKNOWN header and relays it as warren's own connection.
    await waitFor(
      () => backend.connections.length > before && backend.connections[before]!.byteLength >= 16,
      `the ${version} probe through HAProxy`,
    );
    const probe = parseHeader(backend.connections[before]!).header;
    expect(probe.source?.address).toBe("127.0.0.1");
    expect(probe.destination).toEqual({ address: "127.0.0.1", port: haproxyPort });
    const c = await talk(portOf(warren), `payload ${version}`);
    const i = before + 1;
    await waitFor(
      () =>
        Buffer.from(backend.connections[i] ?? new Uint8Array())
          .toString("latin1")
          .endsWith(`payload ${version}`),
      `the ${version} session through HAProxy`,
    );
    const got = parseHeader(backend.connections[i]!);
    expect(got.header).toMatchObject({
      source: { address: CLIENT, port: c.port },
      destination: { address: "127.0.0.1", port: portOf(warren) },
    });
    expect(got.rest).toBe(`payload ${version}`);
    c.socket.destroy();
  }
});

test("warren's sendProxy v1 and v2 into nginx `listen … proxy_protocol`: nginx reports the client and warren's address; probes pass", async () => {
  const nginxPort = freePort();
  await using _nginx = await startNginx(
    `    server {
        listen 127.0.0.1:${nginxPort} proxy_protocol;
        return "$proxy_protocol_addr:$proxy_protocol_port $proxy_protocol_server_addr:$proxy_protocol_server_port\\n";
    }`,
    [nginxPort],
  );
  for (const version of ["v1", "v2"] as const) {
    // expect ":" is nginx's answer to a LOCAL/UNKNOWN header (no addresses): it read the header and answered.
    await using warren = await startProxy(
      {
        listeners: [
          {
            listen: "127.0.0.1:0",
            backends: [`127.0.0.1:${nginxPort}`],
            sendProxy: version,
            health: { active: { enabled: true, intervalMs: 100, expect: ":" } },
          },
        ],
      },
      { logger: new Logger("silent") },
    );
    const c = await talk(portOf(warren), "", (got) => got.endsWith("\n"));
    expect(c.got).toBe(`${CLIENT}:${c.port} 127.0.0.1:${portOf(warren)}\n`);
    c.socket.destroy();
    await waitFor(() => warren.stats().listeners[0]!.backends[0]!.lastCheckOk === true, `a passing ${version} probe`);
  }
});

test("HAProxy 2.6 accept-proxy takes only the short v1 UNKNOWN line (the spec allows fields after it): warren's probe sends the short one", async () => {
  await using backend = recordingBackend();
  const port = freePort();
  await using _haproxy = await startHaproxy(
    `frontend f\n    bind 127.0.0.1:${port} accept-proxy\n    default_backend b\n\nbackend b\n    server r ${backend.address}\n`,
    [port],
  );
  const { PROXY_V1_UNKNOWN } = await import("../../src/edge/proxy-encode.ts");
  for (const line of [`${Buffer.from(PROXY_V1_UNKNOWN).toString("latin1")}short`, "PROXY UNKNOWN ffff::1 ffff::2 1 2\r\nlong"]) {
    const c = await talk(port, line, () => true, "127.0.0.1");
    await new Promise<void>((resolve) => {
      c.socket.once("close", () => resolve());
      setTimeout(() => {
        c.socket.destroy();
      }, 300);
    });
  }
  expect(backend.connections.map((b) => Buffer.from(b).toString("latin1"))).toEqual(["short"]);
  // warren's own parser follows the spec and takes both.
  for (const line of ["PROXY UNKNOWN\r\n", "PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n"])
    expect(parseHeader(Buffer.from(line, "latin1")).header.source).toBeNull();
});

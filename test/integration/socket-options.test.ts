/** TCP keepalive (keepAliveMs) is set on both sockets of a session, as the kernel reports it (ss -o). */
import { describe, expect, test } from "bun:test";
import { echoBackend } from "../helpers/backends.ts";
import { connectClient } from "../helpers/client.ts";
import { portOf, proxyTo } from "../helpers/proxy.ts";

/** The established loopback sockets with either port, with their kernel timers (iproute2's ss). */
function sockets(...ports: number[]): string[] {
  const out = Bun.spawnSync(["ss", "-tnoH", "state", "established"]).stdout.toString();
  return out.split("\n").filter((line) => {
    const [local, peer] = line.trim().split(/\s+/).slice(2, 4);
    return ports.some((p) => local === `127.0.0.1:${p}` || peer === `127.0.0.1:${p}`);
  });
}

describe("socket options", () => {
  test.each([
    { keepAliveMs: 30_000, expected: 2 },
    { keepAliveMs: 0, expected: 0 },
  ])("keepAliveMs $keepAliveMs → keepalive timers on $expected of the proxy's sockets", async ({ keepAliveMs, expected }) => {
    using backend = echoBackend();
    await using proxy = await proxyTo([backend.address], { keepAliveMs });
    const client = await connectClient(portOf(proxy));
    await client.send("x");
    await client.waitFor(1);
    // The proxy's two sockets: local port = the listener (accepted client), remote port = the backend.
    const lines = sockets(portOf(proxy), backend.port);
    expect(lines.length).toBe(4); // client↔proxy and proxy↔backend, each seen from both ends
    const proxySide = lines.filter((l) => {
      const [local, peer] = l.trim().split(/\s+/).slice(2, 4);
      return local === `127.0.0.1:${portOf(proxy)}` || peer === `127.0.0.1:${backend.port}`;
    });
    expect(proxySide).toHaveLength(2);
    expect(proxySide.filter((l) => l.includes("timer:(keepalive")).length).toBe(expected);
    client.socket.end();
  });
});

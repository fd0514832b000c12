/**
 * Backends found through DNS (src/discovery), against a real DNS server on loopback that the test
 * controls (dnsmasq, test/helpers/dns.ts, 1 s TTLs): a name becomes one backend per address, a changed
 * answer applies as a reload does, an SRV name gives ports and weights, a failed resolution keeps the
 * last good set, and it all works for pooled listeners too.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { TCPSocketListener } from "bun";
import { Resolver } from "node:dns/promises";
import { Logger, type ProxyServer, startProxy } from "../../src/index.ts";
import { connectClient, type TestClient } from "../helpers/client.ts";
import { startDns, type TestDns } from "../helpers/dns.ts";
import { memoryLogger, portOf, waitFor } from "../helpers/proxy.ts";
import { RespClient, startRedis, type TestRedis } from "../helpers/redis.ts";

// Several tests wait for TTLs and resolution rounds (up to 10 s each on a busy machine): 5 s is too short.
setDefaultTimeout(30_000);

/** Greeting servers on several loopback addresses and one port: each says which address it is. */
let port = 0;
const servers: TCPSocketListener<undefined>[] = [];
const HOSTS = ["127.0.0.2", "127.0.0.3", "127.0.0.4"];

function greeter(host: string, at: number): TCPSocketListener<undefined> {
  return Bun.listen({ hostname: host, port: at, socket: { open: (s) => void s.write(`${host}\n`), data: (s, d) => void s.write(d) } });
}

beforeAll(() => {
  // One port free on every address: take one on the first, then bind the others on it (retry on a clash).
  for (let attempt = 0; servers.length < HOSTS.length && attempt < 20; attempt++) {
    for (const s of servers.splice(0)) s.stop(true);
    try {
      const first = greeter(HOSTS[0]!, 0);
      servers.push(first);
      port = first.port;
      for (const h of HOSTS.slice(1)) servers.push(greeter(h, port));
    } catch {
      // that port was taken on another address: try another
    }
  }
  expect(servers).toHaveLength(HOSTS.length);
});
afterAll(() => {
  for (const s of servers) s.stop(true);
});

/** greeted connects and reads the greeting line: the address of the backend the session went to. */
async function greeted(proxyPort: number): Promise<{ client: TestClient; host: string }> {
  const client = await connectClient(proxyPort);
  await client.waitFor(10);
  return { client, host: client.received().toString().trim() };
}

async function landings(proxyPort: number, n: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const { client, host } = await greeted(proxyPort);
    seen.add(host);
    client.socket.end();
  }
  return seen;
}

function startWith(dns: TestDns, listener: Record<string, unknown>, logger: Logger = new Logger("silent")): Promise<ProxyServer> {
  return startProxy({ dns: { servers: [dns.address] }, listeners: [{ listen: "127.0.0.1:0", ...listener }] }, { logger });
}

test("Bun's node:dns Resolver asks a server on a given port and returns TTLs (what discovery relies on)", async () => {
  await using dns = await startDns({ "pin.test.internal": ["127.0.0.9"] });
  const r = new Resolver({ timeout: 1000, tries: 1 });
  r.setServers([dns.address]);
  expect(r.getServers()).toEqual([dns.address]);
  expect(await r.resolve4("pin.test.internal", { ttl: true })).toEqual([{ address: "127.0.0.9", ttl: 1 }]);
  await expect(r.resolve4("absent.test.internal")).rejects.toMatchObject({ code: "ENOTFOUND" });
});

describe("a backend named by host name", () => {
  test("becomes one backend per address; a changed answer applies within its TTL: new addresses join, gone ones drain", async () => {
    await using dns = await startDns({ "web.test.internal": ["127.0.0.2", "127.0.0.3"] });
    const log = memoryLogger();
    // resolveIntervalMs is long: the 1 s TTL is what brings the change in.
    await using proxy = await startWith(dns, { backends: [`web.test.internal:${port}`], resolveIntervalMs: 60_000 }, log);
    const stats = () => proxy.stats().listeners[0]!;
    expect(stats().backends.map((b) => [b.address, b.from])).toEqual([
      [`127.0.0.2:${port}`, "web.test.internal"],
      [`127.0.0.3:${port}`, "web.test.internal"],
    ]);
    expect(await landings(portOf(proxy), 4)).toEqual(new Set(["127.0.0.2", "127.0.0.3"]));

    const live = await greeted(portOf(proxy)); // round-robin: the next goes to 127.0.0.2
    expect(live.host).toBe("127.0.0.2");
    await dns.setHosts({ "web.test.internal": ["127.0.0.3", "127.0.0.4"] });
    await waitFor(
      () =>
        stats()
          .backends.map((b) => b.address)
          .join() === `127.0.0.3:${port},127.0.0.4:${port}`,
      "the new answer to apply",
      5000,
    );
    expect(log.lines.find((l) => l.msg === "backends resolved")).toMatchObject({
      added: [`127.0.0.4:${port}`],
      removed: [`127.0.0.2:${port}`],
    });
    expect(await landings(portOf(proxy), 4)).toEqual(new Set(["127.0.0.3", "127.0.0.4"]));
    // The session on the address that went keeps going.
    await live.client.send("still\n");
    await live.client.waitFor(10 + 6);
    expect(live.client.received().toString()).toBe("127.0.0.2\nstill\n");
    live.client.socket.end();
  });

  test('resolve = "first" takes only the first address', async () => {
    await using dns = await startDns({ "one.test.internal": ["127.0.0.4"] });
    await using proxy = await startWith(dns, { backends: [`one.test.internal:${port}`, `127.0.0.2:${port}`], resolve: "first" });
    expect(proxy.stats().listeners[0]!.backends.map((b) => b.address)).toEqual([`127.0.0.4:${port}`, `127.0.0.2:${port}`]);
  });

  test("a failed resolution keeps the last good set, is counted, logged once, and recovers", async () => {
    await using dns = await startDns({ "flaky.test.internal": ["127.0.0.3"] });
    const log = memoryLogger();
    await using proxy = await startWith(dns, { backends: [`flaky.test.internal:${port}`], resolveIntervalMs: 1000 }, log);
    const stats = () => proxy.stats().listeners[0]!;
    await dns.stop();
    await waitFor(() => stats().discovery!.failures >= 2, "two failed resolutions", 15_000);
    expect(stats().discovery).toMatchObject({ names: 1, failing: ["flaky.test.internal"] });
    expect(stats().backends.map((b) => b.address)).toEqual([`127.0.0.3:${port}`]);
    expect(log.lines.filter((l) => l.msg === "backend name does not resolve; keeping its last good addresses")).toHaveLength(1);
    expect(await landings(portOf(proxy), 2)).toEqual(new Set(["127.0.0.3"]));

    await dns.setSrv([]); // starts the server again, answering as before
    await waitFor(() => stats().discovery!.failing.length === 0, "the name to resolve again", 10_000);
    expect(log.lines.filter((l) => l.msg === "backend name resolves again")).toMatchObject([{ name: "flaky.test.internal" }]);
  });

  test("a name that does not resolve at start: the listener starts without it and serves once it resolves", async () => {
    await using dns = await startDns({ "early.test.internal": ["127.0.0.2"] });
    await using proxy = await startWith(dns, {
      backends: [`late.test.internal:${port}`, `early.test.internal:${port}`],
      resolveIntervalMs: 1000,
    });
    const stats = () => proxy.stats().listeners[0]!;
    expect(stats().backends.map((b) => b.address)).toEqual([`127.0.0.2:${port}`]);
    await dns.setHosts({ "early.test.internal": ["127.0.0.2"], "late.test.internal": ["127.0.0.4"] });
    await waitFor(() => stats().backends.length === 2, "the late name to join", 10_000);
    expect(stats().backends.map((b) => b.address)).toEqual([`127.0.0.4:${port}`, `127.0.0.2:${port}`]);
  });
});

describe("an SRV name", () => {
  test("gives each record's target, port and weight; records of a higher priority wait", async () => {
    await using dns = await startDns(
      { "a.test.internal": ["127.0.0.2"], "b.test.internal": ["127.0.0.3"], "c.test.internal": ["127.0.0.4"] },
      [
        { name: "_greet._tcp.test.internal", target: "a.test.internal", port, weight: 3 },
        { name: "_greet._tcp.test.internal", target: "b.test.internal", port, weight: 1 },
        { name: "_greet._tcp.test.internal", target: "c.test.internal", port, priority: 10 },
      ],
    );
    await using proxy = await startWith(dns, {
      backends: [{ srv: "_greet._tcp.test.internal", maxConnections: 7 }],
      resolveIntervalMs: 1000,
    });
    const stats = () => proxy.stats().listeners[0]!;
    expect(stats().backends.map((b) => [b.address, b.weight, b.from])).toEqual([
      [`127.0.0.2:${port}`, 3, "_greet._tcp.test.internal"],
      [`127.0.0.3:${port}`, 1, "_greet._tcp.test.internal"],
    ]);
    const seen: Record<string, number> = {};
    for (let i = 0; i < 8; i++) {
      const { client, host } = await greeted(portOf(proxy));
      seen[host] = (seen[host] ?? 0) + 1;
      client.socket.end();
    }
    expect(seen).toEqual({ "127.0.0.2": 6, "127.0.0.3": 2 }); // smooth weighted round-robin: exactly 3:1

    await dns.setSrv([{ name: "_greet._tcp.test.internal", target: "c.test.internal", port, weight: 2 }]);
    await waitFor(
      () =>
        stats()
          .backends.map((b) => b.address)
          .join() === `127.0.0.4:${port}`,
      "the new records to apply",
      10_000,
    );
    expect(await landings(portOf(proxy), 2)).toEqual(new Set(["127.0.0.4"]));
  });
});

describe("an SRV target whose name stops resolving", () => {
  test("keeps its last addresses while its record is listed: one lost query is not a changed service", async () => {
    await using dns = await startDns({ "a.test.internal": ["127.0.0.2"], "b.test.internal": ["127.0.0.3"] }, [
      { name: "_kept._tcp.test.internal", target: "a.test.internal", port },
      { name: "_kept._tcp.test.internal", target: "b.test.internal", port },
    ]);
    await using proxy = await startWith(dns, { backends: [{ srv: "_kept._tcp.test.internal" }], resolveIntervalMs: 1000 });
    const stats = () => proxy.stats().listeners[0]!;
    const both = [`127.0.0.2:${port}`, `127.0.0.3:${port}`];
    expect(stats().backends.map((b) => b.address)).toEqual(both);
    await dns.setHosts({ "a.test.internal": ["127.0.0.2"] }); // b's record stays; its name no longer resolves
    const before = stats().discovery!.resolutions;
    await waitFor(() => stats().discovery!.resolutions >= before + 2, "two more resolutions", 10_000);
    expect(stats().backends.map((b) => b.address)).toEqual(both);
    expect(await landings(portOf(proxy), 4)).toEqual(new Set(["127.0.0.2", "127.0.0.3"]));
  });
});

describe("pooled listeners", () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis[Symbol.asyncDispose]();
  });

  test("a Redis named by host name is pooled like one written as an address", async () => {
    await using dns = await startDns({ "redis.test.internal": ["127.0.0.1"] });
    await using proxy = await startWith(dns, {
      backends: [`redis.test.internal:${redis.port}`],
      mode: "pool",
      pool: { framer: { kind: "resp" }, multiplex: true },
    });
    using c = await RespClient.connect(portOf(proxy));
    expect(await c.command("SET", "discovered", "yes")).toBe("OK");
    expect(await c.command("GET", "discovered")).toBe("yes");
    expect(proxy.stats().listeners[0]!.pool!.backends.map((b) => b.address)).toEqual([`127.0.0.1:${redis.port}`]);
  });
});

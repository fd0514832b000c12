/**
 * Unix sockets on both sides: a listener on `unix:/PATH` (its file's mode, a stale file from a killed
 * process removed only once a connect is refused, the file removed on close, kept across a reload),
 * `unix:` backends in tunnel mode and, with a real redis-server `--unixsocket`, in pooled mode; what
 * allow/deny, per-client limits and sendProxy mean for a unix client.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { Socket } from "bun";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Logger, parseConfig, ProxyError, startProxy } from "../../src/index.ts";
import { echoBackend } from "../helpers/backends.ts";
import { connectClient } from "../helpers/client.ts";
import { memoryLogger, portOf, waitFor } from "../helpers/proxy.ts";
import { startRedis } from "../helpers/redis.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "warren-unix-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A unix-socket client that records what it receives. */
async function unixClient(path: string): Promise<{ socket: Socket<undefined>; received: () => string; closed: Promise<void> }> {
  const chunks: Buffer[] = [];
  const closed = Promise.withResolvers<void>();
  const socket = await Bun.connect({
    unix: path,
    socket: { data: (_s, d) => void chunks.push(Buffer.from(d)), close: () => closed.resolve() },
  });
  return { socket, received: () => Buffer.concat(chunks).toString(), closed: closed.promise };
}

/** A unix-socket echo server. */
function unixEcho(path: string): { stop(): void; [Symbol.dispose](): void; accepted: () => number } {
  let accepted = 0;
  const server = Bun.listen({ unix: path, socket: { open: () => void accepted++, data: (s, d) => void s.write(d) } });
  const stop = () => server.stop(true);
  return { stop, [Symbol.dispose]: stop, accepted: () => accepted };
}

describe("a unix listener", () => {
  test("serves clients on its socket file with the socketMode asked for, logs them as the socket path, and removes the file on close", async () => {
    using backend = echoBackend();
    const path = join(dir, "warren.sock");
    const log = memoryLogger();
    const proxy = await startProxy(
      { listeners: [{ name: "ux", listen: `unix:${path}`, socketMode: "0660", backends: [backend.address] }] },
      { logger: log },
    );
    expect(statSync(path).isSocket()).toBe(true);
    expect((statSync(path).mode & 0o777).toString(8)).toBe("660");
    expect(proxy.addresses[0]).toMatchObject({ name: "ux", unix: path });
    expect(proxy.stats().listeners[0]!.address).toBe(`unix:${path}`);
    const c = await unixClient(path);
    c.socket.write("over unix");
    await waitFor(() => c.received() === "over unix", "the echo");
    c.socket.end();
    await waitFor(() => log.lines.some((x) => x.msg === "session"), "the access-log line");
    expect(log.lines.find((x) => x.msg === "session")).toMatchObject({ client: `unix:${path}`, clientPort: 0, backend: backend.address });
    await proxy.close();
    expect(existsSync(path)).toBe(false);
  });

  test("a stale socket file left by a killed process is removed (a connect to it was refused) and the listener binds", async () => {
    const path = join(dir, "stale.sock");
    const child = Bun.spawn(
      [
        process.execPath,
        "-e",
        `Bun.listen({ unix: ${JSON.stringify(path)}, socket: { data() {} } }); console.log("up"); setInterval(() => {}, 1000);`,
      ],
      { stdout: "pipe" },
    );
    await child.stdout.getReader().read(); // "up": it listens
    child.kill("SIGKILL");
    await child.exited;
    expect(statSync(path).isSocket()).toBe(true); // left behind
    expect(() => Bun.listen({ unix: path, socket: { data() {} } })).toThrow(); // what Bun does with it: EADDRINUSE
    using backend = echoBackend();
    const log = memoryLogger();
    await using proxy = await startProxy({ listeners: [{ listen: `unix:${path}`, backends: [backend.address] }] }, { logger: log });
    expect(log.lines.some((x) => x.msg === "removed a stale socket file" && x.path === path)).toBe(true);
    const c = await unixClient(path);
    c.socket.write("fresh");
    await waitFor(() => c.received() === "fresh", "the echo through the new socket");
    c.socket.end();
  });

  test("a socket something listens on is left alone: LISTEN_FAILED, saying another process is listening", async () => {
    const path = join(dir, "busy.sock");
    using other = unixEcho(path);
    let error: unknown;
    try {
      await startProxy({ listeners: [{ listen: `unix:${path}`, backends: ["127.0.0.1:1"] }] }, { logger: new Logger("silent") });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ProxyError);
    expect((error as ProxyError).code).toBe("LISTEN_FAILED");
    expect(((error as ProxyError).cause as Error).message).toBe(
      `cannot listen on unix:${path}: another process is listening there (a connect to it was accepted); stop it, or listen elsewhere`,
    );
    // The other listener still has its socket and serves.
    const c = await unixClient(path);
    c.socket.write("still here");
    await waitFor(() => c.received() === "still here", "the other listener's echo");
    c.socket.end();
    expect(other.accepted()).toBe(2); // warren's check, then this client
  });

  test("a path that is no socket is never removed: LISTEN_FAILED", async () => {
    const path = join(dir, "data.txt");
    writeFileSync(path, "precious");
    const err = await startProxy(
      { listeners: [{ listen: `unix:${path}`, backends: ["127.0.0.1:1"] }] },
      { logger: new Logger("silent") },
    ).catch((e: unknown) => e);
    expect((err as ProxyError).code).toBe("LISTEN_FAILED");
    expect(((err as ProxyError).cause as Error).message).toContain("the path exists and is not a socket");
    expect(Bun.file(path).size).toBe(8);
  });

  test("allow/deny and maxConnectionsPerClient do not apply to unix peers (they have no IP address; the file's mode decides)", async () => {
    using backend = echoBackend();
    const path = join(dir, "rules.sock");
    await using proxy = await startProxy(
      {
        listeners: [
          { listen: `unix:${path}`, backends: [backend.address], allow: ["10.0.0.0/8"], deny: ["0.0.0.0/0"], maxConnectionsPerClient: 1 },
        ],
      },
      { logger: new Logger("silent") },
    );
    const a = await unixClient(path);
    const b = await unixClient(path);
    a.socket.write("a");
    b.socket.write("b");
    await waitFor(() => a.received() === "a" && b.received() === "b", "both unix clients served");
    expect(proxy.stats().listeners[0]!.rejected).toMatchObject({ denied: 0, perClient: 0 });
    a.socket.end();
    b.socket.end();
  });

  test("sendProxy for a unix client: v1 says PROXY UNKNOWN, v2 AF_UNSPEC (no addresses: the backend uses its own endpoints)", async () => {
    const { recordingBackend } = await import("../helpers/proxy-protocol.ts");
    using rec = recordingBackend();
    for (const [i, sendProxy] of (["v1", "v2"] as const).entries()) {
      const path = join(dir, `pp-${sendProxy}.sock`);
      await using proxy = await startProxy(
        { listeners: [{ listen: `unix:${path}`, backends: [rec.address], sendProxy }] },
        { logger: new Logger("silent") },
      );
      const c = await unixClient(path);
      c.socket.write("x");
      await rec.waitFor(i + 1, 1);
      await waitFor(() => rec.connections[i]!.at(-1) === 0x78, "the client's byte after the header");
      const got = Buffer.from(rec.connections[i]!);
      if (sendProxy === "v1") expect(got.toString()).toBe("PROXY UNKNOWN\r\nx");
      else {
        expect(got.subarray(0, 12).toString("hex")).toBe("0d0a0d0a000d0a515549540a");
        expect([got[12], got[13]]).toEqual([0x21, 0x00]); // version 2 PROXY, AF_UNSPEC
        expect(got.at(-1)).toBe(0x78);
      }
      c.socket.end();
      await proxy.close();
    }
  });

  test("a reload keeps a unix listener's socket: same file (with a new socketMode), live sessions flow on, new clients are served with the new backends", async () => {
    using first = echoBackend();
    using second = echoBackend();
    const path = join(dir, "reload.sock");
    const config = (backend: string, socketMode = "0600") => {
      const c = parseConfig({ listeners: [{ name: "ux", listen: `unix:${path}`, socketMode, backends: [backend] }] });
      if (c instanceof Error) throw c;
      return c;
    };
    await using proxy = await startProxy(config(first.address), { logger: new Logger("silent") });
    const inode = statSync(path).ino;
    const live = await unixClient(path);
    live.socket.write("1");
    await waitFor(() => live.received() === "1", "the first echo");
    expect((statSync(path).mode & 0o777).toString(8)).toBe("600");
    proxy.reload(config(second.address, "0660"));
    expect(statSync(path).ino).toBe(inode);
    expect((statSync(path).mode & 0o777).toString(8)).toBe("660"); // a new socketMode applies to the kept file
    live.socket.write("2");
    await waitFor(() => live.received() === "12", "the live session across the reload");
    const fresh = await unixClient(path);
    fresh.socket.write("new");
    await waitFor(() => fresh.received() === "new", "a new session");
    expect([first.accepted, second.accepted]).toEqual([1, 1]);
    live.socket.end();
    fresh.socket.end();
  });
});

describe("unix backends", () => {
  test("tunnel mode relays to a unix backend, which active health checks probe over the same socket", async () => {
    const path = join(dir, "app.sock");
    const backend = unixEcho(path);
    try {
      await using proxy = await startProxy(
        {
          listeners: [
            {
              listen: "127.0.0.1:0",
              backends: [`unix:${path}`],
              health: { active: { enabled: true, intervalMs: 50, timeoutMs: 200, rise: 1, fall: 1 } },
            },
          ],
        },
        { logger: new Logger("silent") },
      );
      const c = await connectClient(portOf(proxy));
      await c.send("to a unix backend");
      await c.waitFor(17);
      expect(c.received().toString()).toBe("to a unix backend");
      c.socket.end();
      const stats = () => proxy.stats().listeners[0]!.backends[0]!;
      expect(stats().address).toBe(`unix:${path}`);
      await waitFor(() => stats().checksTotal >= 2, "probes over the unix socket");
      expect(stats().healthy).toBe(true);
      backend.stop();
      await waitFor(() => !stats().healthy, "the stopped unix backend marked down");
      const refused = await connectClient(portOf(proxy));
      expect(await refused.closed).toBeNull();
      expect(proxy.stats().listeners[0]!.ends.NO_BACKEND).toBe(1);
    } finally {
      backend.stop();
    }
  });

  test("pooled mode talks RESP to a real redis-server over its --unixsocket, and listens on a unix socket too", async () => {
    const path = join(dir, "redis.sock");
    const front = join(dir, "pool.sock");
    await using redis = await startRedis({ args: ["--unixsocket", path, "--unixsocketperm", "700"] });
    const pooled = { mode: "pool", pool: { framer: { kind: "resp" }, maxPerBackend: 2 }, backends: [`unix:${path}`] };
    await using proxy = await startProxy(
      {
        listeners: [
          { name: "tcp", listen: "127.0.0.1:0", ...pooled },
          { name: "unix", listen: `unix:${front}`, ...pooled },
        ],
      },
      { logger: new Logger("silent") },
    );
    const c = await connectClient(portOf(proxy));
    await c.send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\nunix\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
    await c.waitFor("+OK\r\n$4\r\nunix\r\n".length);
    expect(c.received().toString()).toBe("+OK\r\n$4\r\nunix\r\n");
    expect(await redis.admin("GET", "k")).toBe("unix"); // the same server, read over TCP
    const pool = proxy.stats().listeners[0]!.pool!;
    expect(pool.backends.map((b) => b.address)).toEqual([`unix:${path}`]);
    c.socket.end();
    const u = await unixClient(front);
    u.socket.write("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
    await waitFor(() => u.received() === "$4\r\nunix\r\n", "the reply through the unix pooled listener");
    u.socket.end();
  });
});

describe("Bun 1.4.4 facts the unix listener relies on", () => {
  test("Bun.listen({ unix }) removes its socket file on stop, even with a client still connected; a unix peer has no remoteAddress", async () => {
    const path = join(dir, "fact.sock");
    const peer = Promise.withResolvers<unknown>();
    const server = Bun.listen({ unix: path, socket: { open: (s) => peer.resolve(s.remoteAddress), data() {} } });
    const c = await Bun.connect({ unix: path, socket: { data() {} } });
    expect(await peer.promise).toBeUndefined();
    server.stop(false);
    expect(existsSync(path)).toBe(false);
    c.end();
  });
});

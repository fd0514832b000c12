/** Health through the running proxy: passive and active checks, all-down refusal, recovery. */
import { describe, expect, test } from "bun:test";
import type { Socket, TCPSocketListener } from "bun";
import { greetBackend } from "../helpers/backends.ts";
import { connectClient } from "../helpers/client.ts";
import { memoryLogger, portOf, proxyTo, waitFor } from "../helpers/proxy.ts";

/** A greeting server that can be stopped and started again on the same port. */
function restartable(name: string) {
  let server: TCPSocketListener<unknown> | null = null;
  const sockets = new Set<Socket<unknown>>();
  let port = 0;
  const start = () => {
    const listener: TCPSocketListener<unknown> = Bun.listen<unknown>({
      hostname: "127.0.0.1",
      port,
      socket: {
        open(s) {
          sockets.add(s);
          s.write(name);
        },
        data() {},
        close(s) {
          sockets.delete(s);
        },
      },
    });
    server = listener;
    port = listener.port;
  };
  start();
  return {
    get address() {
      return `127.0.0.1:${port}`;
    },
    stop() {
      server?.stop(true);
      for (const s of sockets) s.terminate();
      server = null;
    },
    start,
    [Symbol.dispose]() {
      this.stop();
    },
  };
}

async function answer(port: number): Promise<string> {
  const client = await connectClient(port);
  const code = await Promise.race([client.waitFor(2).then(() => "data"), client.closed.then(() => "closed")]);
  const text = code === "data" ? client.received().toString() : "closed";
  client.socket.end();
  return text;
}

describe("health through the proxy", () => {
  test("passive: consecutive failures take a backend out; it is retried after the cool-down", async () => {
    const log = memoryLogger();
    using a = restartable("A\n");
    using b = greetBackend("B\n");
    await using proxy = await proxyTo(
      [a.address, b.address],
      { health: { passive: { failures: 2, cooldownMs: 400 } }, connectAttempts: 2 },
      log,
    );
    a.stop();
    // Each client still gets an answer: the failed attempt is retried on B.
    for (let i = 0; i < 4; i++) expect(await answer(portOf(proxy))).toBe("B\n");
    const down = proxy.stats().listeners[0]!.backends[0]!;
    expect(down.healthy).toBe(false);
    expect(down.connectFailures).toBe(2); // marked down after 2, then skipped
    expect(log.lines.filter((l) => l.msg === "backend down")).toHaveLength(1);

    a.start();
    await waitFor(() => proxy.stats().listeners[0]!.backends[0]!.healthy, "the cool-down to end", 3000);
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) seen.add(await answer(portOf(proxy)));
    expect([...seen].sort()).toEqual(["A\n", "B\n"]);
  });

  test("active: a backend killed and restarted goes down and comes back; when all are down clients are refused at once", async () => {
    const log = memoryLogger();
    using a = restartable("A\n");
    await using proxy = await proxyTo(
      [a.address],
      { health: { active: { enabled: true, intervalMs: 50, timeoutMs: 200, rise: 2, fall: 2 } } },
      log,
    );
    expect(await answer(portOf(proxy))).toBe("A\n");

    a.stop();
    await waitFor(() => !proxy.stats().listeners[0]!.backends[0]!.healthy, "the checker to mark A down");
    const started = performance.now();
    expect(await answer(portOf(proxy))).toBe("closed");
    expect(performance.now() - started).toBeLessThan(500);
    const s = proxy.stats().listeners[0]!;
    expect(s.rejected.noBackend).toBe(1);
    expect(s.errors).toEqual({ NO_BACKEND: 1 });
    expect(s.backends[0]!.lastCheckOk).toBe(false);
    expect(log.lines.some((l) => l.msg === "no backend available: refusing new clients")).toBe(true);

    a.start();
    await waitFor(() => proxy.stats().listeners[0]!.backends[0]!.healthy, "the checker to mark A up");
    expect(await answer(portOf(proxy))).toBe("A\n");
    const msgs = log.lines.map((l) => l.msg).filter((m) => m === "backend down" || m === "backend up");
    expect(msgs).toEqual(["backend down", "backend up"]);
  });
});

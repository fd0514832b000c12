/**
 * proxy.reload as a library caller uses it: a raw object is validated like
 * startProxy's input (ConfigErrors, never a TypeError), and a listener started
 * on port 0 may be reloaded with the port it got.
 */
import { describe, expect, test } from "bun:test";
import { ConfigErrors, Logger, parseConfig, startProxy, type ProxyServer } from "../../src/index.ts";
import { greetBackend } from "../helpers/backends.ts";
import { connectClient } from "../helpers/client.ts";
import { eventually } from "../helpers/poll.ts";

const QUIET = { log: { level: "silent" } };
const quiet = () => ({ logger: new Logger("silent") });

function portOf(proxy: ProxyServer, name: string): number {
  const address = proxy.addresses.find((a) => a.name === name);
  if (address === undefined) throw new Error(`no listener "${name}" in ${JSON.stringify(proxy.addresses)}`);
  return address.port;
}

async function greeting(port: number): Promise<string> {
  const client = await connectClient(port);
  await client.waitFor(4);
  client.socket.end();
  return client.received().toString();
}

describe("reload(rawObject)", () => {
  test("an invalid raw object throws ConfigErrors with every key path; the running config stays", async () => {
    using one = greetBackend("one\n");
    await using proxy = await startProxy({ ...QUIET, listeners: [{ name: "a", listen: "127.0.0.1:0", backends: [one.address] }] }, quiet());
    const port = portOf(proxy, "a");

    let thrown: unknown;
    try {
      proxy.reload({
        listeners: [
          { name: "a", listen: "127.0.0.1:0" },
          { name: "b", backends: ["nope"] },
        ],
      });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigErrors);
    expect((thrown as ConfigErrors).errors.map((e) => e.message)).toEqual([
      `listeners[0].backends: expected a list of at least one backend, got nothing`,
      `listeners[1].backends[0]: expected HOST:PORT, got "nope": no ":PORT"`,
    ]);
    expect(await greeting(port)).toBe("one\n");
  });

  test("a valid raw object is validated and applied, as parseConfig's result is", async () => {
    using one = greetBackend("one\n");
    using two = greetBackend("two\n");
    const raw = (backend: string) => ({ ...QUIET, listeners: [{ name: "a", listen: "127.0.0.1:0", backends: [backend] }] });
    await using proxy = await startProxy(raw(one.address), quiet());
    const port = portOf(proxy, "a");
    proxy.reload(raw(two.address));
    expect(await greeting(port)).toBe("two\n");
    const parsed = parseConfig(raw(one.address));
    if (parsed instanceof ConfigErrors) throw parsed;
    proxy.reload(parsed);
    expect(await greeting(port)).toBe("one\n");
  });
});

describe("a listener started on port 0, reloaded with the port it got", () => {
  test("named: the same listener continues on its socket (no EADDRINUSE), its live session and counts with it", async () => {
    using one = greetBackend("one\n");
    using two = greetBackend("two\n");
    await using proxy = await startProxy(
      { ...QUIET, listeners: [{ name: "web", listen: "127.0.0.1:0", backends: [one.address] }] },
      quiet(),
    );
    const port = portOf(proxy, "web");
    const live = await connectClient(port);
    await live.waitFor(4);

    proxy.reload({ ...QUIET, listeners: [{ name: "web", listen: `127.0.0.1:${port}`, backends: [two.address] }] });
    expect(proxy.addresses.map((a) => [a.name, a.port])).toEqual([["web", port]]);
    expect(await greeting(port)).toBe("two\n");
    expect(proxy.stats().listeners.map((l) => [l.name, l.sessionsTotal, l.sessions > 0])).toEqual([["web", 2, true]]);
    live.socket.end();
  });

  test('unnamed: "127.0.0.1:0" again keeps its port; rewritten as "127.0.0.1:P" it is a new listener that takes the port over', async () => {
    using one = greetBackend("one\n");
    using two = greetBackend("two\n");
    await using proxy = await startProxy({ ...QUIET, listeners: [{ listen: "127.0.0.1:0", backends: [one.address] }] }, quiet());
    const port = portOf(proxy, "127.0.0.1:0");
    proxy.reload({ ...QUIET, listeners: [{ listen: "127.0.0.1:0", backends: [one.address] }] });
    expect(portOf(proxy, "127.0.0.1:0")).toBe(port);

    const live = await connectClient(port);
    await live.waitFor(4);
    proxy.reload({ ...QUIET, listeners: [{ listen: `127.0.0.1:${port}`, backends: [two.address] }] });
    expect(proxy.addresses.map((a) => [a.name, a.port])).toEqual([[`127.0.0.1:${port}`, port]]);
    expect(await greeting(port)).toBe("two\n");
    // The old listener's session finishes where it is: its live session is counted until it ends.
    await eventually(
      () => proxy.sessionCount,
      (n) => n === 1,
      "only the old listener's session to be left",
    );
    live.socket.end();
    await eventually(
      () => proxy.sessionCount,
      (n) => n === 0,
      "the old listener's session to end",
    );
  });
});

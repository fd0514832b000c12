/**
 * Reloading the config without dropping anyone: through the library
 * (`proxy.reload(config)`) and through the command (edit the file, SIGHUP).
 * Backends greet with their name, so each client can tell where it landed.
 */
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { WarrenConfig } from "../../src/config/schema.ts";
import { validateConfig } from "../../src/config/validate.ts";
import { ConfigErrors, Logger, ProxyError, startProxy, type ProxyServer } from "../../src/index.ts";
import { greetBackend } from "../helpers/backends.ts";
import { exitsWithin, killAll, startWarren } from "../helpers/cli.ts";
import { connectClient, type TestClient } from "../helpers/client.ts";
import { waitFor } from "../helpers/proxy.ts";

const dir = mkdtempSync(join(tmpdir(), "warren-reload-"));
afterEach(killAll);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Library tests pass a silent logger, but a reload applies the new config's
 * log settings to that logger, so every config here says silent too.
 */
const QUIET = { log: { level: "silent" } };

function valid(input: unknown): WarrenConfig {
  const config = validateConfig(input);
  if (config instanceof ConfigErrors) throw new Error(config.message);
  return config;
}

function portOf(proxy: ProxyServer, name: string): number {
  const address = proxy.addresses.find((a) => a.name === name);
  if (address === undefined) throw new Error(`no listener "${name}"`);
  return address.port;
}

/** greeted connects and waits for the backend's greeting ("one\n", "two\n": 4 bytes), which names the backend. */
async function greeted(port: number): Promise<{ client: TestClient; greeting: string }> {
  const client = await connectClient(port);
  await client.waitFor(4);
  return { client, greeting: client.received().toString() };
}

/** echoes sends `text` and resolves with everything the client has received after the echo arrived. */
async function echoes(client: TestClient, text: string): Promise<string> {
  const before = client.receivedBytes;
  await client.send(text);
  await client.waitFor(before + text.length);
  return client.received().toString();
}

async function expectRefused(port: number): Promise<void> {
  await expect(connectClient(port)).rejects.toMatchObject({ code: "ECONNREFUSED" });
}

describe("proxy.reload (library)", () => {
  test("a changed backend: the live session stays on the old one, new sessions go to the new one", async () => {
    using one = greetBackend("one\n");
    using two = greetBackend("two\n");
    await using proxy = await startProxy(
      { ...QUIET, listeners: [{ name: "a", listen: "127.0.0.1:0", backends: [one.address] }] },
      { logger: new Logger("silent") },
    );
    const port = portOf(proxy, "a");
    const live = await greeted(port);
    expect(live.greeting).toBe("one\n");

    proxy.reload(valid({ ...QUIET, listeners: [{ name: "a", listen: "127.0.0.1:0", backends: [two.address] }] }));

    expect(portOf(proxy, "a")).toBe(port); // a port-0 listener keeps its port
    expect(await echoes(live.client, "still here\n")).toBe("one\nstill here\n");
    expect((await greeted(port)).greeting).toBe("two\n");
    expect([one.accepted, two.accepted]).toEqual([1, 1]);
  });

  test("an added listener starts; once removed it refuses new clients while its live session continues", async () => {
    using one = greetBackend("one\n");
    using two = greetBackend("two\n");
    const a = { name: "a", listen: "127.0.0.1:0", backends: [one.address] };
    const b = { name: "b", listen: "127.0.0.1:0", backends: [two.address] };
    await using proxy = await startProxy({ ...QUIET, listeners: [a] }, { logger: new Logger("silent") });

    proxy.reload(valid({ ...QUIET, listeners: [a, b] }));
    expect(proxy.addresses.map((l) => l.name)).toEqual(["a", "b"]);
    const portB = portOf(proxy, "b");
    const onB = await greeted(portB);
    expect(onB.greeting).toBe("two\n");

    proxy.reload(valid({ ...QUIET, listeners: [a] }));
    expect(proxy.addresses.map((l) => l.name)).toEqual(["a"]);
    await expectRefused(portB);
    expect(await echoes(onB.client, "b lives\n")).toBe("two\nb lives\n");
    expect(proxy.sessionCount).toBe(1);
    expect((await greeted(portOf(proxy, "a"))).greeting).toBe("one\n");

    onB.client.socket.end();
    await onB.client.closed;
  });

  test("a kept listener applies new settings to new sessions", async () => {
    using one = greetBackend("one\n");
    await using proxy = await startProxy(
      { ...QUIET, listeners: [{ name: "a", listen: "127.0.0.1:0", backends: [one.address] }] },
      { logger: new Logger("silent") },
    );
    const port = portOf(proxy, "a");
    const first = await greeted(port);

    proxy.reload(valid({ ...QUIET, listeners: [{ name: "a", listen: "127.0.0.1:0", backends: [one.address], maxConnections: 1 }] }));

    // The listener already holds one session, its new maximum: the next client is closed at once.
    const second = await connectClient(port);
    await second.closed;
    expect(second.receivedBytes).toBe(0);
    expect(proxy.stats().listeners[0]!.rejected.maxConnections).toBe(1);
    expect(await echoes(first.client, "ok\n")).toBe("one\nok\n");
  });

  test("a live session keeps the settings it started with; only sessions after the reload take the new ones", async () => {
    using one = greetBackend("one\n");
    const listener = { name: "a", listen: "127.0.0.1:0", backends: [one.address] };
    await using proxy = await startProxy(
      { ...QUIET, listeners: [{ ...listener, idleTimeoutMs: 60_000 }] },
      { logger: new Logger("silent") },
    );
    const port = portOf(proxy, "a");
    const before = await greeted(port);

    proxy.reload(valid({ ...QUIET, listeners: [{ ...listener, idleTimeoutMs: 150 }] }));
    const after = await greeted(port);

    // The new session ends idle after 150 ms; the older one has been idle longer and is still open.
    expect(await after.client.closed).toBeNull();
    expect(proxy.stats().listeners[0]!.ends.IDLE_TIMEOUT).toBe(1);
    expect(proxy.stats().listeners[0]!.sessions).toBe(1);
    expect(await echoes(before.client, "still here\n")).toBe("one\nstill here\n");
  });

  test("a new listener that cannot bind makes the reload throw and change nothing", async () => {
    using one = greetBackend("one\n");
    using two = greetBackend("two\n");
    const taken = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const a = { name: "a", listen: "127.0.0.1:0", backends: [one.address] };
      await using proxy = await startProxy({ ...QUIET, listeners: [a] }, { logger: new Logger("silent") });
      const port = portOf(proxy, "a");
      const live = await greeted(port);

      const next = valid({
        ...QUIET,
        listeners: [
          { ...a, backends: [two.address] },
          { name: "c", listen: "127.0.0.1:0", backends: [two.address] },
          { name: "b", listen: `127.0.0.1:${taken.port}`, backends: [two.address] },
        ],
      });
      let thrown: unknown;
      try {
        proxy.reload(next);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(ProxyError);
      expect(thrown).toMatchObject({
        code: "EADDRINUSE",
        side: "internal",
        message: `listener "b": cannot listen on 127.0.0.1:${taken.port}: EADDRINUSE`,
      });

      expect(proxy.addresses.map((l) => [l.name, l.port])).toEqual([["a", port]]);
      expect((await greeted(port)).greeting).toBe("one\n"); // the old backend still serves
      expect(await echoes(live.client, "ok\n")).toBe("one\nok\n");
    } finally {
      taken.stop(true);
    }
  });

  test("renaming a listener on a fixed address keeps its socket, its live session and its counters", async () => {
    using one = greetBackend("one\n");
    const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const listen = `127.0.0.1:${probe.port}`;
    probe.stop(true);
    await using proxy = await startProxy(
      { ...QUIET, listeners: [{ name: "old", listen, backends: [one.address] }] },
      { logger: new Logger("silent") },
    );
    const live = await greeted(probe.port);

    proxy.reload(valid({ ...QUIET, listeners: [{ name: "new", listen, backends: [one.address], maxConnections: 50 }] }));
    expect(proxy.addresses.map((l) => l.name)).toEqual(["new"]);
    expect(proxy.stats().listeners[0]).toMatchObject({ name: "new", sessions: 1, sessionsTotal: 1 });
    expect(await echoes(live.client, "ok\n")).toBe("one\nok\n");
    const next = await greeted(probe.port);
    expect(proxy.stats().listeners[0]!.sessionsTotal).toBe(2);
    for (const c of [live.client, next.client]) c.socket.end();
  });

  test("under churn, ten renames on a fixed address refuse and reset no client", async () => {
    using one = greetBackend("one\n");
    const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = probe.port;
    probe.stop(true);
    const at = (name: string) => valid({ ...QUIET, listeners: [{ name, listen: `127.0.0.1:${port}`, backends: [one.address] }] });
    await using proxy = await startProxy(at("l0"), { logger: new Logger("silent") });

    const failures: string[] = [];
    let served = 0;
    let reloading = true;
    // Clients connect back to back for as long as the reloads go on; each must be greeted and close cleanly.
    const churn = (async () => {
      while (reloading) {
        try {
          const c = await connectClient(port);
          await c.waitFor(4, 5000);
          c.socket.end();
          const code = await c.closed;
          if (code !== null) failures.push(code);
          served++;
        } catch (err) {
          failures.push(String((err as { code?: string }).code ?? err));
        }
      }
    })();
    for (let i = 1; i <= 10; i++) {
      const before = served;
      proxy.reload(at(`l${i}`));
      await waitFor(() => served >= before + 3, "clients to be served after the rename");
    }
    reloading = false;
    await churn;
    expect(failures).toEqual([]);
    expect(proxy.addresses.map((l) => l.name)).toEqual(["l10"]);
    expect(proxy.stats().listeners[0]!.sessionsTotal).toBe(served);
  });
});

describe("SIGHUP (the warren command)", () => {
  let files = 0;
  /** configFile writes a TOML config of named port-0 listeners: name → backend addresses. */
  async function configFile(listeners: Record<string, string[]>, path = join(dir, `warren-${++files}.toml`)): Promise<string> {
    const tables = Object.entries(listeners).map(
      ([name, backends]) => `[[listeners]]\nname = "${name}"\nlisten = "127.0.0.1:0"\nbackends = ${JSON.stringify(backends)}\n`,
    );
    await Bun.write(path, tables.join("\n"));
    return path;
  }

  /** reload signals SIGHUP and resolves with the outcome line ("reloaded" or a rejection). */
  async function reload(warren: Awaited<ReturnType<typeof startWarren>>) {
    const from = warren.mark;
    warren.signal("SIGHUP");
    return warren.waitForLog((l) => l.msg === "reloaded" || l.msg.startsWith("reload "), { from });
  }

  test("a changed backend: the live session survives, new sessions go to the new backend", async () => {
    using one = greetBackend("one\n");
    using two = greetBackend("two\n");
    const path = await configFile({ a: [one.address] });
    await using warren = await startWarren(["--config", path]);
    const port = warren.port("a");
    const live = await greeted(port);
    expect(live.greeting).toBe("one\n");

    await configFile({ a: [two.address] }, path);
    expect(await reload(warren)).toMatchObject({ msg: "reloaded", listeners: 1 });

    expect(warren.port("a")).toBe(port);
    expect(await echoes(live.client, "still here\n")).toBe("one\nstill here\n");
    const fresh = await greeted(port);
    expect(fresh.greeting).toBe("two\n");

    warren.signal("SIGTERM");
    live.client.socket.end();
    fresh.client.socket.end();
    expect(await exitsWithin(warren, 5_000)).toBe(0);
  });

  test("adding listener b starts it; removing it stops accepting while b's live session continues", async () => {
    using one = greetBackend("one\n");
    using two = greetBackend("two\n");
    const path = await configFile({ a: [one.address] });
    await using warren = await startWarren(["--config", path]);

    await configFile({ a: [one.address], b: [two.address] }, path);
    expect(await reload(warren)).toMatchObject({ msg: "reloaded", listeners: 2 });
    const portB = warren.port("b");
    const onB = await greeted(portB);
    expect(onB.greeting).toBe("two\n");

    await configFile({ a: [one.address] }, path);
    expect(await reload(warren)).toMatchObject({ msg: "reloaded", listeners: 1 });
    await expectRefused(portB);
    expect(await echoes(onB.client, "b lives\n")).toBe("two\nb lives\n");
    expect((await greeted(warren.port("a"))).greeting).toBe("one\n");

    const from = warren.mark;
    onB.client.socket.end();
    expect(await warren.waitForLog((l) => l.msg === "session" && l.listener === "b", { from })).toMatchObject({ end: "ok" });
  });

  test("an invalid new config is rejected with its key path, and the running config keeps serving", async () => {
    using one = greetBackend("one\n");
    const path = await configFile({ a: [one.address] });
    await using warren = await startWarren(["--config", path]);
    const port = warren.port("a");
    const live = await greeted(port);

    await configFile({ a: ["nope"] }, path);
    expect(await reload(warren)).toMatchObject({
      level: "error",
      msg: "reload rejected: config invalid, keeping the running config",
      source: path,
      errors: [`listeners[0].backends[0]: expected HOST:PORT, got "nope": no ":PORT"`],
    });

    await Bun.write(path, `[[listeners]\n`); // not even TOML
    expect(await reload(warren)).toMatchObject({
      msg: "reload rejected: config invalid, keeping the running config",
      source: `${path}:1:13`,
      errors: [`invalid TOML: Expected ']]' to close an array-of-tables header but found (0x0A)\n  [[listeners]\n              ^`],
    });
    // The log is JSON lines (stderr is not a terminal): the errors are in the line, with no plain text after it.
    expect(
      warren.stderr
        .trimEnd()
        .split("\n")
        .filter((l) => !l.startsWith("{")),
    ).toEqual([]);

    expect(warren.running).toBe(true);
    expect(await echoes(live.client, "ok\n")).toBe("one\nok\n");
    expect((await greeted(port)).greeting).toBe("one\n");
  });

  test("without a config file, SIGHUP rebuilds the same config from the flags and keeps serving", async () => {
    using one = greetBackend("one\n");
    await using warren = await startWarren(["--listen", "127.0.0.1:0", "--backend", one.address]);
    const port = warren.port();
    const live = await greeted(port);

    expect(await reload(warren)).toMatchObject({ msg: "reloaded", listeners: 1 });
    expect(warren.port()).toBe(port);
    expect(await echoes(live.client, "ok\n")).toBe("one\nok\n");
    expect((await greeted(port)).greeting).toBe("one\n");
  });

  test("a new listener that cannot bind fails the reload, and the running config keeps serving", async () => {
    using one = greetBackend("one\n");
    using two = greetBackend("two\n");
    const taken = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const path = await configFile({ a: [one.address] });
      await using warren = await startWarren(["--config", path]);
      const port = warren.port("a");

      await Bun.write(
        path,
        `[[listeners]]\nname = "a"\nlisten = "127.0.0.1:0"\nbackends = ["${two.address}"]\n\n` +
          `[[listeners]]\nname = "b"\nlisten = "127.0.0.1:${taken.port}"\nbackends = ["${two.address}"]\n`,
      );
      expect(await reload(warren)).toMatchObject({
        level: "error",
        msg: "reload failed, keeping the running config",
        error: `listener "b": cannot listen on 127.0.0.1:${taken.port}: EADDRINUSE`,
      });
      expect((await greeted(port)).greeting).toBe("one\n");
    } finally {
      taken.stop(true);
    }
  });
});

/**
 * The `warren` command as a user runs it: a subprocess (`bun src/main.ts`),
 * its exit codes (0 clean, 1 runtime failure, 2 config/usage error), what it
 * prints, and how it shuts down on SIGTERM/SIGINT. The JSON log lines on
 * stderr tell the test what the process is doing, so nothing sleeps.
 */
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { USAGE } from "../../src/cli/args.ts";
import { echoBackend } from "../helpers/backends.ts";
import { exitsWithin, killAll, runWarren, startWarren } from "../helpers/cli.ts";
import { connectClient } from "../helpers/client.ts";

const dir = mkdtempSync(join(tmpdir(), "warren-cli-"));
afterEach(killAll);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function writeConfig(name: string, toml: string): Promise<string> {
  const path = join(dir, name);
  await Bun.write(path, toml);
  return path;
}

describe("warren exits at once", () => {
  test("--help: exit 0, the usage on stdout", async () => {
    expect(await runWarren(["--help"])).toEqual({ code: 0, stdout: `${USAGE}\n`, stderr: "" });
  });

  test("--version: exit 0, `warren 0.1.0`", async () => {
    expect(await runWarren(["--version"])).toEqual({ code: 0, stdout: "warren 0.1.0\n", stderr: "" });
  });

  test("an unknown option: exit 2, pointing at --help", async () => {
    expect(await runWarren(["--listen", "127.0.0.1:0", "--bogus"])).toEqual({
      code: 2,
      stdout: "",
      stderr: "warren: --bogus: unknown option (see --help)\n",
    });
  });

  test("an invalid --backend: exit 2, naming the key path and the bad value", async () => {
    expect(await runWarren(["--listen", "127.0.0.1:0", "--backend", "localhost:80a"])).toEqual({
      code: 2,
      stdout: "",
      stderr: `flags: listeners[0].backends[0]: expected HOST:PORT, got "localhost:80a": port must be a number 1..65535\n`,
    });
  });

  test("a config file with an unknown key: exit 2, naming the file, the key path and the likely key", async () => {
    const path = await writeConfig(
      "typo.toml",
      `[[listeners]]\nlisten = "127.0.0.1:0"\nbackends = ["127.0.0.1:9501"]\nconectTimeoutMs = 100\n`,
    );
    expect(await runWarren(["--config", path])).toEqual({
      code: 2,
      stdout: "",
      stderr: `${path}: listeners[0].conectTimeoutMs: unknown key, did you mean "connectTimeoutMs"?\n`,
    });
  });

  test("a missing config file: exit 2", async () => {
    const path = join(dir, "absent.toml");
    expect(await runWarren(["-c", path])).toEqual({ code: 2, stdout: "", stderr: `${path}: file not found\n` });
  });

  test("--check on warren.example.toml: exit 0 without listening", async () => {
    expect(await runWarren(["--check", "--config", "warren.example.toml"])).toEqual({
      code: 0,
      stdout: "warren.example.toml: ok (5 listener(s))\n",
      stderr: "",
    });
  });

  test("--check on an invalid file: exit 2 with every error", async () => {
    const path = await writeConfig("two-errors.toml", `[log]\nlevel = "loud"\n\n[[listeners]]\nbackends = []\n`);
    const result = await runWarren(["--check", "-c", path]);
    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd().split("\n")).toEqual([
      `${path}: log.level: expected one of "debug", "info", "warn", "error", "silent", got "loud"`,
      `${path}: listeners[0].backends: expected a list of at least one backend, got an empty list`,
    ]);
  });

  test("--check with a bad maxConnectingPerBackend: exit 2, naming the key path, the range and the value", async () => {
    const path = await writeConfig("connecting.toml", `[[listeners]]\nbackends = ["127.0.0.1:9501"]\nmaxConnectingPerBackend = 0\n`);
    expect(await runWarren(["--check", "-c", path])).toEqual({
      code: 2,
      stdout: "",
      stderr: `${path}: listeners[0].maxConnectingPerBackend: expected an integer 1..100000, got 0\n`,
    });
  });

  test("a port already in use: exit 1, saying which listener and address", async () => {
    const taken = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const address = `127.0.0.1:${taken.port}`;
      const result = await runWarren(["--listen", address, "--backend", "127.0.0.1:9501"]);
      expect(result.code).toBe(1);
      const lines = result.stderr
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines).toEqual([
        {
          time: expect.any(String),
          level: "error",
          msg: "cannot start",
          error: `listener "${address}": cannot listen on ${address}: EADDRINUSE`,
          why: "the address is already in use: another process (or another warren) listens there",
        },
      ]);
    } finally {
      taken.stop(true);
    }
  });

  test("a listen address that is not this host's: exit 1, saying so", async () => {
    // 192.0.2.0/24 is TEST-NET-1: documentation only, never assigned to a host.
    const result = await runWarren(["--listen", "192.0.2.1:0", "--backend", "127.0.0.1:9501"]);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stderr)).toMatchObject({ level: "error", msg: "cannot start", why: "the address is not one of this host's" });
  });
});

describe("a running warren", () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    test(`relays bytes to its backend, then exits 0 on ${signal}, logging each step in order`, async () => {
      using backend = echoBackend();
      await using warren = await startWarren(["--listen", "127.0.0.1:0", "--backend", backend.address]);

      const started = warren.lines.find((l) => l.msg === "warren started");
      expect(started).toMatchObject({ level: "info", version: "0.1.0", pid: warren.pid });
      const port = warren.port();
      expect(warren.lines.find((l) => l.msg === "listening")).toMatchObject({
        listener: "127.0.0.1:0",
        address: `127.0.0.1:${port}`,
        backends: [backend.address],
      });

      const client = await connectClient(port);
      await client.send("hello through warren");
      await client.waitFor(20);
      expect(client.received().toString()).toBe("hello through warren");
      client.socket.end();
      const session = await warren.waitForLog("session");
      expect(session).toMatchObject({
        listener: "127.0.0.1:0",
        backend: backend.address,
        bytesFromClient: 20,
        bytesFromBackend: 20,
        end: "ok",
      });

      warren.signal(signal);
      expect(await exitsWithin(warren, 5_000)).toBe(0);
      expect(warren.lines.map((l) => l.msg)).toEqual(["warren started", "listening", "session", "shutting down", "stopped"]);
      expect(warren.lines[3]).toMatchObject({ signal, sessions: 0 });
    });
  }

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    test(`${signal} drains: no new clients, the live session still relays, and warren exits 0 as soon as it ends`, async () => {
      using backend = echoBackend();
      await using warren = await startWarren(["--listen", "127.0.0.1:0", "--backend", backend.address]);
      const port = warren.port();
      const client = await connectClient(port);
      await client.send("before");
      await client.waitFor(6);

      warren.signal(signal);
      expect(await warren.waitForLog("draining")).toMatchObject({ sessions: 1, drainTimeoutMs: 30_000 });

      // The listening socket is closed: a new client is refused, not queued.
      await expect(connectClient(port)).rejects.toMatchObject({ code: "ECONNREFUSED" });
      await client.send("during");
      await client.waitFor(12);
      expect(client.received().toString()).toBe("beforeduring");
      expect(warren.running).toBe(true);

      client.socket.end();
      // Promptly: far sooner than the 30 s drain timeout.
      expect(await exitsWithin(warren, 3_000)).toBe(0);
      expect(warren.lines.map((l) => l.msg).slice(-4)).toEqual(["shutting down", "draining", "session", "stopped"]);
      expect(warren.lines.find((l) => l.msg === "session")).toMatchObject({ end: "ok", bytesFromClient: 12 });
    });
  }

  test("a session still open at shutdown.drainTimeoutMs is closed then, and warren exits 0", async () => {
    using backend = echoBackend();
    const drainTimeoutMs = 300;
    const path = await writeConfig(
      "drain.toml",
      `[shutdown]\ndrainTimeoutMs = ${drainTimeoutMs}\n\n[[listeners]]\nname = "short-drain"\nlisten = "127.0.0.1:0"\nbackends = ["${backend.address}"]\n`,
    );
    await using warren = await startWarren(["--config", path]);
    const client = await connectClient(warren.port("short-drain"));
    await client.send("stay");
    await client.waitFor(4);

    const signalledAt = performance.now();
    warren.signal("SIGTERM");
    expect(await warren.waitForLog("draining")).toMatchObject({ sessions: 1, drainTimeoutMs });
    expect(await exitsWithin(warren, 5_000)).toBe(0);
    // Timers may fire a little early; the point is it waited for the deadline, not that it was exact.
    expect(performance.now() - signalledAt).toBeGreaterThanOrEqual(drainTimeoutMs - 20);
    await client.closed;
    expect(warren.lines.find((l) => l.msg === "session failed")).toMatchObject({ end: "SHUTDOWN", side: "internal", bytesFromClient: 4 });
    expect(warren.lines.at(-1)).toMatchObject({ msg: "stopped" });
  });

  // A second signal cuts the drain short (ProxyServer.close with graceful: false during a graceful close).
  test("a second signal during the drain closes every session at once", async () => {
    using backend = echoBackend();
    await using warren = await startWarren(["--listen", "127.0.0.1:0", "--backend", backend.address]);
    const client = await connectClient(warren.port());
    await client.send("x");
    await client.waitFor(1);

    warren.signal("SIGTERM");
    await warren.waitForLog("draining");
    warren.signal("SIGINT");
    expect(await exitsWithin(warren, 1_000)).toBe(0);
    await client.closed;
    expect(warren.lines.find((l) => l.msg === "second signal: closing every session now")).toMatchObject({
      level: "warn",
      signal: "SIGINT",
    });
  });
});

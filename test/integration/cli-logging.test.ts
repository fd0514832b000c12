/**
 * The running command's log: SIGUSR1 and SIGUSR2 never end it, `log.file`
 * appends and is reopened on SIGUSR1 (logrotate), and a reload applies a new
 * level or format. Warren runs as a subprocess and is driven by its log lines.
 */
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { echoBackend } from "../helpers/backends.ts";
import { exitsWithin, freePort, killAll, type LogLine, startWarren, type WarrenProcess } from "../helpers/cli.ts";
import { connectClient } from "../helpers/client.ts";
import { eventually } from "../helpers/poll.ts";

const dir = mkdtempSync(join(tmpdir(), "warren-cli-log-"));
afterEach(killAll);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** oneSession connects, echoes a few bytes and closes: one access-log line. */
async function oneSession(port: number): Promise<void> {
  const client = await connectClient(port);
  await client.send("ping");
  await client.waitFor(4);
  client.socket.end();
  await client.closed;
}

function fileLines(path: string): LogLine[] {
  let text = "";
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return [];
  }
  return text.trimEnd() === ""
    ? []
    : text
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l) as LogLine);
}

async function fileLine(path: string, msg: string, count = 1): Promise<LogLine[]> {
  return eventually(
    () => fileLines(path).filter((l) => l.msg === msg),
    (found) => found.length >= count,
    `${count} "${msg}" line(s) in ${path}`,
  );
}

describe("SIGUSR1 and SIGUSR2 never end warren", () => {
  test("SIGUSR2 logs a one-line stats summary; SIGUSR1 without a log file says there is none; warren keeps serving", async () => {
    using backend = echoBackend();
    await using warren = await startWarren(["--listen", "127.0.0.1:0", "--backend", backend.address]);
    const port = warren.port();
    await oneSession(port);
    await warren.waitForLog("session");

    let from = warren.mark;
    warren.signal("SIGUSR2");
    expect(await warren.waitForLog("stats", { from })).toEqual({
      time: expect.any(String),
      level: "info",
      msg: "stats",
      uptimeS: expect.any(Number),
      sessions: 0,
      sessionsTotal: 1,
      bytesFromClients: 4,
      bytesFromBackends: 4,
      errors: {},
      listeners: { "127.0.0.1:0": { accepting: true, sessions: 0, sessionsTotal: 1, refused: 0, backendsUp: "1/1" } },
    });
    from = warren.mark;
    warren.signal("SIGUSR1");
    await warren.waitForLog("SIGUSR1: no log file to reopen (logging to stderr)", { from });
    warren.signal("SIGUSR2");
    await warren.waitForLog("stats", { from });

    expect(warren.running).toBe(true);
    await oneSession(port);
    warren.signal("SIGTERM");
    expect(await exitsWithin(warren, 5_000)).toBe(0);
  });
});

describe("log.file", () => {
  test("appends JSON lines to the file, nothing to stderr; after a rename, SIGUSR1 reopens the path (logrotate)", async () => {
    using backend = echoBackend();
    const log = join(dir, "warren.log");
    await Bun.write(log, `{"msg":"an earlier line that must stay"}\n`);
    const config = join(dir, "file.toml");
    await Bun.write(
      config,
      `[log]\nfile = "warren.log"\n\n[[listeners]]\nname = "web"\nlisten = "127.0.0.1:${freePort()}"\nbackends = ["${backend.address}"]\n`,
    );
    await using warren = await startWarren(["--config", config], { listeners: 0 });
    const [listening] = await fileLine(log, "listening");
    const port = Number(String(listening!.address).split(":")[1]);
    await oneSession(port);
    await fileLine(log, "session");

    const rotated = join(dir, "warren.log.1");
    renameSync(log, rotated);
    warren.signal("SIGUSR1");
    expect((await fileLine(log, "log file reopened"))[0]).toMatchObject({ file: log });
    await oneSession(port);
    await fileLine(log, "session");

    expect(fileLines(rotated).map((l) => l.msg)).toEqual(["an earlier line that must stay", "warren started", "listening", "session"]);
    expect(fileLines(log).map((l) => l.msg)).toEqual(["log file reopened", "session"]);
    expect(warren.stderr).toBe("");
    warren.signal("SIGTERM");
    expect(await exitsWithin(warren, 5_000)).toBe(0);
    expect(fileLines(log).map((l) => l.msg)).toEqual(["log file reopened", "session", "shutting down", "stopped"]);
  });
});

describe("a reload applies the new [log] settings", () => {
  async function startWith(path: string, log: string, port: number, backend: string): Promise<WarrenProcess> {
    await Bun.write(path, `[log]\n${log}\n\n[[listeners]]\nname = "web"\nlisten = "127.0.0.1:${port}"\nbackends = ["${backend}"]\n`);
    return startWarren(["--config", path]);
  }

  test("level: after a reload to warn, sessions are no longer logged but failures are", async () => {
    using backend = echoBackend();
    const path = join(dir, "level.toml");
    const port = freePort();
    await using warren = await startWith(path, `level = "info"`, port, backend.address);
    await oneSession(port);
    await warren.waitForLog("session");

    // A backend listed twice makes the reload log a warning: the sign that it was applied.
    const from = warren.mark;
    await Bun.write(
      path,
      `[log]\nlevel = "warn"\n\n[[listeners]]\nname = "web"\nlisten = "127.0.0.1:${port}"\nbackends = ["${backend.address}", "${backend.address}"]\n`,
    );
    warren.signal("SIGHUP");
    await warren.waitForLog("config warning", { from });
    await oneSession(port);
    backend.stop(); // the next session fails to connect: a warn line
    const client = await connectClient(port);
    await client.closed;
    await warren.waitForLog("session failed", { from });
    expect(warren.lines.slice(from).map((l) => l.msg)).toEqual(["config warning", "session failed"]);
  });

  test("format: after a reload from json to pretty, the lines are pretty", async () => {
    using backend = echoBackend();
    const path = join(dir, "format.toml");
    const port = freePort();
    await using warren = await startWith(path, `format = "json"`, port, backend.address);
    await Bun.write(
      path,
      `[log]\nformat = "pretty"\n\n[[listeners]]\nname = "web"\nlisten = "127.0.0.1:${port}"\nbackends = ["${backend.address}"]\n`,
    );
    warren.signal("SIGHUP");
    await warren.waitForStderr(" INFO  reloaded listeners=1\n");
    await oneSession(port);
    await warren.waitForStderr(" INFO  session session=1 listener=web ");
  });
});

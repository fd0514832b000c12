/**
 * The running command's log: a reload applies a new level or format. Warren
 * runs as a subprocess and is driven by its log lines.
 */
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { echoBackend } from "../helpers/backends.ts";
import { freePort, killAll, startWarren, type WarrenProcess } from "../helpers/cli.ts";
import { connectClient } from "../helpers/client.ts";

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
    await Bun.write(path, `[log]\nlevel = "warn"\n\n[[listeners]]\nname = "web"\nlisten = "127.0.0.1:${port}"\nbackends = ["${backend.address}", "${backend.address}"]\n`);
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
    await Bun.write(path, `[log]\nformat = "pretty"\n\n[[listeners]]\nname = "web"\nlisten = "127.0.0.1:${port}"\nbackends = ["${backend.address}"]\n`);
    warren.signal("SIGHUP");
    await warren.waitForStderr(" INFO  reloaded listeners=1\n");
    await oneSession(port);
    await warren.waitForStderr(" INFO  session session=1 listener=web ");
  });
});

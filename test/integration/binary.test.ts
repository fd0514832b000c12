/**
 * warren as a single compiled executable (`bun build --compile`): it starts,
 * relays and shuts down cleanly without Bun or the sources next to it.
 */
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { echoBackend } from "../helpers/backends.ts";
import { exitsWithin, freePort, killAll, runWarren, startWarren } from "../helpers/cli.ts";
import { connectClient, randomBytes, sha256 } from "../helpers/client.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "warren-binary-"));
const binary = join(dir, "warren");

beforeAll(async () => {
  const build = Bun.spawn([process.execPath, "build", "--compile", "src/main.ts", "--outfile", binary], {
    cwd: ROOT,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [code, stderr] = await Promise.all([build.exited, new Response(build.stderr).text()]);
  if (code !== 0) throw new Error(`bun build --compile failed (${code}):\n${stderr}`);
}, 120_000);
afterEach(killAll);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("the compiled binary prints its version", async () => {
  expect(await runWarren(["--version"], { command: [binary] })).toEqual({ code: 0, stdout: "warren 0.1.0\n", stderr: "" });
});

test("the compiled binary relays bytes exactly on a fixed port, then exits 0 on SIGTERM", async () => {
  using backend = echoBackend();
  const port = freePort();
  await using warren = await startWarren(["--listen", `127.0.0.1:${port}`, "--backend", backend.address], { command: [binary] });
  expect(warren.port()).toBe(port);

  const payload = randomBytes(1 << 20, 7);
  const client = await connectClient(port);
  await client.send(payload);
  await client.waitFor(payload.byteLength);
  expect(sha256(client.received())).toBe(sha256(payload));
  client.socket.end();
  await warren.waitForLog("session");

  warren.signal("SIGTERM");
  expect(await exitsWithin(warren, 5_000)).toBe(0);
  expect(warren.lines.at(-1)).toMatchObject({ msg: "stopped" });
});

test("the compiled binary serves the dashboard and its assets from inside itself, and answers warren ctl", async () => {
  using backend = echoBackend();
  await using warren = await startWarren(
    ["--listen", "127.0.0.1:0", "--backend", backend.address, "--admin", "127.0.0.1:0", "--log-format", "json"],
    { command: [binary] },
  );
  const url = String(warren.lines.find((l) => l.msg === "admin listening")!.url);
  const page = await fetch(`${url}/`);
  expect([page.status, page.headers.get("content-type")]).toEqual([200, "text/html; charset=utf-8"]);
  const html = await page.text();
  for (const asset of ["/assets/uplot.js", "/assets/uplot.css", "/assets/app.js", "/assets/app.css"]) {
    expect(html).toContain(asset);
    const r = await fetch(`${url}${asset}`);
    expect([asset, r.status, (await r.text()).length > 100]).toEqual([asset, 200, true]);
  }
  expect(await runWarren(["ctl", "health", "--admin", url], { command: [binary] })).toEqual({ code: 0, stdout: "ok\n", stderr: "" });
});

/**
 * `warren ctl`, run as a subprocess against a warren command with its admin server: the same API a
 * script or the Dockerfile's HEALTHCHECK uses, its exit codes and its output for people and for jq.
 */
import { afterAll, afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TEST_TOKEN } from "../helpers/admin.ts";
import { closedPort, greetBackend } from "../helpers/backends.ts";
import { killAll, runWarren, startWarren, type WarrenProcess } from "../helpers/cli.ts";
import { connectClient } from "../helpers/client.ts";
import { eventually } from "../helpers/poll.ts";

setDefaultTimeout(30_000);
const dir = mkdtempSync(join(tmpdir(), "warren-ctl-"));
afterEach(killAll);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function webConfig(backends: string[], extra = ""): string {
  const path = join(dir, `c${++files}.toml`);
  writeFileSync(path, webToml(backends, extra));
  return path;
}
function webToml(backends: string[], extra = ""): string {
  return `[log]\nformat = "json"\n[admin]\nlisten = "127.0.0.1:0"\ntoken = "${TEST_TOKEN}"\n[[listeners]]\nname = "web"\nlisten = "127.0.0.1:0"\nbackends = [${backends.map((b) => `"${b}"`).join(", ")}]\n${extra}`;
}

async function started(file: string): Promise<{ warren: WarrenProcess; admin: string }> {
  const warren = await startWarren(["--config", file], { admin: "as-configured" });
  const line = warren.lines.find((l) => l.msg === "admin listening")!;
  return { warren, admin: String(line.url) };
}

const ctl = (admin: string, ...args: string[]) => runWarren(["ctl", ...args, "--admin", admin, "--token", TEST_TOKEN]);

async function firstByte(port: number): Promise<string> {
  const c = await connectClient(port);
  await c.waitFor(1);
  c.socket.end();
  return c.received().toString().slice(0, 1);
}

test("health exits 0 and says ok while warren runs; 1 when nothing answers (the Dockerfile's HEALTHCHECK)", async () => {
  using a = greetBackend("A\n");
  const { warren, admin } = await started(webConfig([a.address]));
  await using _ = warren;
  expect(await runWarren(["ctl", "health", "--admin", admin])).toEqual({ code: 0, stdout: "ok\n", stderr: "" });
  const nobody = `http://127.0.0.1:${closedPort()}`;
  const down = await runWarren(["ctl", "health", "--admin", nobody]);
  expect(down.code).toBe(1);
  expect(down.stderr).toBe(
    `warren ctl: cannot reach ${nobody}: ECONNREFUSED (is warren running, with its admin server at this address? see --admin)\n`,
  );
});

test("stats: the API's JSON with --json, lines for people with --human", async () => {
  using a = greetBackend("A\n");
  const { warren, admin } = await started(webConfig([a.address]));
  await using _ = warren;
  expect(await firstByte(warren.port("web"))).toBe("A");
  const json = await ctl(admin, "stats", "--json");
  expect(json.code).toBe(0);
  const body = JSON.parse(json.stdout) as { total: { sessionsTotal: number; listeners: { name: string }[] }; perWorker: unknown[] };
  expect([body.total.sessionsTotal, body.total.listeners.map((l) => l.name), body.perWorker]).toEqual([1, ["web"], []]);
  const human = await ctl(admin, "stats", "--human");
  expect(human.code).toBe(0);
  expect(human.stdout).toContain(`listener web 127.0.0.1:${warren.port("web")}: `);
  expect(human.stdout).toMatch(
    new RegExp(`  ${a.address.replace(/\./g, "\\.")} +UP +active \\d, sessions 1, errors 0, connect \\d+\\.\\d\\d ms`),
  );
});

test("drain, enable and disable a backend; a wrong token is refused with the API's error and exit 1", async () => {
  using a = greetBackend("A\n");
  using b = greetBackend("B\n");
  const { warren, admin } = await started(webConfig([a.address, b.address]));
  await using _ = warren;
  const port = warren.port("web");
  expect(await ctl(admin, "drain", "web", a.address, "--human")).toEqual({
    code: 0,
    stdout: `web ${a.address}: draining (no new sessions)\n`,
    stderr: "",
  });
  const served: string[] = [];
  for (let i = 0; i < 6; i++) served.push(await firstByte(port));
  expect(served).toEqual(Array(6).fill("B"));
  const disabled = await ctl(admin, "disable", "web", b.address, "--json");
  expect([disabled.code, JSON.parse(disabled.stdout)]).toEqual([
    0,
    { listener: "web", backend: b.address, action: "disable", adminState: "maint" },
  ]);
  expect((await ctl(admin, "enable", "web", a.address)).code).toBe(0);
  expect(await firstByte(port)).toBe("A");

  const wrong = await runWarren(["ctl", "drain", "web", a.address, "--admin", admin, "--token", "not-the-token-at-all-0000"]);
  expect([wrong.code, wrong.stderr]).toEqual([1, "warren ctl: UNAUTHORIZED: wrong admin token\n"]);
  const unknown = await ctl(admin, "drain", "web", "10.1.1.1:1", "--human");
  expect([unknown.code, unknown.stderr]).toEqual([
    1,
    `warren ctl: NO_SUCH_BACKEND: listener "web" has no backend "10.1.1.1:1"; backends: ${a.address}, ${b.address}\n`,
  ]);
});

test("reload re-reads the file; an invalid one comes back with its key path and exit 1", async () => {
  using a = greetBackend("A\n");
  const file = webConfig([a.address]);
  const { warren, admin } = await started(file);
  await using _ = warren;
  writeFileSync(file, webToml([a.address], `[[listeners]]\nname = "api"\nlisten = "127.0.0.1:0"\nbackends = ["${a.address}"]\n`));
  expect(await ctl(admin, "reload", "--human")).toEqual({ code: 0, stdout: "reloaded: web, api\n", stderr: "" });
  writeFileSync(file, webToml([a.address], `balance = "fastest"\n`));
  const bad = await ctl(admin, "reload", "--json");
  expect(bad.code).toBe(1);
  expect((JSON.parse(bad.stdout) as { error: { code: string; errors: { path: string }[] } }).error).toMatchObject({
    code: "CONFIG_INVALID",
    errors: [{ path: "listeners[0].balance" }],
  });
  expect(bad.stderr).toContain(`warren ctl: CONFIG_INVALID: ${file}: listeners[0].balance: expected one of`);
});

test("sessions lists live sessions as a table, largest first", async () => {
  using a = greetBackend("A\n");
  const { warren, admin } = await started(webConfig([a.address]));
  await using _ = warren;
  const small = await connectClient(warren.port("web"));
  const big = await connectClient(warren.port("web"));
  await small.send("x");
  await big.send("y".repeat(5000));
  const sessions = async () => JSON.parse((await ctl(admin, "sessions", "--json")).stdout) as { sessions: { bytesFromClient: number }[] };
  await eventually(sessions, (r) => r.sessions.map((s) => s.bytesFromClient).join() === "5000,1", "both sessions' bytes counted");
  const human = await ctl(admin, "sessions", "--listener", "web", "--limit", "1", "--human");
  const lines = human.stdout.trimEnd().split("\n");
  expect(lines[0]).toMatch(/^ID +LISTENER +CLIENT +BACKEND +STATE +AGE +IN +OUT$/);
  expect(lines[1]).toMatch(
    new RegExp(`^\\d+ +web +127\\.0\\.0\\.1:\\d+ +${a.address.replace(/\./g, "\\.")} +open +\\d+\\.\\ds +4\\.9 KiB +[\\d.]+ (B|KiB)$`),
  );
  expect(lines[2]).toBe("1 of 2 live session(s)");
  small.socket.end();
  big.socket.end();
});

test("usage errors exit 2 and say what is wrong", async () => {
  expect(await runWarren(["ctl", "drain", "web"])).toEqual({
    code: 2,
    stdout: "",
    stderr: "warren ctl: drain: expected LISTENER BACKEND (e.g. warren ctl drain web 10.0.0.5:8080), got 1 argument(s)\n",
  });
  expect(await runWarren(["ctl", "frobnicate"])).toEqual({
    code: 2,
    stdout: "",
    stderr: 'warren ctl: "frobnicate": unknown command; one of stats, sessions, drain, enable, disable, reload, health\n',
  });
  expect((await runWarren(["ctl", "--help"])).stdout).toStartWith("warren ctl — talk to a running warren's admin server");
});

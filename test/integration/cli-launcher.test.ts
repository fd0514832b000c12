/**
 * The README's launch commands deliver signals to warren. `npx bun run proxy`
 * is npm → bun run → warren (with the project's .npmrc, npm's shell execs the
 * command); npm forwards SIGINT and SIGTERM and dies of SIGHUP, `bun run`
 * forwards SIGTERM, SIGINT, SIGHUP and SIGUSR2 and dies of SIGUSR1 (both
 * observed with npm 11.19 and Bun 1.4.4). Each test signals the top process,
 * as a process manager would, and checks what warren did and that nothing is
 * left listening.
 */
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { echoBackend } from "../helpers/backends.ts";
import { exitsWithin, killAll, processRuns, startWarren, type WarrenProcess } from "../helpers/cli.ts";
import { connectClient } from "../helpers/client.ts";
import { eventually } from "../helpers/poll.ts";

afterEach(killAll);
// npx and npm start slowly (seconds on a loaded machine, more on its first run); every wait inside has its own deadline.
setDefaultTimeout(30_000);

const NPX = ["npx", "bun", "run", "proxy"];
const BUN_RUN = [process.execPath, "run", "proxy"];

async function launch(command: string[], backend: string): Promise<WarrenProcess> {
  const warren = await startWarren(["--listen", "127.0.0.1:0", "--backend", backend], { command, timeoutMs: 20_000 });
  expect(warren.warrenPid).not.toBe(warren.pid); // warren runs below the launcher
  return warren;
}

/** Nothing is left: warren's process is gone and its port refuses connections. */
async function nothingLeft(warren: WarrenProcess, port: number): Promise<void> {
  const pid = warren.warrenPid;
  await eventually(
    () => processRuns(pid),
    (runs) => !runs,
    `warren (pid ${pid}) to be gone`,
  );
  await expect(connectClient(port)).rejects.toMatchObject({ code: "ECONNREFUSED" });
}

describe("npx bun run proxy (the README's quick start)", () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    test(`${signal} to npx reaches warren: it drains and exits 0, and npx exits 0 after it`, async () => {
      using backend = echoBackend();
      await using warren = await launch(NPX, backend.address);
      const port = warren.port();

      warren.signal(signal);
      expect(await warren.waitForLog("shutting down")).toMatchObject({ signal });
      expect(await exitsWithin(warren, 10_000)).toBe(0);
      expect(warren.lines.at(-1)).toMatchObject({ msg: "stopped" });
      await nothingLeft(warren, port);
    });
  }

  for (const [signal, number] of [
    ["SIGHUP", 1],
    ["SIGUSR2", 12],
  ] as const) {
    test(`${signal} kills npm (it forwards only SIGINT and SIGTERM): warren sees its launcher gone, drains and exits`, async () => {
      using backend = echoBackend();
      await using warren = await launch(NPX, backend.address);
      const port = warren.port();

      warren.signal(signal);
      expect(await warren.waitForLog("launcher gone: nothing can signal warren any more, shutting down")).toMatchObject({
        level: "warn",
        launcher: warren.pid,
      });
      expect(await warren.waitForLog("shutting down")).toMatchObject({ signal: null, reason: "launcher exited" });
      await warren.waitForLog("stopped");
      await nothingLeft(warren, port);
      expect(await exitsWithin(warren, 10_000)).toBe(128 + number); // npm itself died of the signal
    });
  }
});

describe("bun run proxy (with Bun installed)", () => {
  test("SIGHUP and SIGUSR2 reach warren through bun run (reload, stats); SIGTERM drains and exits 0", async () => {
    using backend = echoBackend();
    await using warren = await launch(BUN_RUN, backend.address);
    const port = warren.port();

    let from = warren.mark;
    warren.signal("SIGHUP");
    await warren.waitForLog("reloaded", { from });
    expect(warren.port()).toBe(port);
    from = warren.mark;
    warren.signal("SIGUSR2");
    expect(await warren.waitForLog("stats", { from })).toMatchObject({ sessions: 0 });

    warren.signal("SIGTERM");
    expect(await warren.waitForLog("shutting down")).toMatchObject({ signal: "SIGTERM" });
    expect(await exitsWithin(warren, 10_000)).toBe(0);
    await nothingLeft(warren, port);
  });

  test("SIGUSR1 kills bun run: warren sees its launcher gone, drains and exits", async () => {
    using backend = echoBackend();
    await using warren = await launch(BUN_RUN, backend.address);
    const port = warren.port();

    warren.signal("SIGUSR1");
    expect(await warren.waitForLog("launcher gone: nothing can signal warren any more, shutting down")).toMatchObject({
      launcher: warren.pid,
    });
    await warren.waitForLog("stopped");
    await nothingLeft(warren, port);
    expect(await exitsWithin(warren, 10_000)).toBe(128 + 10);
  });
});

/**
 * deploy/warren.service is what an operator installs: systemd itself must accept it (systemd-analyze
 * verify), and it must say what the README promises — reload by SIGHUP, stop by SIGTERM with more time
 * than the drain, hardening on.
 */
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULTS } from "../../../src/defaults.ts";

const ROOT = new URL("../../../", import.meta.url).pathname;
const UNIT = await Bun.file(`${ROOT}deploy/warren.service`).text();

/** The unit's settings as key → values (a key may repeat). */
function settings(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m !== null) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
}

test("systemd-analyze verify accepts the unit (with the binary's path pointing at an executable that exists here)", () => {
  const dir = mkdtempSync(join(tmpdir(), "warren-unit-"));
  try {
    // verify checks that ExecStart's program exists; the compiled binary is not installed on a test machine.
    const path = join(dir, "warren.service");
    writeFileSync(path, UNIT.replaceAll("/usr/local/bin/warren", process.execPath));
    const r = Bun.spawnSync(["systemd-analyze", "verify", path], { stdout: "pipe", stderr: "pipe" });
    expect({ exitCode: r.exitCode, stderr: r.stderr.toString() }).toEqual({ exitCode: 0, stderr: "" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 30_000); // systemd-analyze loads every unit it knows: seconds on a busy machine

test("reload is SIGHUP to warren itself, stop is SIGTERM with more time than the default drain", () => {
  const s = settings(UNIT);
  expect(s.get("ExecReload")).toEqual(["/bin/kill -HUP $MAINPID"]);
  expect(s.get("KillSignal")).toEqual(["SIGTERM"]);
  const stopSec = Number(/^(\d+)s$/.exec(s.get("TimeoutStopSec")![0]!)![1]);
  expect(stopSec * 1000).toBeGreaterThan(DEFAULTS.shutdown.drainTimeoutMs);
  // warren is the main process (no launcher in between that would swallow signals: see the README's Signals).
  expect(s.get("ExecStart")![0]).toStartWith("/usr/local/bin/warren --config ");
  expect(s.get("ExecStartPre")![0]).toEndWith("--check");
  expect(s.get("RestartPreventExitStatus")).toEqual(["2"]);
});

test("the hardening options are on", () => {
  const s = settings(UNIT);
  for (const [key, value] of [
    ["NoNewPrivileges", "yes"],
    ["ProtectSystem", "strict"],
    ["ProtectHome", "yes"],
    ["PrivateTmp", "yes"],
    ["DynamicUser", "yes"],
  ]) {
    expect(s.get(key!), key).toEqual([value!]);
  }
});

/**
 * What the `warren` command says about a config before it binds anything,
 * run as a user runs it (a subprocess): syntax errors with their position,
 * files that are no config, and `--check`, which must fail exactly where a
 * real start would, with the same messages.
 */
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killAll, runWarren } from "../helpers/cli.ts";

const dir = mkdtempSync(join(tmpdir(), "warren-cli-check-"));
afterEach(killAll);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function writeConfig(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await Bun.write(path, text);
  return path;
}

describe("syntax errors: FILE:LINE:COL, the line, a caret", () => {
  test("TOML: exit 2, the position of the unterminated string", async () => {
    const path = await writeConfig("syntax.toml", `[log]\nlevel = "info\n\n[[listeners]]\nbackends = ["127.0.0.1:9501"]\n`);
    expect(await runWarren(["--config", path])).toEqual({
      code: 2,
      stdout: "",
      stderr: `${path}:2:9: invalid TOML: Unterminated string; newlines must be escaped in basic strings\n  level = "info\n          ^\n`,
    });
  });

  test("JSON: exit 2, the position of the trailing comma", async () => {
    const path = await writeConfig("syntax.json", `{\n  "listeners": [\n    { "backends": ["127.0.0.1:9501"], }\n  ]\n}\n`);
    expect(await runWarren(["--check", "--config", path])).toEqual({
      code: 2,
      stdout: "",
      stderr: `${path}:3:39: invalid JSON: Property name must be a string literal\n      { "backends": ["127.0.0.1:9501"], }\n                                        ^\n`,
    });
  });
});

test("a FIFO as --config: exit 2 at once instead of waiting for a writer", async () => {
  const fifo = join(dir, "fifo.toml");
  expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
  expect(await runWarren(["--config", fifo], { timeoutMs: 5_000 })).toEqual({
    code: 2,
    stdout: "",
    stderr: `${fifo}: not a regular file (a FIFO); the config must be a file\n`,
  });
});

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
import { freePort, killAll, runWarren, startWarren } from "../helpers/cli.ts";

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

/** [what, config text ({P} is a free port, {DIR} the test's directory), every error line after the file name] */
const FAILS_BEFORE_BINDING: [string, string, string[]][] = [
  [
    "a custom framer module that does not exist",
    `[[listeners]]\nlisten = "127.0.0.1:0"\nbackends = ["127.0.0.1:9501"]\nmode = "pool"\n[listeners.pool.framer]\nkind = "custom"\nmodule = "./no-such-framer.ts"\n`,
    [
      `listeners[0].pool.framer: custom framer module {DIR}/no-such-framer.ts: file not found (module: "./no-such-framer.ts", resolved against {DIR})`,
    ],
  ],
  [
    "a listen address that is no IPv4 address",
    `[[listeners]]\nlisten = "300.1.1.1:{P}"\nbackends = ["127.0.0.1:9501"]\n`,
    [
      `listeners[0].listen: expected HOST:PORT, got "300.1.1.1:{P}": "300.1.1.1" is not an IPv4 address: each of its 4 numbers must be 0..255`,
    ],
  ],
  [
    "0.0.0.0:P beside 127.0.0.1:P in one file",
    `[[listeners]]\nlisten = "0.0.0.0:{P}"\nbackends = ["127.0.0.1:9501"]\n\n[[listeners]]\nlisten = "127.0.0.1:{P}"\nbackends = ["127.0.0.1:9501"]\n`,
    [
      `listeners[1].listen: 127.0.0.1:{P} clashes with listeners[0]'s 0.0.0.0:{P}: 0.0.0.0:{P} listens on every IPv4 address of port {P}, so both cannot bind; use one, or different ports`,
    ],
  ],
  [
    "a listen host name that does not resolve",
    `[[listeners]]\nlisten = "no-such-host.invalid:{P}"\nbackends = ["127.0.0.1:9501"]\n`,
    [
      `listeners[0].listen: cannot resolve "no-such-host.invalid" (ENOTFOUND); listen on an address of this host, or a name that resolves to one`,
    ],
  ],
  [
    "a log file in a directory that does not exist",
    `[log]\nfile = "no-such-dir/warren.log"\n\n[[listeners]]\nlisten = "127.0.0.1:{P}"\nbackends = ["127.0.0.1:9501"]\n`,
    [`log.file: cannot create "{DIR}/no-such-dir/warren.log": no directory {DIR}/no-such-dir`],
  ],
];

describe("--check fails exactly where a start fails, with the same messages", () => {
  test.each(FAILS_BEFORE_BINDING)("%s", async (_what, template, lines) => {
    const port = String(freePort());
    const fill = (text: string) => text.replaceAll("{P}", port).replaceAll("{DIR}", dir);
    const path = await writeConfig("fails.toml", fill(template));
    const expected = { code: 2, stdout: "", stderr: lines.map((l) => `${path}: ${fill(l)}\n`).join("") };
    expect(await runWarren(["--check", "--config", path])).toEqual(expected);
    expect(await runWarren(["--config", path])).toEqual(expected);
  });

  test("with --log-format json the same errors are one JSON log line", async () => {
    const path = await writeConfig("json-errors.toml", `[[listeners]]\nlisten = "300.1.1.1:80"\nbackends = ["localhost:80a"]\n`);
    const result = await runWarren(["--config", path, "--log-format", "json"]);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stderr)).toEqual({
      time: expect.any(String),
      level: "error",
      msg: "config invalid",
      source: path,
      errors: [
        `listeners[0].listen: expected HOST:PORT, got "300.1.1.1:80": "300.1.1.1" is not an IPv4 address: each of its 4 numbers must be 0..255`,
        `listeners[0].backends[0]: expected HOST:PORT, got "localhost:80a": port must be a number 1..65535`,
      ],
    });
  });
});

describe("flags", () => {
  test("--listen 127.0.0.1:99999: the port's range, not just HOST:PORT", async () => {
    expect(await runWarren(["--listen", "127.0.0.1:99999", "--backend", "127.0.0.1:9501"])).toEqual({
      code: 2,
      stdout: "",
      stderr: `flags: listeners[0].listen: expected HOST:PORT, got "127.0.0.1:99999": port must be 0..65535 (0 picks a free port)\n`,
    });
  });

  test("--backend ::1:6379: IPv6 goes in brackets, with the form to write", async () => {
    expect(await runWarren(["--listen", "127.0.0.1:0", "--backend", "::1:6379"])).toEqual({
      code: 2,
      stdout: "",
      stderr: `flags: listeners[0].backends[0]: expected HOST:PORT, got "::1:6379": IPv6 addresses go in brackets: [::1]:6379\n`,
    });
  });

  test("--listen twice is refused instead of the last one winning", async () => {
    expect(await runWarren(["--listen", "127.0.0.1:7001", "--listen", "127.0.0.1:7002"])).toEqual({
      code: 2,
      stdout: "",
      stderr: `warren: --listen: given twice ("127.0.0.1:7001", then "127.0.0.1:7002"); the flags make one listener; for several, use a config file (see warren.example.toml)\n`,
    });
  });

  test("a backend given twice is a warning: --check passes and says so, a start logs it", async () => {
    const args = ["--listen", "127.0.0.1:0", "--backend", "127.0.0.1:9501", "--backend", "127.0.0.1:9501"];
    const warning = `listeners[0].backends[1]: 127.0.0.1:9501 is listed twice (also backends[0]): each entry is a backend of its own, so it gets twice the share of new sessions; use weight instead`;
    expect(await runWarren([...args, "--check"])).toEqual({
      code: 0,
      stdout: "config: ok (1 listener(s))\n",
      stderr: `flags: warning: ${warning}\n`,
    });
    await using warren = await startWarren(args);
    expect(warren.lines.find((l) => l.msg === "config warning")).toEqual({
      time: expect.any(String),
      level: "warn",
      msg: "config warning",
      source: "flags",
      warning,
    });
  });
});

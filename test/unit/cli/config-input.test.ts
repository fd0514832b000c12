import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CliArgs, parseArgs } from "../../../src/cli/args.ts";
import { buildConfig } from "../../../src/cli/config-input.ts";
import type { WarrenConfig } from "../../../src/config/schema.ts";
import { ConfigErrors } from "../../../src/errors.ts";

const dir = mkdtempSync(join(tmpdir(), "warren-config-input-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function args(argv: string[]): CliArgs {
  const a = parseArgs(argv);
  if (a instanceof ConfigErrors) throw a;
  return a;
}

async function built(argv: string[]): Promise<WarrenConfig> {
  const config = await buildConfig(args(argv));
  if (config instanceof ConfigErrors) throw new Error(`expected a valid config:\n${config.message}`);
  return config;
}

async function rejected(argv: string[]): Promise<string> {
  const config = await buildConfig(args(argv));
  if (!(config instanceof ConfigErrors)) throw new Error("expected the config to be rejected");
  return config.message;
}

const hostPorts = (c: WarrenConfig) => c.listeners.map((l) => ({ listen: l.listen, backends: l.backends.map((b) => b.address) }));

test("no arguments: one listener on 127.0.0.1:9509 forwarding to 127.0.0.1:9501", async () => {
  expect(hostPorts(await built([]))).toEqual([
    { listen: { host: "127.0.0.1", port: 9509 }, backends: [{ host: "127.0.0.1", port: 9501 }] },
  ]);
});

test("--listen and --backend replace the defaults; several backends form one group", async () => {
  expect(hostPorts(await built(["-l", "127.0.0.1:0", "-b", "127.0.0.1:7001", "-b", "[::1]:7002"]))).toEqual([
    {
      listen: { host: "127.0.0.1", port: 0 },
      backends: [
        { host: "127.0.0.1", port: 7001 },
        { host: "::1", port: 7002 },
      ],
    },
  ]);
  expect(hostPorts(await built(["-b", "127.0.0.1:7001"]))[0]!.listen).toEqual({ host: "127.0.0.1", port: 9509 });
});

test('a bad flag value is reported against the key path it fills, from source "flags"', async () => {
  expect(await rejected(["--listen", "127.0.0.1:0", "--backend", "localhost:80a"])).toBe(
    `flags: listeners[0].backends[0]: expected HOST:PORT, got "localhost:80a": port must be a number 1..65535`,
  );
  expect(await rejected(["--log-level", "loud"])).toBe(
    `flags: log.level: expected one of "debug", "info", "warn", "error", "silent", got "loud"`,
  );
});

test("--log-level and --log-format override the file's log table and keep its other keys", async () => {
  const path = join(dir, "log.toml");
  await Bun.write(path, `[log]\nlevel = "error"\naccess = false\n\n[[listeners]]\nbackends = ["127.0.0.1:9501"]\n`);
  expect((await built(["-c", path])).log).toEqual({ level: "error", format: "auto", access: false, file: null });
  expect((await built(["-c", path, "--log-level", "debug", "--log-format", "json"])).log).toEqual({
    level: "debug",
    format: "json",
    access: false,
    file: null,
  });
});

test("file errors name the file", async () => {
  const path = join(dir, "typo.toml");
  await Bun.write(path, `[[listeners]]\nbackend = ["127.0.0.1:9501"]\n`);
  expect((await rejected(["-c", path])).split("\n")).toEqual([
    `${path}: listeners[0].backend: unknown key, did you mean "backends"?`,
    `${path}: listeners[0].backends: expected a list of at least one backend, got nothing`,
  ]);
  expect(await rejected(["-c", join(dir, "absent.toml")])).toBe(`${join(dir, "absent.toml")}: file not found`);
});

test("each build reads the file again (what SIGHUP relies on)", async () => {
  const path = join(dir, "reread.toml");
  const a = args(["-c", path]);
  await Bun.write(path, `[[listeners]]\nname = "one"\nbackends = ["127.0.0.1:9501"]\n`);
  expect(((await buildConfig(a)) as WarrenConfig).listeners[0]!.name).toBe("one");
  await Bun.write(path, `[[listeners]]\nname = "two"\nbackends = ["127.0.0.1:9501"]\n`);
  expect(((await buildConfig(a)) as WarrenConfig).listeners[0]!.name).toBe("two");
});

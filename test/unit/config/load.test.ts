import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfigFile } from "../../../src/config/load.ts";
import { ConfigErrors } from "../../../src/errors.ts";

const dir = mkdtempSync(join(tmpdir(), "warren-load-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function write(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await Bun.write(path, text);
  return path;
}

async function messageOf(path: string): Promise<string> {
  const result = await loadConfigFile(path);
  if (!(result instanceof ConfigErrors)) throw new Error("expected the file to be rejected");
  return result.message;
}

test("a TOML file is parsed and validated", async () => {
  const path = await write("ok.toml", `[[listeners]]\nlisten = "127.0.0.1:0"\nbackends = ["127.0.0.1:9501"]\n`);
  const config = await loadConfigFile(path);
  expect(config).not.toBeInstanceOf(ConfigErrors);
  expect((config as Exclude<typeof config, ConfigErrors>).listeners[0]!.name).toBe("127.0.0.1:0");
});

test("a .json file is parsed as JSON", async () => {
  const path = await write("ok.json", JSON.stringify({ listeners: [{ name: "j", backends: ["127.0.0.1:9501"] }] }));
  const config = await loadConfigFile(path);
  expect((config as Exclude<typeof config, ConfigErrors>).listeners[0]!.name).toBe("j");
});

test("validation errors name the file, the key path and the hint", async () => {
  const path = await write("typo.toml", `[[listeners]]\nbackends = ["127.0.0.1:9501"]\nconectTimeoutMs = 100\n`);
  expect(await messageOf(path)).toBe(`${path}: listeners[0].conectTimeoutMs: unknown key, did you mean "connectTimeoutMs"?`);
});

test("a missing file is one error naming the file", async () => {
  const path = join(dir, "absent.toml");
  expect(await messageOf(path)).toBe(`${path}: file not found`);
});

test("only a regular file is read: a directory or a FIFO is refused at once (a FIFO used to block the start)", async () => {
  expect(await messageOf(dir)).toBe(`${dir}: not a regular file (a directory); the config must be a file`);
  const fifo = join(dir, "fifo.toml");
  expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
  const started = performance.now();
  expect(await messageOf(fifo)).toBe(`${fifo}: not a regular file (a FIFO); the config must be a file`);
  expect(performance.now() - started).toBeLessThan(1000);
  expect(await messageOf("/dev/null")).toBe(`/dev/null: not a regular file (a character device); the config must be a file`);
});

test("a symlink to a regular file is read", async () => {
  const target = await write("target.toml", `[[listeners]]\nname = "via-link"\nbackends = ["127.0.0.1:9501"]\n`);
  const link = join(dir, "link.toml");
  symlinkSync(target, link);
  const config = await loadConfigFile(link);
  expect((config as Exclude<typeof config, ConfigErrors>).listeners[0]!.name).toBe("via-link");
});

test("invalid TOML and invalid JSON are reported as such, with the parser's reason and the position", async () => {
  expect(await messageOf(await write("bad.toml", `[[listeners]\n`))).toStartWith(
    `${join(dir, "bad.toml")}:1:13: invalid TOML: Expected ']]'`,
  );
  expect(await messageOf(await write("bad.json", `{"listeners": [}`))).toStartWith(`${join(dir, "bad.json")}:1:16: invalid JSON: `);
});

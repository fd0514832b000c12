/**
 * The README and warren.example.toml are what a new user follows; these tests
 * keep the parts that drift with the code honest: the flags --help shows (the end codes:
 * test/unit/errors.test.ts), a backend to try the quick start with,
 * and commands that work after `npm install`.
 */
import { expect, test } from "bun:test";
import { USAGE } from "../../src/cli/args.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const README = await Bun.file(`${ROOT}README.md`).text();
const EXAMPLE = await Bun.file(`${ROOT}warren.example.toml`).text();

test("every flag --help shows, long and short, is in the README's flag table", () => {
  const flags = [...USAGE.matchAll(/^\s+(?:(-\w), )?(--[\w-]+)/gm)].map((m) => ({ short: m[1], long: m[2]! }));
  expect(flags.map((f) => f.long)).toEqual([
    "--config",
    "--listen",
    "--backend",
    "--log-level",
    "--log-format",
    "--admin",
    "--check",
    "--help",
    "--version",
  ]);
  for (const { short, long } of flags) {
    const row = README.split("\n").find((l) => l.startsWith(`| \`${long}`));
    expect(row, `README row for ${long}`).toBeDefined();
    if (short !== undefined) expect(row).toContain(`| \`${short}\` |`);
  }
});

test("the quick start says what to run on the backend port, 9501", () => {
  const quickStart = README.slice(README.indexOf("## Quick start"), README.indexOf("## Running"));
  expect(quickStart).toContain("redis-server --port 9501");
  expect(quickStart).toContain("port: 9501");
});

test("warren.example.toml's commands work after npm install: no bare `warren`, which is not on the PATH", () => {
  const header = EXAMPLE.slice(0, EXAMPLE.indexOf("[log]"));
  const commands = header
    .split("\n")
    .filter((l) => /^#\s{3}\S/.test(l))
    .map((l) => l.slice(1).trim());
  expect(commands.filter((c) => c.includes("--config"))).not.toHaveLength(0);
  expect(commands.filter((c) => /^warren\b/.test(c))).toEqual([]);
});

import { expect, test } from "bun:test";
import { type CliArgs, parseArgs, USAGE } from "../../../src/cli/args.ts";
import { ConfigErrors } from "../../../src/errors.ts";

const NOTHING: CliArgs = {
  help: false,
  version: false,
  check: false,
  configPath: null,
  listen: null,
  backends: [],
  logLevel: null,
  logFormat: null,
  admin: null,
};

function parsed(argv: string[]): CliArgs {
  const args = parseArgs(argv);
  if (args instanceof ConfigErrors) throw new Error(`expected valid arguments:\n${args.message}`);
  return args;
}

function rejected(argv: string[]): string {
  const args = parseArgs(argv);
  if (!(args instanceof ConfigErrors)) throw new Error("expected the arguments to be rejected");
  return args.message;
}

test("no arguments ask for nothing (the built-in config)", () => {
  expect(parsed([])).toEqual(NOTHING);
});

test("every long option", () => {
  expect(
    parsed([
      "--listen",
      "127.0.0.1:1",
      "--backend",
      "127.0.0.1:2",
      "--backend",
      "[::1]:3",
      "--log-level",
      "debug",
      "--log-format",
      "json",
      "--check",
    ]),
  ).toEqual({ ...NOTHING, listen: "127.0.0.1:1", backends: ["127.0.0.1:2", "[::1]:3"], logLevel: "debug", logFormat: "json", check: true });
  expect(parsed(["--config", "w.toml", "--help", "--version"])).toEqual({ ...NOTHING, configPath: "w.toml", help: true, version: true });
});

test("every short option", () => {
  expect(parsed(["-l", "127.0.0.1:1", "-b", "127.0.0.1:2", "-b", "127.0.0.1:3"])).toEqual({
    ...NOTHING,
    listen: "127.0.0.1:1",
    backends: ["127.0.0.1:2", "127.0.0.1:3"],
  });
  expect(parsed(["-c", "w.toml", "-h", "-v"])).toEqual({ ...NOTHING, configPath: "w.toml", help: true, version: true });
});

test("--option=value is the same as --option value, and the value may contain '='", () => {
  expect(parsed(["--listen=127.0.0.1:1", "--backend=127.0.0.1:2", "--log-level=warn", "--log-format=pretty"])).toEqual({
    ...NOTHING,
    listen: "127.0.0.1:1",
    backends: ["127.0.0.1:2"],
    logLevel: "warn",
    logFormat: "pretty",
  });
  expect(parsed(["--config=dir=x/w.toml"]).configPath).toBe("dir=x/w.toml");
});

test("an unknown option or a stray argument is a usage error pointing at --help", () => {
  expect(rejected(["--bogus"])).toBe("warren: --bogus: unknown option (see --help)");
  expect(rejected(["--bogus=1"])).toBe("warren: --bogus: unknown option (see --help)");
  expect(rejected(["w.toml"])).toBe("warren: w.toml: unknown option (see --help)");
});

test("an option without its value is an error, and does not swallow the next option", () => {
  expect(rejected(["--config"])).toBe("warren: --config: expected a value");
  expect(rejected(["--listen", "--backend", "127.0.0.1:2"])).toBe("warren: --listen: expected a value");
  expect(rejected(["-b"])).toBe("warren: -b: expected a value");
  expect(rejected(["--config="])).toBe("warren: --config: expected a value");
});

test("a flag that takes no value rejects one", () => {
  expect(rejected(["--check=yes"])).toBe("warren: --check: takes no value");
  expect(rejected(["--help=1"])).toBe("warren: --help: takes no value");
});

test("--config combined with --listen or --backend is rejected: the listener belongs in the file", () => {
  const message = "warren: --listen/--backend: cannot be combined with --config; put the listener in the file";
  expect(rejected(["--config", "w.toml", "--listen", "127.0.0.1:1"])).toBe(message);
  expect(rejected(["--backend", "127.0.0.1:2", "-c", "w.toml"])).toBe(message);
  // --log-level and --log-format do combine with a file.
  expect(parsed(["-c", "w.toml", "--log-level", "debug"])).toEqual({ ...NOTHING, configPath: "w.toml", logLevel: "debug" });
});

test("every problem is reported together", () => {
  expect(rejected(["--bogus", "--listen", "-x"]).split("\n")).toEqual([
    "warren: --bogus: unknown option (see --help)",
    "warren: --listen: expected a value",
    "warren: -x: unknown option (see --help)",
  ]);
});

test("the usage text names every option", () => {
  for (const option of ["--config", "--listen", "--backend", "--log-level", "--log-format", "--check", "--help", "--version"]) {
    expect(USAGE).toContain(option);
  }
});

test("a single-valued option given twice is refused, not last-wins (several --backend are fine)", () => {
  expect(rejected(["--listen", "127.0.0.1:1", "-l", "127.0.0.1:2"])).toBe(
    `warren: --listen: given twice ("127.0.0.1:1", then "127.0.0.1:2"); the flags make one listener; for several, use a config file (see warren.example.toml)`,
  );
  expect(rejected(["-c", "a.toml", "--config=b.toml"])).toBe(`warren: --config: given twice ("a.toml", then "b.toml"); give it once`);
  expect(rejected(["--log-level", "info", "--log-level", "debug"])).toBe(
    `warren: --log-level: given twice ("info", then "debug"); give it once`,
  );
  expect(rejected(["--log-format", "json", "--log-format=pretty"])).toBe(
    `warren: --log-format: given twice ("json", then "pretty"); give it once`,
  );
  expect(parsed(["-b", "127.0.0.1:2", "-b", "127.0.0.1:2"]).backends).toEqual(["127.0.0.1:2", "127.0.0.1:2"]);
});

import { ConfigError, ConfigErrors } from "../errors.ts";

/** CliArgs is what the command line asked for, before any config is read. */
export interface CliArgs {
  help: boolean;
  version: boolean;
  /** Validate the config, print the result, exit (0 valid, 2 invalid). */
  check: boolean;
  configPath: string | null;
  listen: string | null;
  backends: string[];
  logLevel: string | null;
  logFormat: string | null;
  /** --admin HOST:PORT or "off": the admin server's address, overriding [admin] listen (off: none). */
  admin: string | null;
}

export const USAGE = `warren — a Bun-native TCP proxy

Usage:
  warren [--config FILE] [--listen HOST:PORT] [--backend HOST:PORT]... [options]
  warren ctl COMMAND [--admin URL] [--token TOKEN] [--json]   (see warren ctl --help)

With no arguments warren listens on 127.0.0.1:9509 and forwards to 127.0.0.1:9501.

Options:
  -c, --config FILE        TOML or JSON config file (see warren.example.toml)
  -l, --listen HOST:PORT   listen address for a one-listener config without a file
  -b, --backend HOST:PORT  a backend for that listener (repeat for several)
      --log-level LEVEL    debug | info | warn | error | silent
      --log-format FORMAT  pretty | json | auto
      --admin HOST:PORT    the admin server's address (default 127.0.0.1:9510), or "off"
      --check              validate the config and exit
  -h, --help               show this help
  -v, --version            show the version

Signals: SIGTERM/SIGINT drain and exit 0; SIGHUP reloads the config file;
SIGUSR1 reopens log.file; SIGUSR2 logs a stats line.
Exit codes: 0 clean shutdown, 1 runtime failure, 2 config or usage error.`;

/** parseArgs reads argv (without the runtime and script); usage errors come back as ConfigErrors. */
export function parseArgs(argv: readonly string[]): CliArgs | ConfigErrors {
  const out: CliArgs = {
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
  const errors: ConfigError[] = [];
  /** The first value of each single-valued option, by its long name: a second one is refused, not last-wins. */
  const given = new Map<string, string>();
  const once = (name: string, v: string | undefined): string | null => {
    if (v === undefined) return null;
    const first = given.get(name);
    if (first === undefined) {
      given.set(name, v);
      return v;
    }
    const hint =
      name === "--listen" ? "the flags make one listener; for several, use a config file (see warren.example.toml)" : "give it once";
    errors.push(new ConfigError(name, `given twice (${JSON.stringify(first)}, then ${JSON.stringify(v)}); ${hint}`));
    return first;
  };
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    const eq = raw.startsWith("--") ? raw.indexOf("=") : -1;
    const flag = eq > 0 ? raw.slice(0, eq) : raw;
    const inline = eq > 0 ? raw.slice(eq + 1) : undefined;
    const value = (): string | undefined => {
      if (inline !== undefined) {
        // "--config=" is a missing value, not an empty path.
        if (inline !== "") return inline;
        errors.push(new ConfigError(flag, "expected a value"));
        return undefined;
      }
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("-")) {
        errors.push(new ConfigError(flag, "expected a value"));
        return undefined;
      }
      i++;
      return next;
    };
    const flagOnly = (): boolean => {
      if (inline === undefined) return true;
      errors.push(new ConfigError(flag, "takes no value"));
      return false;
    };
    switch (flag) {
      case "-h":
      case "--help":
        out.help = flagOnly();
        break;
      case "-v":
      case "--version":
        out.version = flagOnly();
        break;
      case "--check":
        out.check = flagOnly();
        break;
      case "-c":
      case "--config":
        out.configPath = once("--config", value());
        break;
      case "-l":
      case "--listen":
        out.listen = once("--listen", value());
        break;
      case "-b":
      case "--backend": {
        const v = value();
        if (v !== undefined) out.backends.push(v);
        break;
      }
      case "--log-level":
        out.logLevel = once("--log-level", value());
        break;
      case "--log-format":
        out.logFormat = once("--log-format", value());
        break;
      case "--admin":
        out.admin = once("--admin", value());
        break;
      default:
        errors.push(new ConfigError(flag, "unknown option (see --help)"));
    }
  }
  if (out.configPath !== null && (out.listen !== null || out.backends.length > 0)) {
    errors.push(new ConfigError("--listen/--backend", "cannot be combined with --config; put the listener in the file"));
  }
  return errors.length > 0 ? new ConfigErrors(errors, "warren") : out;
}

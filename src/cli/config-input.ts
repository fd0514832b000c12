import { dirname, isAbsolute, resolve } from "node:path";
import { defaultConfigInput, readConfigInput } from "../config/load.ts";
import type { WarrenConfig } from "../config/schema.ts";
import { validateConfig } from "../config/validate.ts";
import { ConfigErrors } from "../errors.ts";
import type { CliArgs } from "./args.ts";

/**
 * buildConfig produces the validated config the CLI runs: the file if given,
 * else a one-listener config from --listen/--backend (defaults where absent),
 * with --log-level/--log-format applied on top. Used at start and on SIGHUP.
 */
export async function buildConfig(args: CliArgs): Promise<WarrenConfig | ConfigErrors> {
  const read = await readRunInput(args);
  if (read instanceof ConfigErrors) return read;
  return validateConfig(read.input, read.source);
}

/** RunInput is the config as read (a plain object, before validation) and what its messages are prefixed with. */
export interface RunInput {
  readonly input: unknown;
  readonly source: string;
}

/** readRunInput reads what buildConfig validates: the file, or the flags' one-listener config, with the log flags applied. */
export async function readRunInput(args: CliArgs): Promise<RunInput | ConfigErrors> {
  let input: unknown;
  let source = "config";
  if (args.configPath !== null) {
    input = await readConfigInput(args.configPath);
    if (input instanceof ConfigErrors) return input;
    source = args.configPath;
    resolveLogFile(input, dirname(resolve(args.configPath)));
  } else {
    const base = defaultConfigInput();
    const listener = (base.listeners as Record<string, unknown>[])[0]!;
    if (args.listen !== null) listener.listen = args.listen;
    if (args.backends.length > 0) listener.backends = args.backends;
    input = base;
    source = "flags";
  }
  if ((args.logLevel !== null || args.logFormat !== null) && input !== null && typeof input === "object") {
    const obj = input as Record<string, unknown>;
    const log = { ...(typeof obj.log === "object" && obj.log !== null ? obj.log : {}) } as Record<string, unknown>;
    if (args.logLevel !== null) log.level = args.logLevel;
    if (args.logFormat !== null) log.format = args.logFormat;
    obj.log = log;
  }
  if (args.admin !== null && input !== null && typeof input === "object") applyAdminFlag(input as Record<string, unknown>, args.admin);
  return { input, source };
}

/** --admin overrides [admin]: "off" disables it, HOST:PORT replaces its listen (and counts as configured). */
function applyAdminFlag(obj: Record<string, unknown>, value: string): void {
  const admin = { ...(typeof obj.admin === "object" && obj.admin !== null ? obj.admin : {}) } as Record<string, unknown>;
  if (value === "off") admin.enabled = false;
  else {
    admin.listen = value;
    admin.enabled = true;
  }
  obj.admin = admin;
}

/** A relative `log.file` is relative to the config file, as custom framer modules are, not to the working directory. */
function resolveLogFile(input: unknown, dir: string): void {
  const log = (input as { log?: { file?: unknown } } | null)?.log;
  if (typeof log === "object" && log !== null && typeof log.file === "string" && log.file !== "" && !isAbsolute(log.file)) {
    log.file = resolve(dir, log.file);
  }
}

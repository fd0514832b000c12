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
  let input: unknown;
  let source = "config";
  if (args.configPath !== null) {
    input = await readConfigInput(args.configPath);
    if (input instanceof ConfigErrors) return input;
    source = args.configPath;
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
  return validateConfig(input, source);
}

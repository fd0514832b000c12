import { dirname, resolve } from "node:path";
import type { WarrenConfig } from "../config/schema.ts";
import { configWarnings } from "../config/warnings.ts";
import type { ConfigError } from "../errors.ts";
import { ConfigErrors } from "../errors.ts";
import { preflight } from "../server/preflight.ts";
import type { CliArgs } from "./args.ts";
import { readRunInput } from "./config-input.ts";
import { validateConfig } from "../config/validate.ts";

/** Prepared is a config that passed every check short of binding, with what it probably did not mean. */
export interface Prepared {
  readonly config: WarrenConfig;
  readonly warnings: readonly ConfigError[];
  /** What messages are prefixed with: the config file, or "flags". */
  readonly source: string;
  /** The config as read, before validation: what a supervisor hands its workers (they validate it again). */
  readonly input: unknown;
}

/**
 * prepareRun is the one path from the command line to a runnable config:
 * --check, the start and every SIGHUP go through it, so they fail alike,
 * with the same messages.
 */
export async function prepareRun(args: CliArgs): Promise<Prepared | ConfigErrors> {
  const read = await readRunInput(args);
  if (read instanceof ConfigErrors) return read;
  return prepareInput(read.input, args.configPath === null ? "flags" : args.configPath, configDir(args.configPath));
}

/** prepareInput validates an input as read and runs the checks before binding; a worker runs it on what its supervisor sent. */
export async function prepareInput(input: unknown, source: string, baseDir: string | undefined): Promise<Prepared | ConfigErrors> {
  // Validation must not see the caller's object change under it, and the caller keeps it as read.
  const config = validateConfig(structuredClone(input), source);
  if (config instanceof ConfigErrors) return config;
  const problems = await preflight(config, { baseDir, source });
  if (problems !== null) return problems;
  return { config, warnings: configWarnings(config), source, input };
}

/** configDir is where relative custom framer module paths are resolved: the config file's directory. */
export function configDir(configPath: string | null): string | undefined {
  return configPath === null ? undefined : dirname(resolve(configPath));
}

import { dirname, resolve } from "node:path";
import type { WarrenConfig } from "../config/schema.ts";
import { configWarnings } from "../config/warnings.ts";
import type { ConfigError } from "../errors.ts";
import { ConfigErrors } from "../errors.ts";
import { preflight } from "../server/preflight.ts";
import type { CliArgs } from "./args.ts";
import { buildConfig } from "./config-input.ts";

/** Prepared is a config that passed every check short of binding, with what it probably did not mean. */
export interface Prepared {
  readonly config: WarrenConfig;
  readonly warnings: readonly ConfigError[];
  /** What messages are prefixed with: the config file, or "flags". */
  readonly source: string;
}

/**
 * prepareRun is the one path from the command line to a runnable config:
 * --check, the start and every SIGHUP go through it, so they fail alike,
 * with the same messages.
 */
export async function prepareRun(args: CliArgs): Promise<Prepared | ConfigErrors> {
  const config = await buildConfig(args);
  if (config instanceof ConfigErrors) return config;
  const source = args.configPath ?? "flags";
  const problems = await preflight(config, { baseDir: configDir(args.configPath), source });
  if (problems !== null) return problems;
  return { config, warnings: configWarnings(config), source };
}

/** configDir is where relative custom framer module paths are resolved: the config file's directory. */
export function configDir(configPath: string | null): string | undefined {
  return configPath === null ? undefined : dirname(resolve(configPath));
}

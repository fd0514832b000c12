import type { ConfigErrors } from "../errors.ts";
import { Logger } from "../log.ts";
import type { CliArgs } from "./args.ts";
import type { Prepared } from "./prepare.ts";

/**
 * printConfigErrors reports a config that cannot run, before any logger
 * exists: the plain message lines, or one JSON log line when
 * `--log-format json` asked for JSON.
 */
export function printConfigErrors(errors: ConfigErrors, args: Pick<CliArgs, "logFormat"> | null): void {
  if (args?.logFormat === "json") {
    new Logger("error", "json").error("config invalid", { source: errors.source, errors: errors.errors.map((e) => e.message) });
  } else {
    process.stderr.write(`${errors.message}\n`);
  }
}

/** printWarnings is --check's report of what the config probably did not mean (it still passes). */
export function printWarnings(prepared: Prepared): void {
  for (const w of prepared.warnings) process.stderr.write(`${prepared.source}: warning: ${w.message}\n`);
}

/** logWarnings logs each warning once the logger runs (at start and on reload). */
export function logWarnings(log: Logger, prepared: Prepared): void {
  for (const w of prepared.warnings) log.warn("config warning", { source: prepared.source, warning: w.message });
}

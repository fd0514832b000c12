import { ConfigError } from "../errors.ts";
import { formatHostPort } from "./host-port.ts";
import type { WarrenConfig } from "./schema.ts";

/**
 * configWarnings lists what a valid config probably did not mean, without
 * refusing it: today, a backend address listed twice in one listener (each
 * entry is balanced and health-checked as a backend of its own, so it gets
 * twice the share of new sessions). The CLI logs them at start and reload and
 * prints them with --check; the library leaves them to the caller.
 */
export function configWarnings(config: WarrenConfig): ConfigError[] {
  const warnings: ConfigError[] = [];
  config.listeners.forEach((l, i) => {
    const seen = new Map<string, number>();
    l.backends.forEach((b, j) => {
      const key = formatHostPort(b.address);
      const first = seen.get(key);
      if (first === undefined) seen.set(key, j);
      else {
        warnings.push(
          new ConfigError(
            `listeners[${i}].backends[${j}]`,
            `${key} is listed twice (also backends[${first}]): each entry is a backend of its own, so it gets twice the share of new sessions; use weight instead`,
          ),
        );
      }
    });
  });
  return warnings;
}

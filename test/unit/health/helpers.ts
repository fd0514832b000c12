import { Backend } from "../../../src/balance/backend.ts";
import type { ActiveHealthConfig, PassiveHealthConfig } from "../../../src/config/schema.ts";
import { Logger } from "../../../src/log.ts";
import { DEFAULTS } from "../../../src/defaults.ts";

/** A log line without its timestamp, so tests compare whole lines with toEqual. */
export type Line = Record<string, unknown>;

/** recordingLogger keeps every line (debug and up) in memory, minus the time. */
export function recordingLogger(): Logger & { lines: Line[] } {
  const lines: Line[] = [];
  const log = new Logger(
    "debug",
    "json",
    (text) => {
      const { time: _time, ...rest } = JSON.parse(text) as Line;
      lines.push(rest);
    },
    false,
  );
  return Object.assign(log, { lines });
}

export const CONTEXT = { listener: "redis" } as const;

export function backend(port = 6379): Backend {
  return new Backend({ host: "10.0.0.1", port });
}

export function passive(overrides: Partial<PassiveHealthConfig> = {}): PassiveHealthConfig {
  return { ...DEFAULTS.health.passive, ...overrides };
}

export function active(overrides: Partial<ActiveHealthConfig> = {}): ActiveHealthConfig {
  return { ...DEFAULTS.health.active, enabled: true, ...overrides };
}

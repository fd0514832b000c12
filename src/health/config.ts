/**
 * Health settings of one backend group. Passive health watches the connects of
 * real sessions; active health probes each backend on a timer. Both can run at
 * once: a passive mark-down is then lifted by the checker's probes, not by the
 * cooldown (see passive.ts).
 */

/** PassiveHealthConfig: connect failures of real sessions take a backend out of rotation. */
export interface PassiveHealthConfig {
  /** Consecutive connect failures that mark a backend down; 0 turns passive health off. Default 3. */
  readonly failures: number;
  /** How long a passively-downed backend stays out before it is tried again, in ms. Default 10000. */
  readonly cooldownMs: number;
}

/** ActiveHealthConfig: a probe per backend every `intervalMs`, with rise/fall thresholds. */
export interface ActiveHealthConfig {
  /** Whether the group's backends are probed at all. Default false. */
  readonly enabled: boolean;
  /** Time from the start of one probe of a backend to the start of its next, in ms. Default 2000. */
  readonly intervalMs: number;
  /** A probe that has not finished (connect, send, reply) after this many ms fails. Default 1000. */
  readonly timeoutMs: number;
  /** Consecutive successful probes that bring a down backend back up. Default 2. */
  readonly rise: number;
  /** Consecutive failed probes that take an up backend down. Default 3. */
  readonly fall: number;
  /** Bytes written right after connecting; null makes the probe a plain TCP connect check. Default null. */
  readonly send: string | null;
  /**
   * The reply must start with these bytes (prefix match); null accepts any reply
   * or none, so the probe passes once connected and `send` is written. Default null.
   */
  readonly expect: string | null;
}

/** HealthConfig is the health section of one listener (one backend group). */
export interface HealthConfig {
  readonly passive: PassiveHealthConfig;
  readonly active: ActiveHealthConfig;
}

/** HEALTH_DEFAULTS holds every health default in one place (HAProxy's inter 2s, rise 2, fall 3). */
export const HEALTH_DEFAULTS = {
  passive: {
    failures: 3,
    cooldownMs: 10_000,
  },
  active: {
    enabled: false,
    intervalMs: 2_000,
    timeoutMs: 1_000,
    rise: 2,
    fall: 3,
    send: null,
    expect: null,
  },
} as const satisfies HealthConfig;

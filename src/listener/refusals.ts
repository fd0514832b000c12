import type { Logger } from "../log.ts";

/** Why admission refused a client: the same names as the listener stats' `rejected` counts. */
export type RefusalReason = "maxConnections" | "denied" | "perClient";

/** At most one log line per reason per listener in this many ms. */
export const REFUSAL_LOG_INTERVAL_MS = 1000;

/** One reason's rate limit: when its last line was written, and the refusals not logged since. */
class Slot {
  lastAt = Number.NEGATIVE_INFINITY;
  suppressed = 0;
  lastClient = "";
}

/**
 * RefusalLog makes refused clients visible without letting a flood of them flood the log: the first
 * refusal for a reason is logged at once, later ones within REFUSAL_LOG_INTERVAL_MS are only counted,
 * and the next line (the next refusal after the interval, or the sweep once the interval is over) says
 * how many were suppressed. The counts in stats are exact either way; this only bounds the log.
 */
export class RefusalLog {
  private readonly slots = new Map<RefusalReason, Slot>();

  constructor(
    private readonly log: Logger,
    private readonly listener: () => string,
  ) {}

  refused(reason: RefusalReason, client: string, now: number): void {
    let slot = this.slots.get(reason);
    if (slot === undefined) {
      slot = new Slot();
      this.slots.set(reason, slot);
    }
    slot.lastClient = client;
    if (now - slot.lastAt < REFUSAL_LOG_INTERVAL_MS) {
      slot.suppressed++;
      return;
    }
    this.write(reason, slot, now, client);
  }

  /** sweep writes the suppressed count of a reason whose interval has passed with no new refusal. */
  sweep(now: number): void {
    for (const [reason, slot] of this.slots) {
      if (slot.suppressed > 0 && now - slot.lastAt >= REFUSAL_LOG_INTERVAL_MS) this.write(reason, slot, now, null);
    }
  }

  private write(reason: RefusalReason, slot: Slot, now: number, client: string | null): void {
    const fields = { listener: this.listener(), reason, client: client ?? slot.lastClient, suppressed: slot.suppressed };
    this.log.warn(client === null ? "clients refused (suppressed since the last line)" : "client refused", fields);
    slot.lastAt = now;
    slot.suppressed = 0;
  }
}

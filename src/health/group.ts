import type { Backend } from "../balance/backend.ts";
import type { Logger } from "../log.ts";
import type { HealthContext } from "./passive.ts";

/**
 * GroupWatch notices when every backend of a group is down, and when one comes
 * back, and logs each of those moments once: the single line an operator
 * needs when a whole service is gone. Call observe() after health changes (the
 * checker does after every probe; the proxy's sweep may for passive-only groups).
 */
export class GroupWatch {
  allDown = false;

  observe(backends: readonly Backend[], log: Logger, context: HealthContext): void {
    if (backends.length === 0) return;
    let healthy = 0;
    for (const b of backends) if (b.healthy) healthy++;
    if (healthy === 0 && !this.allDown) {
      this.allDown = true;
      log.warn("no healthy backend in group", { listener: context.listener, backends: backends.length });
    } else if (healthy > 0 && this.allDown) {
      this.allDown = false;
      log.info("group recovered", { listener: context.listener, healthy, backends: backends.length });
    }
  }
}

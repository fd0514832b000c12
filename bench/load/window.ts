/**
 * Window runs the warmup, then the counted window, for the time-based
 * workloads. Handlers read `measuring` and `stopping` from it: two field
 * loads per event, no closure.
 */
import { cpuNs } from "./cpu.ts";

export class Window {
  measuring = false;
  stopping = false;
  startedAt = 0;
  endedAt = 0;
  /** The target's CPU time (ns) at the window's start and end; NaN without a target process. */
  cpuStartNs = NaN;
  cpuEndNs = NaN;

  run(warmupMs: number, durationMs: number, cpuPid: number | null): Promise<number> {
    return new Promise((resolve) => {
      setTimeout(() => {
        this.cpuStartNs = cpuNs(cpuPid);
        this.startedAt = performance.now();
        this.measuring = true;
        setTimeout(() => {
          this.endedAt = performance.now();
          this.cpuEndNs = cpuNs(cpuPid);
          this.measuring = false;
          this.stopping = true;
          resolve((this.endedAt - this.startedAt) / 1000);
        }, durationMs);
      }, warmupMs);
    });
  }

  /** cpuUsPer is the target's CPU time per completed operation in the window, in µs. */
  cpuUsPer(operations: number): number {
    return (this.cpuEndNs - this.cpuStartNs) / 1000 / operations;
  }
}

/** fill makes a request of `n` bytes; content does not matter to an echo backend. */
export function fill(n: number): Uint8Array {
  return new Uint8Array(n).fill(0x78);
}

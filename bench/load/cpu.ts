/**
 * cpuNs reads how much CPU a process has used, in nanoseconds, summed over
 * its threads (/proc/PID/task/TID/schedstat; Bun runs GC and I/O helper
 * threads besides the event loop). Read at the start and end of a window, it
 * gives the target's CPU cost per request: a number that other work on a
 * shared machine disturbs far less than requests per second.
 */
import { readdirSync, readFileSync } from "node:fs";

export function cpuNs(pid: number | null): number {
  if (pid === null) return NaN;
  let total = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
        // A supervisor's workers (warren workers = N) are its children: their CPU is the target's too.
        for (const child of readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").split(" ")) {
          if (child.trim() !== "") total += cpuNs(Number(child)) || 0;
        }
      } catch {
        // the thread ended between the listing and the read
      }
    }
  } catch {
    return NaN;
  }
  return total;
}

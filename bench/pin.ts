/**
 * Optional CPU pinning (`--pin`): the target gets the last core to itself,
 * the load generator and the backend share the others. Unpinned, three busy
 * processes on two cores are placed by the scheduler, and that placement,
 * more than the proxies, can decide bulk results (measured: a proxy with
 * 16 KiB buffers loses most when it shares a core with the client or sink).
 */
import { cpus } from "node:os";

export type Role = "target" | "load";

const pinned: Record<Role, string | null> = { target: null, load: null };

/** enablePinning returns a description, or why it cannot pin here. */
export function enablePinning(): { ok: boolean; text: string } {
  const n = cpus().length;
  if (n < 2) return { ok: false, text: "--pin needs at least 2 cores" };
  if (Bun.which("taskset") === null) return { ok: false, text: "--pin needs taskset (util-linux)" };
  pinned.target = String(n - 1);
  pinned.load = n === 2 ? "0" : `0-${n - 2}`;
  return { ok: true, text: `pinned: target on CPU ${pinned.target}, load generator + backend on CPU ${pinned.load}` };
}

/** withPin wraps a command in taskset for its role, when pinning is on. */
export function withPin(role: Role, cmd: string[]): string[] {
  const cpuList = pinned[role];
  return cpuList === null ? cmd : ["taskset", "-c", cpuList, ...cmd];
}

/** Loopback helpers for the bench: free ports, readiness, process memory. */
import { readFileSync } from "node:fs";
import { sleep } from "./children.ts";

export const HOST = "127.0.0.1";

/**
 * freePort asks the kernel for an unused port. Another process could take it
 * before the proxy binds it; on a bench machine that race is rare, and a
 * target that fails to bind reports it.
 */
export function freePort(): number {
  const l = Bun.listen({ hostname: HOST, port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

async function canConnect(port: number): Promise<boolean> {
  try {
    const s = await Bun.connect({ hostname: HOST, port, socket: { data() {} } });
    s.end();
    return true;
  } catch {
    return false;
  }
}

/** waitForPort polls until something accepts on `port`, or throws after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs: number, what: string, alive: () => boolean): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (!alive()) throw new Error(`${what} exited before listening on ${HOST}:${port}`);
    if (await canConnect(port)) return;
    await sleep(25);
  }
  throw new Error(`${what} did not listen on ${HOST}:${port} within ${timeoutMs} ms`);
}

/** rssKiB reads VmRSS from /proc (Linux); null when the process is gone. */
export function rssKiB(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m === null ? null : Number(m[1]);
  } catch {
    return null;
  }
}

/** childPids lists a process's direct children (nginx's workers under its master). */
export function childPids(pid: number): number[] {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
    return text === "" ? [] : text.split(/\s+/).map(Number);
  } catch {
    return [];
  }
}

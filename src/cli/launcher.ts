import { readFileSync } from "node:fs";

/**
 * Run as a package script (`npx bun run proxy`, `bun run proxy`, `npm run
 * proxy`), warren sits below a chain of launchers, and a signal sent to the
 * top one does not always reach it: npm forwards only SIGINT and SIGTERM to
 * its child and dies of SIGHUP, SIGUSR2 and the like; `bun run` forwards
 * SIGTERM, SIGINT, SIGHUP and SIGUSR2 but dies of SIGUSR1. When a launcher
 * dies, nothing a process manager sends reaches warren any more, and it would
 * keep listening, orphaned. So warren watches the launchers that started it
 * and, when one of them is gone, drains and exits as on SIGTERM.
 *
 * The launchers are the ancestors that run as part of a package script (their
 * environment carries `npm_lifecycle_event`, which npm and bun set for a
 * script) plus the runner the user started, the first ancestor without it.
 * Outside a package script nothing is watched, so `nohup warren &` and other
 * ways to outlive a parent keep working.
 */
export interface Launcher {
  readonly pid: number;
  readonly command: string;
  /** Start time from /proc/PID/stat (clock ticks since boot), so a reused pid is not mistaken for it. */
  readonly startTicks: string;
}

/** How often the launchers are looked at: a few small /proc reads. */
export const LAUNCHER_POLL_MS = 250;
const MAX_DEPTH = 16;

/** launchers returns the chain to watch, nearest first; empty when warren is not run as a package script. */
export function launchers(env: Record<string, string | undefined> = process.env, selfPid = process.pid): Launcher[] {
  if (env.npm_lifecycle_event === undefined) return [];
  const self = readStat(selfPid);
  if (self === null) return fallbackParent();
  const chain: Launcher[] = [];
  let pid = self.ppid;
  while (pid > 1 && chain.length < MAX_DEPTH) {
    const stat = readStat(pid);
    if (stat === null) break;
    chain.push({ pid, command: stat.command, startTicks: stat.startTicks });
    if (!inPackageScript(pid)) break; // the runner the user started: the top of the chain
    pid = stat.ppid;
  }
  return chain;
}

/**
 * watchLaunchers calls `onGone` once, with the first launcher found gone (or
 * a zombie: its parent may not reap it at once), and stops watching. The
 * timer is unref'd: it never keeps the process alive. Returns a stop function.
 */
export function watchLaunchers(chain: readonly Launcher[], onGone: (gone: Launcher) => void, everyMs = LAUNCHER_POLL_MS): () => void {
  if (chain.length === 0) return () => {};
  const timer = setInterval(() => {
    for (const l of chain) {
      if (alive(l)) continue;
      clearInterval(timer);
      onGone(l);
      return;
    }
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** alive: the same process (same start time) still runs and is not a zombie. */
export function alive(l: Launcher): boolean {
  if (l.startTicks === "") return process.ppid === l.pid; // no /proc: only the parent can be checked
  const stat = readStat(l.pid);
  return stat !== null && stat.startTicks === l.startTicks && stat.state !== "Z" && stat.state !== "X";
}

interface Stat {
  command: string;
  state: string;
  ppid: number;
  startTicks: string;
}

/** readStat parses /proc/PID/stat; the command is in parentheses and may itself contain ") ". */
function readStat(pid: number): Stat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "latin1");
  } catch {
    return null;
  }
  const close = text.lastIndexOf(")");
  const fields = text.slice(close + 2).split(" "); // fields[0] is field 3 (state)
  const ppid = Number(fields[1]);
  const startTicks = fields[19];
  if (close < 0 || !Number.isInteger(ppid) || startTicks === undefined) return null;
  return { command: text.slice(text.indexOf("(") + 1, close), state: fields[0]!, ppid, startTicks };
}

function inPackageScript(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, "latin1")
      .split("\0")
      .some((kv) => kv.startsWith("npm_lifecycle_event="));
  } catch {
    return false; // not readable: treat it as the top of the chain
  }
}

/** Without /proc (not Linux), watch the parent only, by its pid. */
function fallbackParent(): Launcher[] {
  return process.ppid > 1 ? [{ pid: process.ppid, command: "parent", startTicks: "" }] : [];
}

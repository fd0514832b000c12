/**
 * connectionSpread asks the kernel (ss -tnp) which processes hold the accepted ends of the connections
 * on a listening port, and returns how evenly they are spread: the share of the least-loaded process
 * and how many processes hold any. With workers = 2 both workers accept on the port (SO_REUSEPORT),
 * and the kernel hashes each new connection to one of them; a single-process target is 1 process, 100%.
 */
export interface Spread {
  processes: number;
  /** The least-loaded process's share of the connections, in percent. */
  minSharePct: number;
}

export function connectionSpread(port: number): Spread | null {
  const r = Bun.spawnSync(["ss", "-tnpH", "state", "established", `( sport = :${port} )`], { stdout: "pipe", stderr: "ignore" });
  if (r.exitCode !== 0) return null;
  const perPid = new Map<string, number>();
  for (const line of r.stdout.toString().split("\n")) {
    const pid = /pid=(\d+)/.exec(line)?.[1];
    if (pid !== undefined) perPid.set(pid, (perPid.get(pid) ?? 0) + 1);
  }
  const counts = [...perPid.values()];
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  return { processes: counts.length, minSharePct: (100 * Math.min(...counts)) / total };
}

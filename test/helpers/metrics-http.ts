/** Helpers for reading scrapes of warren's admin server (GET /metrics) in tests. */

/** promtoolCheck runs `promtool check metrics` on a scrape; returns its exit code and what it said. */
export function promtoolCheck(text: string): { exitCode: number; output: string } {
  const r = Bun.spawnSync(["promtool", "check", "metrics"], { stdin: Buffer.from(text), stdout: "pipe", stderr: "pipe" });
  return { exitCode: r.exitCode ?? -1, output: `${r.stdout.toString()}${r.stderr.toString()}` };
}

/** sample reads one sample's value from a scrape by its exact series (`name{labels}` as rendered), or null. */
export function sampleOf(text: string, series: string): number | null {
  for (const line of text.split("\n")) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return null;
}

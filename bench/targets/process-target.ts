import { type Child, isRunning, spawnChild, stopChild } from "../children.ts";
import { waitForPort } from "../net.ts";
import { withPin } from "../pin.ts";
import type { RunningTarget } from "./target.ts";

/**
 * startProcessTarget spawns a proxy, waits until both of its ports accept,
 * and wraps it as a RunningTarget. If it dies or never listens, the error
 * includes the tail of its stderr file.
 */
export async function startProcessTarget(
  name: string,
  cmd: string[],
  ports: { echo: number; sink: number },
  stderrPath: string,
  workerPid: (proc: Child) => number | null,
  cwd?: string,
): Promise<RunningTarget> {
  const proc = spawnChild(withPin("target", cmd), { cwd, stdout: "ignore", stderr: stderrPath });
  const alive = () => isRunning(proc);
  try {
    await waitForPort(ports.echo, 10_000, name, alive);
    await waitForPort(ports.sink, 10_000, name, alive);
  } catch (err) {
    await stopChild(proc);
    const stderr = await Bun.file(stderrPath)
      .text()
      .catch(() => "");
    throw new Error(`${(err as Error).message}${stderr.trim() === "" ? "" : `\n${stderr.trim().split("\n").slice(-5).join("\n")}`}`);
  }
  return {
    name,
    echoPort: ports.echo,
    sinkPort: ports.sink,
    workerPid: () => workerPid(proc),
    alive,
    stop: () => stopChild(proc),
  };
}

/** run executes a short command and returns its exit code and both outputs. */
export async function run(cmd: string[]): Promise<{ code: number; out: string }> {
  try {
    const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
    const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
    return { code: await p.exited, out: `${out}${err}` };
  } catch (err) {
    return { code: -1, out: String(err) };
  }
}

/** The bench's side of a load-generator process: start it, read its JSON, bound it in time. */
import { join } from "node:path";
import { type Child, readLines, spawnChild, stopChild, withTimeout } from "../children.ts";
import { withPin } from "../pin.ts";
import type { LoadParams, LoadResult } from "./params.ts";

const MAIN = join(import.meta.dir, "main.ts");

function start(params: LoadParams): Child {
  return spawnChild(withPin("load", [process.execPath, MAIN, JSON.stringify(params)]), {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit",
  });
}

function parse(line: string | undefined): LoadResult {
  if (line === undefined) return { ok: false, error: "load generator printed nothing" };
  try {
    return JSON.parse(line) as LoadResult;
  } catch {
    return { ok: false, error: `load generator printed "${line.slice(0, 200)}"` };
  }
}

/** runLoad runs one measurement to the end; it is killed if it outlives `timeoutMs`. */
export async function runLoad(params: LoadParams, timeoutMs: number): Promise<LoadResult> {
  const proc = start(params);
  try {
    let last: string | undefined;
    const read = (async () => {
      for await (const line of readLines(proc.stdout as ReadableStream<Uint8Array>)) if (line.trim() !== "") last = line;
      await proc.exited;
    })();
    await withTimeout(read, timeoutMs, `load generator (${params.workload})`);
    return parse(last);
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  } finally {
    await stopChild(proc);
  }
}

/**
 * holdIdle runs the idle workload: once every connection is open and has
 * echoed, `whileHeld` runs (the bench reads the proxy's memory); then the
 * connections are closed.
 */
export async function holdIdle<T>(
  params: LoadParams & { workload: "idle" },
  whileHeld: () => Promise<T>,
): Promise<{ result: LoadResult; held?: T }> {
  const proc = start(params);
  try {
    const lines = readLines(proc.stdout as ReadableStream<Uint8Array>);
    const first = await withTimeout(lines.next(), params.timeoutMs + 5000, "idle load generator");
    const firstLine = first.done === true ? undefined : first.value;
    if (firstLine === undefined || !firstLine.startsWith('{"ready"')) return { result: parse(firstLine) };
    const held = await whileHeld();
    const stdin = proc.stdin as import("bun").FileSink;
    stdin.end();
    let last: string | undefined;
    await withTimeout(
      (async () => {
        for await (const line of lines) if (line.trim() !== "") last = line;
      })(),
      10_000,
      "idle load generator closing",
    );
    return { result: parse(last), held };
  } catch (err) {
    return { result: { ok: false, error: (err as Error).message } };
  } finally {
    await stopChild(proc);
  }
}

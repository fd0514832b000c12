/** runMicro runs every bench/micro/*.bench.ts, each in its own process, output passed through. */
import { Glob } from "bun";
import { join } from "node:path";
import { spawnChild, stopChild, withTimeout } from "./children.ts";

const MICRO_DIR = join(import.meta.dir, "micro");
/** A mitata file normally takes seconds; this only stops a hung one. */
const TIMEOUT_MS = 180_000;

export async function runMicro(): Promise<{ file: string; ok: boolean }[]> {
  const files = [...new Glob("*.bench.ts").scanSync(MICRO_DIR)].sort();
  const out: { file: string; ok: boolean }[] = [];
  for (const file of files) {
    process.stdout.write(`\n── bench/micro/${file} ──\n`);
    const proc = spawnChild([process.execPath, join(MICRO_DIR, file)], {
      stdout: "inherit",
      stderr: "inherit",
      // mitata colours its output even into a pipe; keep a redirected report readable.
      env: process.stdout.isTTY === true ? {} : { NO_COLOR: "1" },
    });
    let code: number;
    try {
      code = await withTimeout(proc.exited, TIMEOUT_MS, `bench/micro/${file}`);
    } catch (err) {
      process.stdout.write(`  ! ${(err as Error).message}\n`);
      code = -1;
    } finally {
      await stopChild(proc);
    }
    out.push({ file, ok: code === 0 });
  }
  return out;
}

/**
 * Child processes of the bench: every one is registered here so that it is
 * stopped on every way out (normal end, a thrown error, Ctrl-C, SIGTERM). A
 * bench that leaves a proxy or a load generator running would skew the next
 * run and hold its ports.
 */
import type { Subprocess } from "bun";
import { rmSync } from "node:fs";

/** Child is a started process with its pipes typed loosely: callers know which they asked for. */
export type Child = Subprocess<"ignore" | "pipe", "ignore" | "pipe" | "inherit", "ignore" | "pipe" | "inherit">;

const live = new Set<Child>();

export interface SpawnOptions {
  cwd?: string;
  stdin?: "ignore" | "pipe";
  stdout?: "ignore" | "pipe" | "inherit";
  /** Where stderr goes: a file path keeps a proxy's complaints for the error message. */
  stderr?: "ignore" | "pipe" | "inherit" | string;
  /** Extra environment variables on top of this process's. */
  env?: Record<string, string>;
}

export function spawnChild(cmd: string[], opts: SpawnOptions = {}): Child {
  const stderr = opts.stderr ?? "inherit";
  const proc = Bun.spawn(cmd, {
    cwd: opts.cwd,
    env: opts.env === undefined ? undefined : { ...process.env, ...opts.env },
    stdin: opts.stdin ?? "ignore",
    stdout: opts.stdout ?? "ignore",
    stderr: stderr === "ignore" || stderr === "pipe" || stderr === "inherit" ? stderr : Bun.file(stderr),
  }) as Child;
  live.add(proc);
  void proc.exited.then(() => live.delete(proc));
  return proc;
}

export function isRunning(proc: Child): boolean {
  return proc.exitCode === null && proc.signalCode === null;
}

/** stopChild asks politely (SIGTERM), then kills after `graceMs`. */
export async function stopChild(proc: Child, graceMs = 1500): Promise<void> {
  if (!isRunning(proc)) return;
  proc.kill("SIGTERM");
  const timer = setTimeout(() => {
    if (isRunning(proc)) proc.kill("SIGKILL");
  }, graceMs);
  await proc.exited;
  clearTimeout(timer);
  live.delete(proc);
}

export async function stopAllChildren(): Promise<void> {
  await Promise.all([...live].map((p) => stopChild(p)));
}

/**
 * killAllChildrenNow is for the synchronous exit paths. SIGTERM, not SIGKILL:
 * nginx's master must get the chance to take its worker down with it.
 */
export function killAllChildrenNow(): void {
  for (const p of live) if (isRunning(p)) p.kill("SIGTERM");
}

/**
 * What to undo on every way out (temp dirs, the baseline's git worktree), run
 * newest first, so a worktree inside the temp dir is removed before the dir.
 * Each must be synchronous: the process "exit" event runs them too.
 */
const cleanups: (() => void)[] = [];

/** onExit runs `undo` once, on whichever way out comes first, after the children have been stopped. */
export function onExit(undo: () => void): void {
  cleanups.push(undo);
}

/** removeOnExit deletes a temp directory (configs, pid files) on every way out. */
export function removeOnExit(dir: string): void {
  onExit(() => rmSync(dir, { recursive: true, force: true }));
}

/** runCleanups runs what onExit registered, newest first, each once; one that throws does not stop the rest. */
export function runCleanups(): void {
  for (let undo = cleanups.pop(); undo !== undefined; undo = cleanups.pop()) {
    try {
      undo();
    } catch (err) {
      process.stderr.write(`bench: cleanup failed: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
}

let installed = false;

/** installExitHandlers makes Ctrl-C, SIGTERM and an uncaught error stop every child first. */
export function installExitHandlers(): void {
  if (installed) return;
  installed = true;
  const onSignal = (signal: NodeJS.Signals, code: number) => () => {
    process.stderr.write(`\nbench: ${signal}, stopping ${live.size} child process(es)\n`);
    void stopAllChildren().finally(() => {
      runCleanups();
      process.exit(code);
    });
    setTimeout(() => {
      killAllChildrenNow();
      process.exit(code);
    }, 3000).unref();
  };
  process.on("SIGINT", onSignal("SIGINT", 130));
  process.on("SIGTERM", onSignal("SIGTERM", 143));
  process.on("exit", () => {
    killAllChildrenNow();
    runCleanups();
  });
}

/** readLines yields a child's stdout line by line. */
export async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of stream) {
    buffered += decoder.decode(chunk, { stream: true });
    let nl = buffered.indexOf("\n");
    while (nl >= 0) {
      yield buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      nl = buffered.indexOf("\n");
    }
  }
  if (buffered.length > 0) yield buffered;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** withTimeout rejects with `what` named when `promise` takes longer than `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * benchMain is the shared entry of a bench command: parse the flags (a string
 * is help or a usage error), install the exit handlers, run in a fresh temp
 * dir, and always stop every child and remove the dir.
 */
export async function benchMain<O>(
  argv: readonly string[],
  parse: (argv: readonly string[]) => O | string,
  run: (options: O, dir: string) => Promise<number>,
  tmpPrefix: string,
): Promise<number> {
  const o = parse(argv);
  if (typeof o === "string") {
    const help = argv.includes("-h") || argv.includes("--help");
    (help ? process.stdout : process.stderr).write(`${o}\n`);
    return help ? 0 : 2;
  }
  installExitHandlers();
  const { mkdtemp } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const dir = await mkdtemp(join(tmpdir(), tmpPrefix));
  removeOnExit(dir);
  try {
    return await run(o, dir);
  } finally {
    await stopAllChildren();
    runCleanups(); // the temp dir, and whatever run() registered with onExit (a baseline worktree)
  }
}

/**
 * Subprocess helpers for the `warren` command: run it to completion
 * (`runWarren`), or start it and talk to it (`startWarren`) through its JSON
 * log lines on stderr (stderr is a pipe, so format "auto" writes JSON lines).
 * Every process started here is killed by `killAll()` (call it in afterEach)
 * if a test did not already stop it — and so is warren itself when it runs
 * below a launcher (`npx bun run proxy`), found by the pid it logs.
 */
import type { Subprocess } from "bun";
import { readFileSync } from "node:fs";
import { closedPort } from "./backends.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
/** The command that runs warren from source: this bun, src/main.ts. */
export const WARREN_FROM_SOURCE: readonly string[] = [process.execPath, `${ROOT}src/main.ts`];

/** One JSON log line as warren writes it. */
export interface LogLine {
  time: string;
  level: string;
  msg: string;
  [field: string]: unknown;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface SpawnOptions {
  /** The warren executable and leading arguments; default WARREN_FROM_SOURCE. */
  command?: readonly string[];
  /** How long the whole run (runWarren) or start-up (startWarren) may take. */
  timeoutMs?: number;
  /** "as-configured": leave the admin server to the config and the default (no `--admin off` added). */
  admin?: "off" | "as-configured";
}

const live = new Set<Subprocess>();

/**
 * withAdmin gives a warren run `--admin off` unless the test chose an admin address itself: tests run in
 * parallel, and none may depend on the default 127.0.0.1:9510 being free (nor clash on it).
 */
export function withAdmin(args: readonly string[]): readonly string[] {
  if (args[0] === "ctl" || args.some((a) => a === "--admin" || a.startsWith("--admin=") || a === "--check")) return args;
  return [...args, "--admin", "off"];
}

/** Pids of warren processes started below a launcher, which Bun does not know as children. */
const grandchildren = new Set<number>();

/** killAll SIGKILLs every warren process a test left running; for afterEach. */
export async function killAll(): Promise<void> {
  const procs = [...live];
  live.clear();
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
  for (const pid of grandchildren) if (processRuns(pid)) process.kill(pid, "SIGKILL");
  grandchildren.clear();
  await Promise.all(procs.map((p) => p.exited));
}

/**
 * processRuns says whether `pid` is a live process: not gone and not a zombie
 * (an orphan's zombie may wait for a reaper, and kill(pid, 0) succeeds on it).
 */
export function processRuns(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** runWarren runs warren to completion (for --help, --check, bad configs) and returns what it printed. */
export async function runWarren(args: readonly string[], options: SpawnOptions = {}): Promise<RunResult> {
  const proc = Bun.spawn([...(options.command ?? WARREN_FROM_SOURCE), ...(options.admin === "as-configured" ? args : withAdmin(args))], {
    cwd: ROOT,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  live.add(proc);
  const timer = setTimeout(() => proc.kill("SIGKILL"), options.timeoutMs ?? 10_000);
  try {
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    return { code, stdout, stderr };
  } finally {
    clearTimeout(timer);
    live.delete(proc);
  }
}

/**
 * WarrenProcess is a running warren. It collects stderr as it arrives, keeps
 * the JSON log lines, and lets a test wait for a line instead of sleeping.
 */
export class WarrenProcess implements AsyncDisposable {
  readonly lines: LogLine[] = [];
  /** Resolves with the exit code (a signal death gives 128 + signal number). */
  readonly exited: Promise<number>;
  private stderrText = "";
  private stdoutText = "";
  private readonly waiters = new Set<() => void>();

  constructor(readonly proc: Subprocess<"ignore", "pipe", "pipe">) {
    live.add(proc);
    const output = Promise.all([
      this.collect(proc.stderr, (text) => this.onStderr(text)),
      this.collect(proc.stdout, (text) => (this.stdoutText += text)),
    ]);
    // Exited only once its output is read to the end, so a test can assert on the last lines.
    this.exited = Promise.all([proc.exited, output]).then(([code]) => {
      this.wake();
      return code;
    });
  }

  get pid(): number {
    return this.proc.pid;
  }

  /** Everything written to stderr so far. */
  get stderr(): string {
    return this.stderrText;
  }

  get stdout(): string {
    return this.stdoutText;
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  signal(signal: "SIGTERM" | "SIGINT" | "SIGHUP" | "SIGUSR1" | "SIGUSR2" | "SIGKILL"): void {
    this.proc.kill(signal);
  }

  /**
   * The pid warren logged in "warren started": the spawned process itself, or
   * a process below it when the command is a launcher (`npx bun run proxy`).
   */
  get warrenPid(): number {
    const started = this.lines.find((l) => l.msg === "warren started");
    if (started === undefined || typeof started.pid !== "number") throw new Error(`no "warren started" line in:\n${this.stderrText}`);
    return started.pid;
  }

  /** signalWarren signals warren itself, wherever it runs (below a launcher too). */
  signalWarren(signal: "SIGTERM" | "SIGINT" | "SIGHUP" | "SIGUSR1" | "SIGUSR2"): void {
    process.kill(this.warrenPid, signal);
  }

  /**
   * waitForLog resolves with the first log line, at index `from` or later, for
   * which `match` holds (a string matches `msg`). It fails if warren exits or
   * the time runs out, showing stderr so the failure explains itself.
   */
  async waitForLog(match: string | ((line: LogLine) => boolean), options: { from?: number; timeoutMs?: number } = {}): Promise<LogLine> {
    const test = typeof match === "string" ? (l: LogLine) => l.msg === match : match;
    const what = typeof match === "string" ? `log line "${match}"` : "a matching log line";
    let from = options.from ?? 0;
    return this.until(
      () => {
        for (; from < this.lines.length; from++) if (test(this.lines[from]!)) return this.lines[from]!;
        return undefined;
      },
      what,
      options.timeoutMs,
    );
  }

  /** waitForStderr resolves once stderr contains `text` (for the plain, non-JSON error lines). */
  async waitForStderr(text: string, timeoutMs?: number): Promise<void> {
    await this.until(() => (this.stderrText.includes(text) ? true : undefined), `stderr to contain ${JSON.stringify(text)}`, timeoutMs);
  }

  /** port returns the port of listener `name` from its latest "listening" line (any listener's, with no name). */
  port(name?: string): number {
    for (let i = this.lines.length - 1; i >= 0; i--) {
      const l = this.lines[i]!;
      if (l.msg !== "listening" || (name !== undefined && l.listener !== name)) continue;
      const address = String(l.address);
      return Number(address.slice(address.lastIndexOf(":") + 1));
    }
    throw new Error(`no "listening" line for ${name ?? "any listener"} in:\n${this.stderrText}`);
  }

  /** Index of the next log line, to wait only for lines written after this point. */
  get mark(): number {
    return this.lines.length;
  }

  /** stop SIGKILLs warren if it is still running (and warren below a launcher, whose pipes `exited` waits for). */
  async stop(): Promise<void> {
    if (this.running) this.proc.kill("SIGKILL");
    const started = this.lines.find((l) => l.msg === "warren started");
    if (typeof started?.pid === "number" && started.pid !== this.proc.pid && processRuns(started.pid)) process.kill(started.pid, "SIGKILL");
    await this.exited;
    live.delete(this.proc);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  private async until<T>(check: () => T | undefined, what: string, timeoutMs = 5_000): Promise<T> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const found = check();
      if (found !== undefined) return found;
      if (!this.running) {
        await this.exited; // stderr is read to the end by then
        const again = check();
        if (again !== undefined) return again;
        throw new Error(`warren exited (${this.proc.exitCode ?? this.proc.signalCode}) before ${what}; stderr:\n${this.stderrText}`);
      }
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; stderr:\n${this.stderrText}`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.waiters.add(wake);
      });
    }
  }

  private onStderr(text: string): void {
    const known = this.lines.length;
    const start = this.stderrText.lastIndexOf("\n") + 1;
    this.stderrText += text;
    // Parse every complete line that this chunk finished.
    const end = this.stderrText.lastIndexOf("\n");
    if (end >= start) {
      for (const line of this.stderrText.slice(start, end).split("\n")) {
        if (!line.startsWith("{")) continue;
        try {
          this.lines.push(JSON.parse(line) as LogLine);
        } catch {
          // Not a log line (e.g. a config error echoed as text): kept in stderr only.
        }
      }
    }
    for (let i = known; i < this.lines.length; i++) {
      const l = this.lines[i]!;
      if (l.msg === "warren started" && typeof l.pid === "number" && l.pid !== this.proc.pid) grandchildren.add(l.pid);
    }
    this.wake();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  private async collect(stream: ReadableStream<Uint8Array>, sink: (text: string) => void): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) sink(decoder.decode(chunk, { stream: true }));
  }
}

/** spawnWarren starts warren and returns at once (use startWarren to wait until it listens). */
export function spawnWarren(args: readonly string[], options: SpawnOptions = {}): WarrenProcess {
  const proc = Bun.spawn([...(options.command ?? WARREN_FROM_SOURCE), ...(options.admin === "as-configured" ? args : withAdmin(args))], {
    cwd: ROOT,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  return new WarrenProcess(proc);
}

/**
 * startWarren starts warren and resolves once it has logged a "listening" line
 * for each of `listeners` listeners; it kills the process if that fails.
 */
export async function startWarren(args: readonly string[], options: SpawnOptions & { listeners?: number } = {}): Promise<WarrenProcess> {
  const warren = spawnWarren(args, options);
  try {
    for (let i = 0, from = 0; i < (options.listeners ?? 1); i++) {
      const line = await warren.waitForLog("listening", { from, timeoutMs: options.timeoutMs ?? 10_000 });
      from = warren.lines.indexOf(line) + 1;
    }
    return warren;
  } catch (err) {
    await warren.stop();
    throw err;
  }
}

/** freePort returns a loopback port that was free a moment ago (bound with port 0, then released). */
export const freePort = closedPort;

/** exitsWithin resolves with the exit code, or fails if warren is still running after `ms`. */
export async function exitsWithin(warren: WarrenProcess, ms: number): Promise<number> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`warren still running ${ms} ms later; stderr:\n${warren.stderr}`)), ms);
  });
  try {
    return await Promise.race([warren.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

import { ConfigError, ConfigErrors } from "./errors.ts";
import { LogFile } from "./log-file.ts";

/** Log levels, in order; a logger prints its level and everything above it. */
export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = "pretty" | "json" | "auto";

/** LogSettings is the config's `[log]` table as far as the logger is concerned. */
export interface LogSettings {
  readonly level: LogLevel;
  readonly format: LogFormat;
  /** Append to this file instead of writing to stderr; null: stderr. */
  readonly file: string | null;
}

type Fields = Record<string, unknown>;

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/**
 * Logger writes one line per event: JSON lines for machines, or a short human
 * line on a terminal. It never logs per chunk; callers log per session or rarer.
 * Lines go to the sink (stderr by default) or, with `log.file`, to that file.
 */
export class Logger {
  private rank: number;
  private level: LogLevel;
  private format: LogFormat;
  private isJson: boolean;
  private file: LogFile | null = null;
  /** Fields on every line (a worker's number), after time, level and msg; null: none. */
  private context: Fields | null = null;

  constructor(
    level: LogLevel = "info",
    format: LogFormat = "auto",
    private readonly sink: (line: string) => void = writeStderr,
    private readonly isTty: boolean = process.stderr.isTTY === true,
  ) {
    this.rank = RANK[level];
    this.level = level;
    this.format = format;
    this.isJson = jsonFor(format, isTty);
  }

  /** fromConfig builds the logger a config's `[log]` asks for; throws ConfigErrors if log.file cannot be opened. */
  static fromConfig(settings: LogSettings, source = "config"): Logger {
    const log = new Logger(settings.level, settings.format);
    const problem = log.apply(settings);
    if (problem !== null) throw new ConfigErrors([new ConfigError("log.file", problem)], source);
    return log;
  }

  /** setContext puts `fields` on every line from now on (a worker process says which worker it is). */
  setContext(fields: Fields | null): void {
    this.context = fields;
  }

  /** configure changes level and format in place, so a reload keeps every holder of this logger. */
  configure(level: LogLevel, format: LogFormat, isTty: boolean = this.file === null && this.isTty): void {
    this.rank = RANK[level];
    this.level = level;
    this.format = format;
    this.isJson = jsonFor(format, isTty);
  }

  /**
   * apply takes a (reloaded) config's level, format and file. A new file is
   * opened before the old one is closed; if it cannot be opened, the old
   * output stays and the problem is returned (level and format apply anyway).
   */
  apply(settings: LogSettings): string | null {
    let problem: string | null = null;
    if (settings.file !== (this.file?.path ?? null)) {
      const next = settings.file === null ? null : LogFile.open(settings.file, (m) => this.toStderr("warn", m));
      if (typeof next === "string") problem = next;
      else {
        this.file?.close();
        this.file = next;
      }
    }
    this.configure(settings.level, settings.format);
    return problem;
  }

  /** The log file in use, or null when logging to stderr (or a test's sink). */
  get filePath(): string | null {
    return this.file?.path ?? null;
  }

  /** Whether lines are JSON (format "json", or "auto" writing to something that is not a terminal). */
  get json(): boolean {
    return this.isJson;
  }

  /** reopen opens the log file again after logrotate renamed it (SIGUSR1); returns the problem, if any. */
  reopen(): string | null {
    return this.file === null ? null : this.file.reopen();
  }

  close(): void {
    this.file?.close();
    this.file = null;
    this.configure(this.level, this.format);
  }

  enabled(level: LogLevel): boolean {
    return RANK[level] >= this.rank;
  }

  debug(msg: string, fields?: Fields): void {
    if (RANK.debug >= this.rank) this.write("debug", msg, fields);
  }
  info(msg: string, fields?: Fields): void {
    if (RANK.info >= this.rank) this.write("info", msg, fields);
  }
  warn(msg: string, fields?: Fields): void {
    if (RANK.warn >= this.rank) this.write("warn", msg, fields);
  }
  error(msg: string, fields?: Fields): void {
    if (RANK.error >= this.rank) this.write("error", msg, fields);
  }

  private write(level: LogLevel, msg: string, fields: Fields | undefined): void {
    const line = this.render(level, msg, fields, this.isJson);
    if (this.file !== null) this.file.write(line);
    else this.sink(line);
  }

  /** toStderr reports a problem with the log file itself, where someone may see it, in the configured format. */
  private toStderr(level: LogLevel, msg: string): void {
    this.sink(this.render(level, msg, undefined, jsonFor(this.format, this.isTty)));
  }

  private render(level: LogLevel, msg: string, fields: Fields | undefined, json: boolean): string {
    const time = new Date().toISOString();
    if (json)
      return (
        JSON.stringify(this.context === null ? { time, level, msg, ...fields } : { time, level, msg, ...this.context, ...fields }) + "\n"
      );
    let line = `${time.slice(11, 23)} ${level.toUpperCase().padEnd(5)} ${msg}`;
    if (this.context !== null) {
      for (const key in this.context) line += ` ${key}=${formatValue(this.context[key])}`;
    }
    if (fields !== undefined) {
      for (const key in fields) line += ` ${key}=${formatValue(fields[key])}`;
    }
    return line + "\n";
  }
}

/** A file is never a terminal, so "auto" writes JSON lines to it. */
function jsonFor(format: LogFormat, isTty: boolean): boolean {
  return format === "json" || (format === "auto" && !isTty);
}

function formatValue(v: unknown): string {
  if (typeof v === "string") return /[\s"=]/.test(v) || v === "" ? JSON.stringify(v) : v;
  if (typeof v === "object" && v !== null) return JSON.stringify(v);
  return String(v);
}

function writeStderr(line: string): void {
  process.stderr.write(line);
}

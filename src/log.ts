/** Log levels, in order; a logger prints its level and everything above it. */
export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = "pretty" | "json" | "auto";

type Fields = Record<string, unknown>;

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/**
 * Logger writes one line per event: JSON lines for machines, or a short human
 * line on a terminal. It never logs per chunk; callers log per session or rarer.
 */
export class Logger {
  private rank: number;
  private json: boolean;

  constructor(
    level: LogLevel = "info",
    format: LogFormat = "auto",
    private readonly sink: (line: string) => void = writeStderr,
    isTty: boolean = process.stderr.isTTY === true,
  ) {
    this.rank = RANK[level];
    this.json = format === "json" || (format === "auto" && !isTty);
  }

  /** configure changes level and format in place, so a reload keeps every holder of this logger. */
  configure(level: LogLevel, format: LogFormat, isTty: boolean = process.stderr.isTTY === true): void {
    this.rank = RANK[level];
    this.json = format === "json" || (format === "auto" && !isTty);
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
    const time = new Date().toISOString();
    if (this.json) {
      this.sink(JSON.stringify({ time, level, msg, ...fields }) + "\n");
      return;
    }
    let line = `${time.slice(11, 23)} ${level.toUpperCase().padEnd(5)} ${msg}`;
    if (fields !== undefined) {
      for (const key in fields) line += ` ${key}=${formatValue(fields[key])}`;
    }
    this.sink(line + "\n");
  }
}

function formatValue(v: unknown): string {
  if (typeof v === "string") return /[\s"=]/.test(v) || v === "" ? JSON.stringify(v) : v;
  if (typeof v === "object" && v !== null) return JSON.stringify(v);
  return String(v);
}

function writeStderr(line: string): void {
  process.stderr.write(line);
}

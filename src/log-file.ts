import { accessSync, closeSync, constants, openSync, statSync, writeSync } from "node:fs";
import { dirname } from "node:path";

/**
 * LogFile appends log lines to a file, one write(2) per line on an O_APPEND
 * descriptor: nothing is buffered in the process, so a crash loses no line and
 * several writers never interleave within a line. reopen() is for log
 * rotation: logrotate renames the file, then SIGUSR1 makes warren open the
 * path afresh (no copytruncate needed).
 */
export class LogFile {
  private fd: number;
  /** Lines that could not be written (disk full, I/O error) since the last successful write. */
  private dropped = 0;

  private constructor(
    readonly path: string,
    fd: number,
    private readonly onWriteError: (message: string) => void,
  ) {
    this.fd = fd;
  }

  /** open appends to `path` (created 0644 if missing); a failure comes back as its message. */
  static open(path: string, onWriteError: (message: string) => void): LogFile | string {
    const fd = openAppend(path);
    return typeof fd === "string" ? fd : new LogFile(path, fd, onWriteError);
  }

  write(line: string): void {
    try {
      const bytes = Buffer.from(line);
      for (let at = 0; at < bytes.length; ) at += writeSync(this.fd, bytes, at, bytes.length - at);
      if (this.dropped > 0) {
        const n = this.dropped;
        this.dropped = 0;
        this.onWriteError(`log file ${this.path} is writable again; ${n} line(s) were lost`);
      }
    } catch (err) {
      // Logging must never take the proxy down: count the loss and say so once, on stderr.
      if (this.dropped++ === 0)
        this.onWriteError(`cannot write to log file ${this.path} (${codeOf(err)}); lines are lost until it works again`);
    }
  }

  /** reopen opens the path again (after a rename by logrotate); on failure the old file stays in use. */
  reopen(): string | null {
    const fd = openAppend(this.path);
    if (typeof fd === "string") return fd;
    closeSync(this.fd);
    this.fd = fd;
    return null;
  }

  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }
}

/**
 * logFileProblem checks, without creating anything, that `path` could be
 * opened for appending (what --check can say): an existing non-directory that
 * is writable, or a missing file in a writable directory.
 */
export function logFileProblem(path: string): string | null {
  try {
    if (statSync(path).isDirectory()) return `cannot append to ${JSON.stringify(path)}: it is a directory`;
    accessSync(path, constants.W_OK);
    return null;
  } catch (err) {
    if (codeOf(err) !== "ENOENT") return `cannot append to ${JSON.stringify(path)}: ${describeCode(err)}`;
  }
  const dir = dirname(path);
  try {
    if (!statSync(dir).isDirectory()) return `cannot create ${JSON.stringify(path)}: ${dir} is not a directory`;
    accessSync(dir, constants.W_OK);
    return null;
  } catch (err) {
    return `cannot create ${JSON.stringify(path)}: ${codeOf(err) === "ENOENT" ? `no directory ${dir}` : describeCode(err)}`;
  }
}

function openAppend(path: string): number | string {
  try {
    return openSync(path, "a", 0o644);
  } catch (err) {
    return `cannot append to ${JSON.stringify(path)}: ${describeCode(err)}`;
  }
}

function codeOf(err: unknown): string {
  return (err as { code?: string }).code ?? String(err);
}

const WHY: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  EISDIR: "it is a directory",
  ENOTDIR: "a part of the path is not a directory",
  ENOENT: "no such directory",
};

function describeCode(err: unknown): string {
  const code = codeOf(err);
  return WHY[code] === undefined ? code : `${code} (${WHY[code]})`;
}

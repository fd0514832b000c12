import { dlopen, FFIType, ptr, read } from "bun:ffi";
import { chmodSync, lstatSync, unlinkSync } from "node:fs";
import { ProxyError } from "../errors.ts";

/*
 * A unix listener's socket file, from before bind to after close (Bun 1.4.4, Linux; each fact pinned in
 * test/integration/unix-sockets.test.ts):
 *
 * - A socket file left by a process that died (SIGKILL, a crash) makes Bun.listen fail with EADDRINUSE.
 *   It may be removed only once nothing listens on it: another warren (or anything else) may be
 *   serving there, and unlinking its file would cut it off from every new client without a word.
 * - Whether something listens is a connect: a live listener accepts it at once (connect() on a unix
 *   socket does not wait for accept), a dead one's file answers ECONNREFUSED. Binding is synchronous
 *   in warren (start and reload bind in one go and roll back on failure) and Bun has no synchronous
 *   connect, so the check calls libc's socket/connect/close through bun:ffi: three syscalls, once per
 *   bind. Looking the path up in /proc/net/unix instead would miss a listener in another network
 *   namespace that shares the directory (a container).
 * - Bun removes the socket file when the listener stops; warren removes it too if it is still there and
 *   still the one it bound (same inode), never a file another process has bound since.
 */

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;
const ECONNREFUSED = 111;
const ENOENT = 2;

let libc: ReturnType<typeof openLibc> | null = null;

function openLibc() {
  return dlopen("libc.so.6", {
    socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    connect: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
    close: { args: [FFIType.i32], returns: FFIType.i32 },
    __errno_location: { args: [], returns: FFIType.ptr },
  }).symbols;
}

/** connectErrno connects to the unix socket at `path` and closes at once: 0 when something accepted, else the errno. */
export function connectErrno(path: string): number {
  libc ??= openLibc();
  const fd = libc.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return read.i32(libc.__errno_location()!, 0);
  const name = Buffer.from(path);
  const addr = new Uint8Array(2 + name.byteLength + 1); // sockaddr_un: sa_family (host order), the path, its NUL
  addr[0] = AF_UNIX;
  addr.set(name, 2);
  const r = libc.connect(fd, ptr(addr), addr.byteLength);
  const errno = r === 0 ? 0 : read.i32(libc.__errno_location()!, 0);
  libc.close(fd);
  return errno;
}

function failed(path: string, why: string): ProxyError {
  return new ProxyError("LISTEN_FAILED", "internal", `cannot listen on unix:${path}: ${why}`);
}

/**
 * clearStaleSocket makes `path` free to bind: nothing there, or a socket file nobody listens on (which
 * it removes, and says so by returning true). It throws LISTEN_FAILED, naming the reason, when the path
 * is something else, or something answers there.
 */
export function clearStaleSocket(path: string): boolean {
  let stat: ReturnType<typeof lstatSync>;
  try {
    stat = lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw failed(path, `cannot look at the path (${(err as Error).message})`);
  }
  if (!stat.isSocket()) throw failed(path, "the path exists and is not a socket; warren removes only stale socket files");
  const errno = connectErrno(path);
  if (errno === 0) throw failed(path, "another process is listening there (a connect to it was accepted); stop it, or listen elsewhere");
  if (errno === ENOENT) return false; // gone meanwhile
  if (errno !== ECONNREFUSED) throw failed(path, `a connect to the existing socket failed with errno ${errno}, so it cannot be told stale`);
  unlinkSync(path);
  return true;
}

/** UnixBinding is a bound socket file: what removing it on close must check. */
export interface UnixBinding {
  readonly path: string;
  readonly ino: number;
}

/**
 * bindUnix runs `listen` for a socket file at `path` with mode `mode` (e.g. 0o660; null: as the umask
 * leaves it). The umask is set for the bind so the file never exists with wider permissions, even for
 * a moment, then the mode is set exactly (a umask only takes bits away).
 */
export function bindUnix<T>(path: string, mode: number | null, listen: () => T): { server: T; binding: UnixBinding } {
  const old = mode === null ? null : process.umask(0o777 & ~mode);
  let server: T;
  try {
    server = listen();
  } finally {
    if (old !== null) process.umask(old);
  }
  if (mode !== null) chmodSync(path, mode);
  return { server, binding: { path, ino: lstatSync(path).ino } };
}

/** chmodUnixSocket gives the bound socket file a new mode (a reload's socketMode), if it is still the one bound. */
export function chmodUnixSocket(binding: UnixBinding, mode: number): void {
  try {
    if (lstatSync(binding.path).ino === binding.ino) chmodSync(binding.path, mode);
  } catch {
    // Removed from under warren: a new mode has nothing to apply to.
  }
}

/** removeUnixSocket removes the socket file once its listener stopped, if it is still the one bound. */
export function removeUnixSocket(binding: UnixBinding): void {
  try {
    if (lstatSync(binding.path).ino === binding.ino) unlinkSync(binding.path);
  } catch {
    // Already gone (Bun removes it on stop): nothing to do.
  }
}

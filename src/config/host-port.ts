import { isIPv6 } from "node:net";
import { hostProblem } from "./host.ts";
import { describe } from "./reader.ts";
import type { HostPort } from "./schema.ts";

/**
 * parseHostPort reads "HOST:PORT", "[IPv6]:PORT" or "unix:/PATH". For anything else it
 * returns the problem as text — `expected HOST:PORT, got "…"`, and after a
 * colon what is wrong when that is clear (the port's range, a bare IPv6
 * address, a host that is no address or name) — so the caller can put the key
 * path in front of it.
 */
export function parseHostPort(text: string, allowPortZero: boolean): HostPort | string {
  if (text.startsWith("unix:")) return parseUnix(text);
  const got = `expected HOST:PORT, got ${describe(text)}`;
  if (text.startsWith("/")) return `${got}: a unix socket is written unix:${text}`;
  let host: string;
  let portText: string;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) return `${got}: no "]" closes the IPv6 address`;
    host = text.slice(1, close);
    if (host === "") return `${got}: no address between the brackets`;
    if (!isIPv6(host)) return `${got}: ${JSON.stringify(host)} in brackets is not an IPv6 address`;
    if (text[close + 1] !== ":") return `${got}: a port must follow, as in [${host}]:6379`;
    portText = text.slice(close + 2);
  } else {
    const colon = text.lastIndexOf(":");
    if (colon < 0) return `${got}: no ":PORT"`;
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(":")) {
      // "::1:6379" is also an IPv6 address, but the address ::1 and port 6379 is what was meant.
      if (isIPv6(host) && /^[0-9]{1,5}$/.test(portText)) return `${got}: IPv6 addresses go in brackets: [${host}]:${portText}`;
      if (isIPv6(text)) return `${got}: IPv6 addresses go in brackets, with a port: [${text}]:PORT`;
      return got;
    }
    if (host === "") return `${got}: no host before the ":"`;
  }
  const range = allowPortZero ? "0..65535 (0 picks a free port)" : "1..65535";
  if (portText === "") return `${got}: no port after the ":"`;
  if (!/^[0-9]+$/.test(portText)) return `${got}: port must be a number ${range}`;
  const port = Number(portText);
  if (port > 65535 || (port === 0 && !allowPortZero)) {
    return `${got}: port must be ${range}${port === 0 ? " (port 0 is only for listen addresses)" : ""}`;
  }
  const problem = hostProblem(host);
  if (problem !== null) return `${got}: ${problem}`;
  return { host, port };
}

/** The longest path a unix socket address can carry: sun_path is 108 bytes on Linux, its NUL included. */
export const MAX_UNIX_PATH_BYTES = 107;

/** parseUnix reads "unix:/PATH": an absolute path that fits in a sockaddr_un. */
function parseUnix(text: string): HostPort | string {
  const path = text.slice("unix:".length);
  const got = `expected unix:/PATH, got ${describe(text)}`;
  if (path === "") return `${got}: no path after "unix:"`;
  if (!path.startsWith("/")) return `${got}: the path must be absolute, as in unix:/run/warren.sock`;
  if (path.endsWith("/")) return `${got}: the path names a directory, not a socket file`;
  if (path.includes("\0")) return `${got}: a NUL byte in the path`;
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_UNIX_PATH_BYTES)
    return `${got}: the path is ${bytes} bytes, and a unix socket address holds at most ${MAX_UNIX_PATH_BYTES}`;
  return { host: "", port: 0, unix: path };
}

/** formatHostPort is the inverse of parseHostPort. */
export function formatHostPort(hp: HostPort): string {
  if (hp.unix !== undefined) return `unix:${hp.unix}`;
  return hp.host.includes(":") ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}

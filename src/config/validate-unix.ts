import type { HostPort } from "./schema.ts";
import { describe, join, type Reader } from "./reader.ts";

/** The listener keys read here: what a `unix:` listen address needs beyond its path. */
export const UNIX_LISTENER_KEYS = ["socketMode"] as const;

/**
 * readSocketMode reads `socketMode`, the permissions of a unix listener's socket file: an octal string
 * ("0660", "660") or a TOML octal integer (0o660). Null: as the process's umask leaves it. Only for a
 * `unix:` listen address, since for TCP there is no file to give a mode to.
 */
export function readSocketMode(r: Reader, obj: Record<string, unknown>, path: string, listen: HostPort | undefined): number | null {
  const value = obj.socketMode;
  if (value === undefined) return null;
  const at = join(path, "socketMode");
  if (listen !== undefined && listen.unix === undefined) {
    r.fail(
      at,
      `only for a unix socket (listen = "unix:/run/warren.sock"); ${listen.host}:${listen.port} is TCP, whose access is allow/deny`,
    );
    return null;
  }
  const expected = `expected the socket file's permissions in octal, like "0660" (owner and group may connect), got ${describe(value)}`;
  let mode: number;
  if (typeof value === "string" && /^0?[0-7]{3}$/.test(value)) mode = Number.parseInt(value, 8);
  else if (typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 0o777) mode = value;
  else {
    r.fail(at, typeof value === "number" ? `${expected} (in TOML, write an octal integer as 0o660, or a string "0660")` : expected);
    return null;
  }
  if ((mode & 0o200) === 0) r.fail(at, `${expected}: without the owner's write bit (0200) not even warren's own user could connect`);
  return mode;
}

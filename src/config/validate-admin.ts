import { readFileSync } from "node:fs";
import { isIPv4 } from "node:net";
import { DEFAULTS } from "../defaults.ts";
import { formatHostPort, parseHostPort } from "./host-port.ts";
import { describe, type Reader } from "./reader.ts";
import type { AdminConfig, HostPort } from "./schema.ts";

export const ADMIN_KEYS = ["enabled", "listen", "token", "tokenFile"] as const;

/** The environment the admin token may come from; a parameter so tests and `--check` of a manifest can supply one. */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * readAdmin reads the `[admin]` table. The token comes from `token`, else `tokenFile` (read now, one
 * trailing newline dropped, so `openssl rand -hex 32 > file` works), else WARREN_ADMIN_TOKEN. Binding
 * anything but loopback without a token is refused here, at `admin.token`: such a server would let
 * anyone who can reach the port read every backend address, and there would be no way to steer it.
 */
export function readAdmin(r: Reader, value: unknown, env: Env): AdminConfig {
  const A = DEFAULTS.admin;
  const obj = value === undefined ? {} : (r.object(value, "admin", ADMIN_KEYS) ?? {});
  const enabled = r.bool(obj, "enabled", "admin", A.enabled);
  const listen = readListen(r, obj.listen) ?? (parseHostPort(A.listen, true) as HostPort);
  const token = readToken(r, obj, env);
  if (enabled && token === null && !isLoopback(listen.host)) {
    r.fail(
      "admin.token",
      `admin.listen ${formatHostPort(listen)} is reachable from other hosts, and warren's admin server there needs a token: set admin.token or admin.tokenFile, or ${A.tokenEnv} in the environment (at least ${A.minTokenChars} characters, e.g. \`openssl rand -hex 32\`), or listen on 127.0.0.1`,
    );
  }
  return { enabled, listen, listenConfigured: obj.listen !== undefined, token };
}

function readListen(r: Reader, value: unknown): HostPort | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string") {
    r.fail("admin.listen", `expected HOST:PORT, got ${describe(value)}`);
    return undefined;
  }
  const hp = parseHostPort(value, true);
  if (typeof hp === "string") {
    r.fail("admin.listen", hp);
    return undefined;
  }
  if (hp.unix !== undefined) {
    r.fail("admin.listen", `expected HOST:PORT, got ${describe(value)}: the admin server listens on TCP`);
    return undefined;
  }
  return hp;
}

function readToken(r: Reader, obj: Record<string, unknown>, env: Env): string | null {
  const A = DEFAULTS.admin;
  if (obj.token !== undefined && obj.tokenFile !== undefined) {
    r.fail("admin.tokenFile", "give admin.token or admin.tokenFile, not both");
    return null;
  }
  let token: string;
  let path: string;
  if (obj.token !== undefined) {
    path = "admin.token";
    if (typeof obj.token !== "string") {
      r.fail(path, `expected a string of at least ${A.minTokenChars} characters, got ${describe(obj.token)}`);
      return null;
    }
    token = obj.token;
  } else if (obj.tokenFile !== undefined) {
    path = "admin.tokenFile";
    if (typeof obj.tokenFile !== "string" || obj.tokenFile === "") {
      r.fail(path, `expected a file path, got ${describe(obj.tokenFile)}`);
      return null;
    }
    try {
      token = readFileSync(obj.tokenFile, "utf8").replace(/\r?\n$/, "");
    } catch (err) {
      r.fail(path, `cannot read ${describe(obj.tokenFile)}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      return null;
    }
  } else {
    const fromEnv = env[A.tokenEnv];
    if (fromEnv === undefined || fromEnv === "") return null;
    path = "admin.token";
    token = fromEnv;
    if (token.length < A.minTokenChars) {
      r.fail(
        path,
        `${A.tokenEnv} is ${token.length} characters: a token needs at least ${A.minTokenChars} (e.g. \`openssl rand -hex 32\`)`,
      );
      return null;
    }
    return token;
  }
  if (token.length < A.minTokenChars) {
    r.fail(path, `a token needs at least ${A.minTokenChars} characters, got ${token.length} (e.g. \`openssl rand -hex 32\`)`);
    return null;
  }
  return token;
}

/** isLoopback: 127.0.0.0/8, ::1 and "localhost" reach only this host. Any other name may resolve elsewhere. */
export function isLoopback(host: string): boolean {
  if (host === "localhost" || host === "::1") return true;
  return isIPv4(host) && host.startsWith("127.");
}

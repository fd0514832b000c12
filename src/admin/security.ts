import { createHash, timingSafeEqual } from "node:crypto";
import { isIPv4, isIPv6 } from "node:net";
import { isLoopback } from "../config/validate-admin.ts";
import { DEFAULTS } from "../defaults.ts";
import type { AdminError } from "./runtime.ts";

/**
 * tokenMatches compares a presented bearer token with the configured one in constant time. Both are
 * hashed first, so the comparison is of two equal-length digests and takes the same time whatever the
 * presented token's length or first wrong byte.
 */
export function tokenMatches(presented: string, expected: string): boolean {
  const a = createHash("sha256").update(presented).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/** bearerOf reads `Authorization: Bearer <token>`; null when absent or of another scheme. */
export function bearerOf(req: Request): string | null {
  const h = req.headers.get("authorization");
  if (h === null) return null;
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(h);
  return m === null ? null : m[1]!;
}

/**
 * authProblem says why a request may not do what needs the token: none configured (403, saying how to
 * set one), none or a wrong one presented (401). null: allowed.
 */
export function authProblem(req: Request, token: string | null): { status: number; error: AdminError } | null {
  if (token === null) {
    return {
      status: 403,
      error: {
        code: "TOKEN_NOT_CONFIGURED",
        message: `this needs an admin token, and none is configured: set [admin] token or tokenFile in the config, or ${DEFAULTS.admin.tokenEnv} in warren's environment (at least ${DEFAULTS.admin.minTokenChars} characters, e.g. \`openssl rand -hex 32\`), restart warren, and send it as "Authorization: Bearer <token>"`,
      },
    };
  }
  const presented = bearerOf(req);
  if (presented === null)
    return { status: 401, error: { code: "UNAUTHORIZED", message: 'send the admin token as "Authorization: Bearer <token>"' } };
  if (!tokenMatches(presented, token)) return { status: 401, error: { code: "UNAUTHORIZED", message: "wrong admin token" } };
  return null;
}

/**
 * hostAllowed is the DNS-rebinding guard of a loopback admin server: a page on another site whose name
 * was made to resolve to 127.0.0.1 sends its own name as Host, so only loopback literals and
 * "localhost" are served. (A non-loopback server is guarded by its token instead.)
 */
export function hostAllowed(host: string | null): boolean {
  if (host === null) return false;
  const name = host.startsWith("[") ? host.slice(1, host.indexOf("]")) : host.replace(/:\d+$/, "");
  if (name === "localhost") return true;
  if (!isIPv4(name) && !isIPv6(name)) return false;
  return isLoopback(name);
}

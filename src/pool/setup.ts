import { encodeCommand } from "../framing/resp-inline.ts";
import type { PoolAuth } from "../config/schema.ts";
import { type RespValue, pairs } from "./resp-values.ts";

/** ServerInfo is what a backend says about itself in its HELLO reply; warren answers clients' HELLO with it. */
export interface ServerInfo {
  readonly server: string;
  readonly version: string;
  readonly mode: string;
  readonly role: string;
  readonly modules: RespValue | null;
}

const encoder = new TextEncoder();

/**
 * setupRequest is what warren sends on a new RESP connection before any client may use it: `HELLO
 * <proto>` to choose the protocol (and learn the server's facts), with `AUTH <user> <password>` when the
 * pool has credentials. One request, one reply, so setup costs one round trip.
 */
export function setupRequest(proto: number, auth: PoolAuth | null): Uint8Array {
  const args = ["HELLO", String(proto)];
  if (auth !== null) args.push("AUTH", auth.username ?? "default", auth.password);
  return encodeCommand(args.map((a) => encoder.encode(a)));
}

/** legacyAuthRequest is the fallback for a server without HELLO (Redis 5): plain AUTH, RESP2 only. */
export function legacyAuthRequest(auth: PoolAuth): Uint8Array {
  const args = auth.username === null ? ["AUTH", auth.password] : ["AUTH", auth.username, auth.password];
  return encodeCommand(args.map((a) => encoder.encode(a)));
}

/** SetupOutcome says what a setup reply means for the connection. */
export type SetupOutcome =
  | { readonly kind: "ready"; readonly info: ServerInfo | null }
  /** The server has no HELLO: RESP2 connections may fall back to AUTH (or nothing). */
  | { readonly kind: "no-hello" }
  /** Refused: the reason names what to fix; `auth` when the credentials were the problem. */
  | { readonly kind: "failed"; readonly reason: string; readonly auth: boolean };

/** readSetupReply interprets the reply to setupRequest (or legacyAuthRequest). */
export function readSetupReply(reply: RespValue, legacy: boolean): SetupOutcome {
  if (reply.type === "error") {
    const text = reply.value;
    if (!legacy && /^ERR unknown command/i.test(text)) return { kind: "no-hello" };
    const auth = /^(NOAUTH|WRONGPASS|NOPERM|ERR (AUTH|invalid password|Client sent AUTH))/i.test(text);
    const hint = auth ? " (check listeners[].pool.auth)" : "";
    return { kind: "failed", reason: `pooled connection setup refused: ${text}${hint}`, auth };
  }
  if (legacy) return { kind: "ready", info: null };
  const fields = pairs(reply);
  const text = (key: string, fallback: string): string => {
    const v = fields.get(key);
    return v !== undefined && (v.type === "bulk" || v.type === "simple") ? v.value : fallback;
  };
  return {
    kind: "ready",
    info: {
      server: text("server", "redis"),
      version: text("version", "unknown"),
      mode: text("mode", "standalone"),
      role: text("role", "master"),
      modules: fields.get("modules") ?? null,
    },
  };
}

import { builtinFramer, FRAMER_KINDS, type FramerConfig } from "../framing/index.ts";
import { FramerError } from "../framing/errors.ts";
import type { PoolAuth, PoolConfig } from "./schema.ts";
import { describe, join, type Reader } from "./reader.ts";
import { didYouMean } from "../util/did-you-mean.ts";
import { DEFAULTS } from "../defaults.ts";

export const POOL_LISTENER_KEYS = ["mode", "pool"] as const;
const POOL_KEYS = [
  "framer",
  "maxPerBackend",
  "minIdlePerBackend",
  "queueSize",
  "queueTimeoutMs",
  "multiplex",
  "maxPinnedPerBackend",
  "maxPinnedPerClient",
  "pinnedIdleTimeoutMs",
  "replyTimeoutMs",
  "auth",
  "clientPassword",
] as const;
const AUTH_KEYS = ["username", "password"] as const;
/** Every framer option of every built-in kind, plus `kind` and the custom framer's `module` and `options`. */
const FRAMER_KEYS = [
  "kind",
  "module",
  "options",
  "lengthOffset",
  "lengthBytes",
  "endian",
  "lengthIncludesHeader",
  "lengthAdjustment",
  "maxFrameBytes",
  "delimiter",
  "maxBulkBytes",
  "maxDepth",
  "maxLineBytes",
  "inline",
] as const;

export type ListenerMode = "tunnel" | "pool";

const DAY_MS = 86_400_000;

/** readPoolSettings validates `mode` and, in pool mode, the `pool` table (required then). */
export function readPoolSettings(r: Reader, obj: Record<string, unknown>, path: string): { mode: ListenerMode; pool: PoolConfig | null } {
  const modeKnown = obj.mode === undefined || obj.mode === "tunnel" || obj.mode === "pool";
  // A mistyped mode ("pooled") is reported once; the rest of the listener is still checked against
  // the mode most likely meant — the near-miss, else "pool" when a [pool] table is there — so one
  // typo does not hide the other errors until it is fixed.
  const mode = modeKnown ? r.oneOf(obj, "mode", path, "tunnel" as ListenerMode, MODES) : likelyMode(r, obj, path);
  const poolPath = join(path, "pool");
  if (mode !== "pool") {
    if (obj.pool !== undefined && modeKnown) r.fail(poolPath, `only used when mode = "pool", but mode is "${mode}"`);
    return { mode, pool: null };
  }
  if (obj.pool === undefined) {
    r.fail(poolPath, `mode = "pool" needs a [pool] table with at least a framer, e.g. pool = { framer = { kind = "resp" } }`);
    return { mode, pool: null };
  }
  const p = r.object(obj.pool, poolPath, POOL_KEYS);
  if (p === undefined) return { mode, pool: null };
  const framer = readFramer(r, p.framer, join(poolPath, "framer"));
  const maxPerBackend = r.int(p, "maxPerBackend", poolPath, DEFAULTS.pool.maxPerBackend, 1, 10_000);
  const minIdlePerBackend = r.int(p, "minIdlePerBackend", poolPath, DEFAULTS.pool.minIdlePerBackend, 0, 10_000);
  if (minIdlePerBackend > maxPerBackend) {
    r.fail(join(poolPath, "minIdlePerBackend"), `expected at most maxPerBackend (${maxPerBackend}), got ${minIdlePerBackend}`);
  }
  // At least one connection stays for shared traffic unless the user says otherwise.
  const maxPinnedPerBackend = r.int(p, "maxPinnedPerBackend", poolPath, Math.max(0, maxPerBackend - 1), 0, 10_000);
  if (maxPinnedPerBackend > maxPerBackend) {
    r.fail(join(poolPath, "maxPinnedPerBackend"), `expected at most maxPerBackend (${maxPerBackend}), got ${maxPinnedPerBackend}`);
  }
  const resp = framer === undefined || framer.kind === "resp";
  const auth = readAuth(r, p.auth, join(poolPath, "auth"));
  const clientPassword = p.clientPassword === undefined ? DEFAULTS.pool.clientPassword : r.string(p, "clientPassword", poolPath, "");
  if (!resp && (auth !== null || clientPassword !== null)) {
    r.fail(
      join(poolPath, auth !== null ? "auth" : "clientPassword"),
      `only supported with the resp framer (Redis AUTH), but the framer is "${framer?.kind}"`,
    );
  }
  const pool: PoolConfig = {
    framer: framer ?? { kind: "resp" },
    maxPerBackend,
    minIdlePerBackend,
    queueSize: r.int(p, "queueSize", poolPath, DEFAULTS.pool.queueSize, 0, 1_000_000),
    queueTimeoutMs: r.int(p, "queueTimeoutMs", poolPath, DEFAULTS.pool.queueTimeoutMs, 1, DAY_MS),
    multiplex: r.bool(p, "multiplex", poolPath, DEFAULTS.pool.multiplex),
    maxPinnedPerBackend,
    maxPinnedPerClient: r.int(p, "maxPinnedPerClient", poolPath, DEFAULTS.pool.maxPinnedPerClient, 0, 10_000),
    pinnedIdleTimeoutMs: r.int(p, "pinnedIdleTimeoutMs", poolPath, DEFAULTS.pool.pinnedIdleTimeoutMs, 0, DAY_MS),
    replyTimeoutMs: r.int(p, "replyTimeoutMs", poolPath, DEFAULTS.pool.replyTimeoutMs, 0, DAY_MS),
    auth,
    clientPassword,
  };
  return { mode, pool };
}

const MODES = ["tunnel", "pool"] as const;

/** likelyMode reports an invalid `mode` and returns the mode the rest of the listener is checked against. */
function likelyMode(r: Reader, obj: Record<string, unknown>, path: string): ListenerMode {
  r.oneOf(obj, "mode", path, "tunnel" as ListenerMode, MODES); // records the error, with its did-you-mean
  const hint = typeof obj.mode === "string" ? didYouMean(obj.mode, MODES) : null;
  return (hint as ListenerMode | null) ?? (obj.pool !== undefined ? "pool" : "tunnel");
}

/** readAuth checks `auth = { username?, password }`: the credentials of warren's own pooled connections. */
function readAuth(r: Reader, value: unknown, path: string): PoolAuth | null {
  if (value === undefined) return null;
  const a = r.object(value, path, AUTH_KEYS);
  if (a === undefined) return null;
  if (a.password === undefined) {
    r.fail(join(path, "password"), "expected a non-empty string, got nothing");
    return null;
  }
  const password = r.string(a, "password", path, "");
  const username = a.username === undefined ? null : r.string(a, "username", path, "");
  return password === "" ? null : { username, password };
}

/**
 * readFramer checks the framer table. Built-in kinds are validated by building
 * the framer (src/framing owns its option rules); a custom module is only
 * checked to be a path here and imported when the listener is prepared.
 */
function readFramer(r: Reader, value: unknown, path: string): FramerConfig | undefined {
  if (value === undefined) {
    r.fail(path, `expected a framer table with a kind (${FRAMER_KINDS.map((k) => `"${k}"`).join(", ")}), got nothing`);
    return undefined;
  }
  const f = r.object(value, path, FRAMER_KEYS);
  if (f === undefined) return undefined;
  if (f.kind === undefined) {
    r.fail(join(path, "kind"), `expected one of ${FRAMER_KINDS.map((k) => `"${k}"`).join(", ")}, got nothing`);
    return undefined;
  }
  const kind = r.oneOf(f, "kind", path, "resp", FRAMER_KINDS);
  if (kind !== f.kind) return undefined;
  const { kind: _, ...options } = f;
  if (kind === "custom") {
    const unknown = Object.keys(options).filter((k) => k !== "module" && k !== "options");
    for (const k of unknown) r.fail(join(path, k), `not an option of a custom framer; put module options under ${join(path, "options")}`);
    if (typeof f.module !== "string" || f.module === "") {
      r.fail(join(path, "module"), `expected a path to a framer module, got ${describe(f.module)}`);
      return undefined;
    }
    return { kind, module: f.module, options: f.options };
  }
  const known = Object.keys(DEFAULTS.framer[kind]);
  let bad = false;
  for (const k of Object.keys(options)) {
    if (!known.includes(k)) {
      r.fail(join(path, k), `not an option of the ${kind} framer (its options: ${known.join(", ")})`);
      bad = true;
    }
  }
  if (bad) return undefined;
  const built = builtinFramer(kind, options);
  if (built instanceof FramerError) {
    // The framer's message starts with the option name: "lengthBytes: expected 1, 2, 4 or 8, got 3".
    const m = /^(\w+): ([\s\S]*)$/.exec(built.message);
    if (m === null) r.fail(path, built.message);
    else r.fail(join(path, m[1]!), m[2]!);
    return undefined;
  }
  return { kind, ...options } as FramerConfig;
}

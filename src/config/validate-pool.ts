import type { PoolConfig } from "../pool/config.ts";
import type { Reader } from "./reader.ts";

export const POOL_LISTENER_KEYS = ["mode"] as const;

export type ListenerMode = "tunnel" | "pool";

/** readPoolSettings validates `mode` and, in pool mode, the `pool` table. */
export function readPoolSettings(
  r: Reader,
  obj: Record<string, unknown>,
  path: string,
): { mode: ListenerMode; pool: PoolConfig | null } {
  const mode = r.oneOf(obj, "mode", path, "tunnel" as ListenerMode, ["tunnel", "pool"] as const);
  if (mode === "pool") r.fail(`${path}.mode`, `pool mode is not available yet`);
  return { mode, pool: null };
}

import type { ListenerConfig } from "../config/schema.ts";
import type { ModeKind } from "../listener/mode.ts";
import { pool } from "../pool/runtime.ts";
import { tunnel } from "../tunnel/mode.ts";

/** MODES: every listener mode by its config name. A new mode is a folder implementing ModeKind, and one line here. */
export const MODES: { readonly [name in ListenerConfig["mode"]]: ModeKind } = {
  tunnel,
  pool,
};

/** Which party a failure is blamed on, as Pingora and Sōzu record it. */
export type Side = "client" | "backend" | "internal";

/**
 * Stable codes that callers branch on; the message is for people only.
 * Socket-level codes (ECONNRESET, ECONNREFUSED, …) pass through as they came.
 */
export type ProxyErrorCode =
  | "CONNECT_TIMEOUT"
  | "IDLE_TIMEOUT"
  | "LIFETIME_EXCEEDED"
  | "NO_BACKEND"
  | "MAX_CONNECTIONS"
  | "SHUTDOWN"
  | "BACKEND_RESET"
  | "CLIENT_RESET"
  | "BACKEND_REFUSED"
  | (string & {});

/** ProxyError carries a stable code and the side at fault, plus the cause if any. */
export class ProxyError extends Error {
  override readonly name = "ProxyError";
  constructor(
    readonly code: ProxyErrorCode,
    readonly side: Side,
    message?: string,
    options?: { cause?: unknown },
  ) {
    super(message ?? code, options);
  }
}

/** ConfigError is one validation problem: the key path, what was expected, what was found. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly code = "CONFIG_INVALID";
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(path === "" ? problem : `${path}: ${problem}`);
  }
}

/** ConfigErrors gathers every problem found in one config, so the user fixes them in one go. */
export class ConfigErrors extends Error {
  override readonly name = "ConfigErrors";
  readonly code = "CONFIG_INVALID";
  constructor(
    readonly errors: readonly ConfigError[],
    readonly source = "config",
  ) {
    super(errors.map((e) => `${source}: ${e.message}`).join("\n"));
  }
}

/** errorCode reads the `code` of a socket error (ECONNRESET, …) or falls back to its name. */
export function errorCode(err: unknown): string {
  if (err !== null && typeof err === "object") {
    const code = (err as { code?: unknown }).code;
    if (typeof code === "string" && code !== "") return code;
    const name = (err as { name?: unknown }).name;
    if (typeof name === "string" && name !== "Error") return name;
  }
  return "EUNKNOWN";
}

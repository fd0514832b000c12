/** Which party a failure is blamed on, as Pingora and Sōzu record it. */
export type Side = "client" | "backend" | "internal";

/**
 * END_CODES is the one table of how a session (a tunnel session or a pooled client) can end: the code
 * that stats, metrics and the access log count it under, and the side at fault — `null` where the side
 * is known only when it happens (a clean close: whoever sent the first FIN; a reset or socket error:
 * whichever socket it came from). Every code is produced somewhere in src and covered by a test
 * (test/unit/errors.test.ts holds both to it).
 */
export const END_CODES = {
  /** Closed by FINs (or QUIT): the conversation ended as it should. */
  ok: { side: null, meaning: "closed normally" },
  IDLE_TIMEOUT: { side: "internal", meaning: "nothing moved either way for idleTimeoutMs" },
  LIFETIME_EXCEEDED: { side: "internal", meaning: "open longer than maxLifetimeMs" },
  CONNECT_TIMEOUT: { side: "backend", meaning: "no backend connect completed within connectTimeoutMs, on every attempt" },
  NO_BACKEND: { side: "internal", meaning: "no backend was usable (all down, draining or weight 0)" },
  QUEUE_TIMEOUT: { side: "internal", meaning: "waited queueTimeoutMs for a backend slot in vain" },
  QUEUE_FULL: { side: "internal", meaning: "every usable backend was full and the wait queue too" },
  SHUTDOWN: { side: "internal", meaning: "closed by warren's shutdown (after the drain, if any)" },
  INTERNAL: { side: "internal", meaning: "a bug in warren: a handler threw (logged with its stack)" },
  ECONNREFUSED: { side: "backend", meaning: "every backend tried refused the connection" },
  ECONNRESET: { side: null, meaning: "a socket was reset; the reset is passed on to the other side" },
  ENOTFOUND: { side: "backend", meaning: "the backend's host name did not resolve" },
  SOCKET_ERROR: { side: null, meaning: "another socket error (its errno is in the log's error field)" },
  BACKEND_LOST: { side: "backend", meaning: "pool: the connection carrying the client's replies was lost" },
  REPLY_TIMEOUT: { side: "backend", meaning: "pool: the backend did not answer within replyTimeoutMs" },
  MALFORMED_REQUEST: { side: "client", meaning: "pool: a request the framer (or Redis) refuses as a protocol error" },
  PIN_REFUSED: { side: "internal", meaning: "pool: a pin beyond maxPinnedPerBackend or maxPinnedPerClient was refused" },
  PINNED_IDLE_TIMEOUT: { side: "internal", meaning: "pool: a pinned client idle for pinnedIdleTimeoutMs" },
  SLOW_READER: { side: "client", meaning: "pool: the client kept a connection paused for replyTimeoutMs" },
  QUERY_BUFFER_FULL: { side: "client", meaning: "pool: over highWaterBytes of requests queued behind a blocking command" },
  POOL_REJECTED: { side: "internal", meaning: "pool (non-RESP framer): no connection could be had for a request" },
  PREAMBLE_TIMEOUT: { side: "client", meaning: "the client did not complete its preamble (e.g. a PROXY header) in time" },
  PREAMBLE_ABORTED: { side: "client", meaning: "the client closed or reset after part of its preamble, before the rest" },
  PROXY_UNTRUSTED: { side: "client", meaning: 'proxyProtocol: a connection from a source not in `trusted` (untrusted = "refuse")' },
  PROXY_MISSING: { side: "client", meaning: "proxyProtocol: a trusted source's first bytes are not a PROXY header at all" },
  PROXY_MALFORMED: { side: "client", meaning: "proxyProtocol: a PROXY header that breaks the spec (syntax, fields, TLVs, checksum)" },
  PROXY_TOO_LARGE: { side: "client", meaning: "proxyProtocol: a v1 line without CRLF in 107 bytes, or a v2 header over 16 KiB" },
  PROXY_VERSION: { side: "client", meaning: "proxyProtocol: a header of a version the listener does not accept (or not 1/2)" },
  CLIENT_HELLO_TIMEOUT: {
    side: "client",
    meaning: "routes: the client did not send its whole TLS ClientHello within clientHello.timeoutMs",
  },
  CLIENT_HELLO_MALFORMED: { side: "client", meaning: "routes: TLS records that are not a ClientHello as RFC 8446/6066 have it" },
  CLIENT_HELLO_TOO_LARGE: { side: "client", meaning: "routes: a ClientHello over clientHello.maxBytes (16 KiB by default)" },
  SNI_NO_ROUTE: {
    side: "client",
    meaning: "routes: no route matches the server name (or none was sent) and the listener has no default backends",
  },
  TLS_HANDSHAKE_FAILED: {
    side: "client",
    meaning: "tls: the client's TLS handshake failed (not TLS, no shared version or cipher, or it closed mid-handshake)",
  },
  TLS_HANDSHAKE_TIMEOUT: { side: "client", meaning: "tls: the client did not complete its TLS handshake within tls.handshakeTimeoutMs" },
  TLS_CLIENT_CERT_REJECTED: {
    side: "client",
    meaning: "tls: mutual TLS: the client sent no certificate (requireClientCert) or one clientCa does not vouch for",
  },
  TLS_VERIFY_FAILED: {
    side: "backend",
    meaning: "backendTls: every backend tried failed verification (chain or name) or its TLS handshake",
  },
} as const satisfies Record<string, { side: Side | null; meaning: string }>;

/** EndCode is how a session ended: a key of END_CODES, type-checked wherever a session ends. */
export type EndCode = keyof typeof END_CODES;

/**
 * FAILURE_CODES are the reasons warren fails one pooled request without ending its client (RESP clients
 * get `-ERR warren: …`), counted by code in the pool's stats.
 */
export const FAILURE_CODES = [
  "QUEUE_TIMEOUT",
  "QUEUE_FULL",
  "NO_BACKEND",
  "BACKEND_LOST",
  "REPLY_TIMEOUT",
  "PIN_REFUSED",
  "MALFORMED_REQUEST",
  "REFUSED_COMMAND",
] as const;
export type FailureCode = (typeof FAILURE_CODES)[number];

/**
 * ProxyErrorCode: what a ProxyError thrown by the library API can be, for callers to branch on. The
 * message is for people only.
 */
export type ProxyErrorCode =
  /** A listener cannot bind: the address is in use, needs privileges, is not this host's, or another reason. */
  | "EADDRINUSE"
  | "EACCES"
  | "EADDRNOTAVAIL"
  | "LISTEN_FAILED"
  /** A reload asked for a change that cannot be applied live (a pooled listener's framer or mode). */
  | "RELOAD_REJECTED"
  | "SHUTTING_DOWN"
  /** A custom framer was used without prepareFramers, or a built-in framer's options are invalid. */
  | "FRAMER_NOT_PREPARED"
  | "FRAMER_INVALID";

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

/** errorCode reads the raw `code` of a socket error (ECONNRESET, EPIPE, …) or falls back to its name. */
export function errorCode(err: unknown): string {
  if (err !== null && typeof err === "object") {
    const code = (err as { code?: unknown }).code;
    if (typeof code === "string" && code !== "") return code;
    const name = (err as { name?: unknown }).name;
    if (typeof name === "string" && name !== "Error") return name;
  }
  return "EUNKNOWN";
}

/** endCodeOf maps a raw socket error code to the END_CODES entry it is counted under. */
export function endCodeOf(raw: string): EndCode {
  return raw === "ECONNREFUSED" || raw === "ECONNRESET" || raw === "ENOTFOUND" ? raw : "SOCKET_ERROR";
}

/** listenErrorCode maps the error of a failed bind to a ProxyErrorCode. */
export function listenErrorCode(err: unknown): ProxyErrorCode {
  const raw = errorCode(err);
  return raw === "EADDRINUSE" || raw === "EACCES" || raw === "EADDRNOTAVAIL" ? raw : "LISTEN_FAILED";
}

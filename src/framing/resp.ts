/**
 * The RESP framer for Redis-compatible backends: options, their validation and the
 * factory. The scanners are in resp-request.ts (a client's requests, as Redis's
 * server parses them) and resp-scanner.ts (a server's replies).
 */
import type { FramerError } from "./errors.ts";
import type { FramerFactory } from "./framer.ts";
import { RespRequestScanner } from "./resp-request.ts";
import { RespScanner } from "./resp-scanner.ts";
import { checkKnownKeys, checkInteger, checkOneOf, checkSize, dropUndefined, firstError } from "./validate.ts";
import { DEFAULTS } from "../defaults.ts";

export { respCommandName } from "./resp-command.ts";
export { UNBALANCED_QUOTES, encodeCommand, parseInlineFrame } from "./resp-inline.ts";
export { RespRequestScanner } from "./resp-request.ts";
export { RespScanner } from "./resp-scanner.ts";

/** RespFramerOptions bound what a RESP scanner accepts; defaults are in DEFAULTS.framer.resp. */
export interface RespFramerOptions {
  /** Largest whole frame (default 1 GiB, Redis's client-query-buffer-limit); Infinity for no limit, e.g. for replies. */
  maxFrameBytes: number;
  /** Largest bulk string, blob error, verbatim string or streamed-string chunk (default 512 MiB, Redis's proto-max-bulk-len). */
  maxBulkBytes: number;
  /** Deepest nesting of aggregates, attributes included (default 64); requests do not nest. */
  maxDepth: number;
  /**
   * Longest line (default 64 KiB, Redis's PROTO_INLINE_MAX_SIZE): a simple string, error
   * or number without CR LF in a reply; in a request, an inline command up to its LF or
   * a count or bulk line up to its CR, counted from the line's first byte.
   */
  maxLineBytes: number;
  /**
   * Read a client's requests (default true) with a RespRequestScanner: multibulk
   * requests and inline commands like `PING\r\n`, exactly as Redis 7.0's server parses
   * them. Set false for a RespScanner, which reads replies (every RESP2/RESP3 type).
   */
  inline: boolean;
}

/**
 * respFramer validates options (undefined fields take their defaults) and returns a
 * factory of RespRequestScanners (`inline: true`) or RespScanners (`inline: false`),
 * or a FramerError naming the bad option.
 */
export function respFramer(options: Partial<RespFramerOptions> = {}): FramerFactory | FramerError {
  const unknown = checkKnownKeys(options, Object.keys(DEFAULTS.framer.resp));
  if (unknown !== null) return unknown;
  const o: RespFramerOptions = { ...DEFAULTS.framer.resp, ...dropUndefined(options) };
  const error = firstError(
    checkSize("maxFrameBytes", o.maxFrameBytes, 3),
    checkSize("maxBulkBytes", o.maxBulkBytes, 0),
    checkInteger("maxDepth", o.maxDepth, 1, 1024),
    checkInteger("maxLineBytes", o.maxLineBytes, 1, 2 ** 31),
    checkOneOf("inline", o.inline, [true, false]),
  );
  if (error !== null) return error;
  const frozen = Object.freeze(o);
  return o.inline ? { create: () => new RespRequestScanner(frozen) } : { create: () => new RespScanner(frozen) };
}

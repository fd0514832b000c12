/**
 * The RESP framer for Redis-compatible backends: options, their validation and the
 * factory. The scanner itself is in resp-scanner.ts.
 */
import { DEFAULT_FRAMER_OPTIONS } from "./defaults.ts";
import type { FramerError } from "./errors.ts";
import type { FramerFactory } from "./framer.ts";
import { RespScanner } from "./resp-scanner.ts";
import { checkKnownKeys, checkInteger, checkOneOf, checkSize, dropUndefined, firstError } from "./validate.ts";

export { respCommandName } from "./resp-command.ts";
export { RespScanner } from "./resp-scanner.ts";

/** RespFramerOptions bound what a RESP scanner accepts; defaults are in DEFAULT_FRAMER_OPTIONS.resp. */
export interface RespFramerOptions {
  /** Largest whole frame (default 1 GiB); Infinity for no limit, e.g. for replies. */
  maxFrameBytes: number;
  /** Largest bulk string, blob error, verbatim string or streamed-string chunk (default 512 MiB). */
  maxBulkBytes: number;
  /** Deepest nesting of aggregates, attributes included (default 64). */
  maxDepth: number;
  /** Longest line (default 64 KiB): a simple string, error or number without CR LF, an inline command up to its LF. */
  maxLineBytes: number;
  /**
   * Read a client's requests (default true): `*` arrays of `$` bulk strings and
   * inline commands like `PING\r\n`, as Redis's server parses them. Set false for a
   * scanner that reads replies (every RESP2/RESP3 type, no inline commands).
   */
  inline: boolean;
}

/**
 * respFramer validates options (undefined fields take their defaults) and returns a
 * factory of RespScanners, or a FramerError naming the bad option.
 */
export function respFramer(options: Partial<RespFramerOptions> = {}): FramerFactory | FramerError {
  const unknown = checkKnownKeys(options, Object.keys(DEFAULT_FRAMER_OPTIONS.resp));
  if (unknown !== null) return unknown;
  const o: RespFramerOptions = { ...DEFAULT_FRAMER_OPTIONS.resp, ...dropUndefined(options) };
  const error = firstError(
    checkSize("maxFrameBytes", o.maxFrameBytes, 3),
    checkSize("maxBulkBytes", o.maxBulkBytes, 0),
    checkInteger("maxDepth", o.maxDepth, 1, 1024),
    checkInteger("maxLineBytes", o.maxLineBytes, 1, 2 ** 31),
    checkOneOf("inline", o.inline, [true, false]),
  );
  if (error !== null) return error;
  const frozen = Object.freeze(o);
  return { create: () => new RespScanner(frozen) };
}

import type { FramerError } from "./errors.ts";
import { type FrameScanner, type FramerFactory, INVALID, NEED_MORE } from "./framer.ts";
import { checkKnownKeys, checkInteger, checkOneOf, checkSize, dropUndefined, firstError, invalidOption } from "./validate.ts";
import { DEFAULTS } from "../defaults.ts";

/**
 * LengthFramerOptions describe a length-prefixed protocol: a frame is `lengthOffset`
 * bytes of anything, a `lengthBytes`-wide unsigned length field, then the payload.
 * Defaults are in DEFAULTS.framer.length.
 */
export interface LengthFramerOptions {
  /** Bytes before the length field (default 0). */
  lengthOffset: number;
  /** Width of the unsigned length field (default 4). */
  lengthBytes: 1 | 2 | 4 | 8;
  /** Byte order of the length field (default "big", network order). */
  endian: "big" | "little";
  /** Whether the length value counts the header bytes (offset + lengthBytes) too (default false). */
  lengthIncludesHeader: boolean;
  /** Added to the length value, may be negative, e.g. for a trailing checksum (default 0). */
  lengthAdjustment: number;
  /** Largest whole frame, header included (default 16 MiB); Infinity for no limit. */
  maxFrameBytes: number;
}

/** Place values of little-endian length bytes; products stay exact because each is a power of two. */
const LITTLE_ENDIAN_PLACE = [1, 2 ** 8, 2 ** 16, 2 ** 24, 2 ** 32, 2 ** 40, 2 ** 48, 2 ** 56] as const;

/**
 * lengthFramer validates options (undefined fields take their defaults) and returns
 * a factory of LengthScanners, or a FramerError naming the first bad option.
 */
export function lengthFramer(options: Partial<LengthFramerOptions> = {}): FramerFactory | FramerError {
  const unknown = checkKnownKeys(options, Object.keys(DEFAULTS.framer.length));
  if (unknown !== null) return unknown;
  const o: LengthFramerOptions = { ...DEFAULTS.framer.length, ...dropUndefined(options) };
  const error = firstError(
    checkInteger("lengthOffset", o.lengthOffset, 0, 65535),
    checkOneOf("lengthBytes", o.lengthBytes, [1, 2, 4, 8]),
    checkOneOf("endian", o.endian, ["big", "little"]),
    checkOneOf("lengthIncludesHeader", o.lengthIncludesHeader, [true, false]),
    checkInteger("lengthAdjustment", o.lengthAdjustment, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
    checkSize("maxFrameBytes", o.maxFrameBytes, 1),
  );
  if (error !== null) return error;
  const headerBytes = o.lengthOffset + o.lengthBytes;
  if (o.maxFrameBytes < headerBytes) {
    const expected = `at least the header size (lengthOffset + lengthBytes = ${headerBytes})`;
    return invalidOption("maxFrameBytes", expected, o.maxFrameBytes);
  }
  const frozen = Object.freeze(o);
  return { create: () => new LengthScanner(frozen) };
}

/**
 * LengthScanner reads the header (which may arrive split across chunks) into a
 * single number, then skips the payload by counting. Its state is three numbers;
 * it never looks at payload bytes. Options are copied into plain fields because
 * reading them through a shared options object measured 2-3x slower per frame.
 */
export class LengthScanner implements FrameScanner {
  /** Bytes of the current frame seen so far. */
  pending = 0;
  /** Length field accumulated from the header bytes seen so far. */
  private value = 0;
  /** Whole frame size once the header is complete; -1 while it is not. */
  private frameBytes = -1;
  /** Set by INVALID; feed keeps answering INVALID until reset. */
  private failed = false;
  private readonly lengthOffset: number;
  private readonly headerBytes: number;
  private readonly bigEndian: boolean;
  /** What the header size adds to the length value: headerBytes unless the value includes it. */
  private readonly sizeBase: number;
  private readonly lengthAdjustment: number;
  /** maxFrameBytes, or 2^53 - 1 when that is lower (always, for Infinity): sizes must stay exact. */
  private readonly maxTotal: number;

  /** The options must have passed lengthFramer's validation. */
  constructor(options: Readonly<LengthFramerOptions>) {
    this.lengthOffset = options.lengthOffset;
    this.headerBytes = options.lengthOffset + options.lengthBytes;
    this.bigEndian = options.endian === "big";
    this.sizeBase = options.lengthIncludesHeader ? 0 : this.headerBytes;
    this.lengthAdjustment = options.lengthAdjustment;
    this.maxTotal = Math.min(options.maxFrameBytes, Number.MAX_SAFE_INTEGER);
  }

  feed(buf: Uint8Array, start: number, end: number): number {
    if (this.failed) return INVALID;
    let i = start;
    if (this.frameBytes < 0) {
      // Header: skip the offset bytes, then fold length bytes into value, as many as this chunk has.
      let seen = this.pending;
      if (seen < this.lengthOffset) {
        // Not Math.min: its double result made the JIT treat i as a double, slowing every frame.
        const skip = this.lengthOffset - seen < end - i ? this.lengthOffset - seen : end - i;
        i += skip;
        seen += skip;
      }
      let value = this.value;
      while (seen < this.headerBytes && i < end) {
        const b = buf[i++]!;
        value = this.bigEndian ? value * 256 + b : value + b * LITTLE_ENDIAN_PLACE[seen - this.lengthOffset]!;
        seen++;
      }
      this.value = value;
      this.pending = seen;
      if (seen < this.headerBytes) return NEED_MORE;
      // Above 2^53 the value is no longer exact (only 8-byte fields get there); such a frame is never sane.
      const total = this.sizeBase + value + this.lengthAdjustment;
      if (total < this.headerBytes || total > this.maxTotal || value > Number.MAX_SAFE_INTEGER) {
        this.failed = true;
        return INVALID;
      }
      this.frameBytes = total;
    }
    const need = this.frameBytes - this.pending;
    if (end - i < need) {
      this.pending += end - i;
      return NEED_MORE;
    }
    this.pending = 0;
    this.value = 0;
    this.frameBytes = -1;
    return i + need;
  }

  reset(): void {
    this.pending = 0;
    this.value = 0;
    this.frameBytes = -1;
    this.failed = false;
  }
}

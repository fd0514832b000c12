import type { FramerError } from "./errors.ts";
import { type FrameScanner, type FramerFactory, INVALID, NEED_MORE } from "./framer.ts";
import { checkKnownKeys, checkSize, dropUndefined, firstError, invalidOption } from "./validate.ts";
import { DEFAULTS } from "../defaults.ts";

/** DelimiterFramerOptions describe a protocol whose frames end with a fixed byte sequence. */
export interface DelimiterFramerOptions {
  /** The byte sequence that ends a frame and belongs to it; a string is UTF-8 encoded (default "\r\n"). */
  delimiter: Uint8Array | string;
  /** Largest frame, delimiter included (default 1 MiB); Infinity for no limit. */
  maxFrameBytes: number;
}

/**
 * Buffer's indexOf accepts a byte-sequence needle (a native memmem); it works on any
 * Uint8Array, and socket chunks are Buffers anyway. It does not allocate.
 */
const nativeIndexOf = Buffer.prototype.indexOf as (this: Uint8Array, value: Uint8Array, byteOffset: number) => number;

/** Longest delimiter accepted; real protocols use 1 to 4 bytes, and the failure table is sized by it. */
const MAX_DELIMITER_BYTES = 256;

/**
 * delimiterFramer validates options (undefined fields take their defaults) and
 * returns a factory of DelimiterScanners, or a FramerError naming the bad option.
 */
export function delimiterFramer(options: Partial<DelimiterFramerOptions> = {}): FramerFactory | FramerError {
  const unknown = checkKnownKeys(options, Object.keys(DEFAULTS.framer.delimiter));
  if (unknown !== null) return unknown;
  const o = { ...DEFAULTS.framer.delimiter, ...dropUndefined(options) };
  const raw: unknown = o.delimiter;
  const delimiter = typeof raw === "string" ? new TextEncoder().encode(raw) : raw instanceof Uint8Array ? raw.slice() : null;
  if (delimiter === null || delimiter.length === 0 || delimiter.length > MAX_DELIMITER_BYTES) {
    return invalidOption("delimiter", `a non-empty string or Uint8Array of at most ${MAX_DELIMITER_BYTES} bytes`, raw);
  }
  const error = firstError(checkSize("maxFrameBytes", o.maxFrameBytes, delimiter.length));
  if (error !== null) return error;
  const failure = failureTable(delimiter);
  const maxFrameBytes = o.maxFrameBytes;
  return { create: () => new DelimiterScanner(delimiter, failure, maxFrameBytes) };
}

/**
 * failureTable is the Knuth–Morris–Pratt table: entry k is the length of the longest
 * proper prefix of delimiter[0..k] that is also its suffix, i.e. how much of a
 * partial match survives a mismatch after k+1 matched bytes. It lets a match that
 * straddles chunks resume without re-reading the previous chunk.
 */
export function failureTable(delimiter: Uint8Array): Uint16Array {
  const table = new Uint16Array(delimiter.length);
  let k = 0;
  for (let i = 1; i < delimiter.length; i++) {
    while (k > 0 && delimiter[i] !== delimiter[k]) k = table[k - 1]!;
    if (delimiter[i] === delimiter[k]) k++;
    table[i] = k;
  }
  return table;
}

/**
 * DelimiterScanner finds the end of each frame with a native search (memchr for a
 * one-byte delimiter, memmem for longer ones) and keeps a Knuth–Morris–Pratt state
 * for a delimiter split across chunks: how much of it the bytes seen so far end with.
 */
export class DelimiterScanner implements FrameScanner {
  /** Bytes of the current frame seen so far. */
  pending = 0;
  /** How many delimiter bytes the end of the input seen so far matches. */
  private matched = 0;
  /** Set by INVALID; feed keeps answering INVALID until reset. */
  private failed = false;

  /** The arguments must come from delimiterFramer (non-empty delimiter, its failure table, a valid limit). */
  constructor(
    private readonly delimiter: Uint8Array,
    private readonly failure: Uint16Array,
    private readonly maxFrameBytes: number,
  ) {}

  feed(buf: Uint8Array, start: number, end: number): number {
    if (this.failed) return INVALID;
    const d = this.delimiter;
    const n = d.length;
    // Never look past the byte that would make the frame longer than maxFrameBytes.
    const budget = this.maxFrameBytes - this.pending;
    const limit = end - start > budget ? start + budget : end;
    let m = this.matched;
    let i = start;
    while (i < limit) {
      if (m === 0 && n > 2) {
        // No partial match open: native memmem finds the next whole delimiter.
        const j = nativeIndexOf.call(buf, d, i);
        if (j >= 0 && j + n <= limit) return this.complete(j + n);
        // None ends in range, so only the last n - 1 bytes can begin one: take KMP's state there.
        if (limit - (n - 1) > i) i = limit - (n - 1);
        m = this.stateAfter(buf, i, limit);
        i = limit;
        break;
      }
      if (m === 0) {
        // Short delimiters: memchr for the first byte costs less than memmem's setup.
        const j = buf.indexOf(d[0]!, i);
        if (j < 0 || j >= limit) {
          i = limit;
          break;
        }
        i = j + 1;
        if (n === 1) return this.complete(i);
        m = 1;
        continue;
      }
      // A partial match is open (maybe from an earlier chunk): extend it or fall back, byte by byte.
      const b = buf[i++]!;
      while (m > 0 && b !== d[m]) m = this.failure[m - 1]!;
      if (b === d[m] && ++m === n) return this.complete(i);
    }
    this.pending += i - start;
    this.matched = m;
    // A frame that has used its whole budget without ending can only grow past it.
    if (this.pending >= this.maxFrameBytes) {
      this.failed = true;
      return INVALID;
    }
    return NEED_MORE;
  }

  /** stateAfter runs KMP from state 0 over buf[i, limit), where no whole delimiter ends. */
  private stateAfter(buf: Uint8Array, i: number, limit: number): number {
    const d = this.delimiter;
    let m = 0;
    while (i < limit) {
      const b = buf[i++]!;
      while (m > 0 && b !== d[m]) m = this.failure[m - 1]!;
      if (b === d[m]) m++;
    }
    return m;
  }

  /** complete ends the current frame at `end`. */
  private complete(end: number): number {
    this.pending = 0;
    this.matched = 0;
    return end;
  }

  reset(): void {
    this.pending = 0;
    this.matched = 0;
    this.failed = false;
  }
}

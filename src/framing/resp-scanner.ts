import { INVALID, NEED_MORE, type FrameScanner } from "./framer.ts";
import {
  CR,
  DIGIT_0,
  DIGIT_9,
  DOT,
  LF,
  MINUS,
  PLUS,
  QUESTION,
  SEMICOLON,
  DOUBLE_BYTE,
  KIND_OF,
  K_ARRAY,
  K_ATTRIBUTE,
  K_BOOLEAN,
  K_BULK,
  K_CHUNK,
  K_DOUBLE,
  K_END,
  K_INTEGER,
  K_MAP,
  K_SET,
  K_SIMPLE,
  K_VERBATIM,
} from "./resp-bytes.ts";
import type { RespFramerOptions } from "./resp.ts";

// Scanner states. S_DONE and S_FAILED are the two ends, compared with >= S_DONE.
const S_TYPE = 0; // expecting the first byte of a value
const S_LINE = 1; // inside a line value, up to its CR
const S_LINE_LF = 2; // after a line value's CR
const S_LENGTH = 3; // inside a length or count, up to its CR
const S_LENGTH_LF = 4; // after a length's CR
const S_PAYLOAD = 5; // skipping payload bytes by count, never looking at them
const S_PAYLOAD_CR = 6;
const S_PAYLOAD_LF = 7;
const S_CHUNK = 8; // inside a streamed string, expecting the ';' of its next chunk
const S_DONE = 9; // the frame just completed (transient)
const S_FAILED = 10; // INVALID was returned; sticky until reset

// What preceded the digits of a length line.
const SIGN_NONE = 0;
const SIGN_MINUS = 1; // only "-1", the RESP2 null, is a valid negative length
const SIGN_QUESTION = 2; // "?" opens a streamed string or aggregate

/** Marks a streamed aggregate on the count stack: it ends at ".\r\n", not after a count. */
const STREAMED = -1;
/** Counts above this are refused; no Redis collection holds more than 2^32 - 1 elements. */
const MAX_AGGREGATE_COUNT = 2 ** 32 - 1;
/** The shortest encoded value ("_\r\n"), used to reject a count that cannot fit in maxFrameBytes. */
const MIN_VALUE_BYTES = 3;

/**
 * RespScanner finds where each RESP reply ends: any RESP2/RESP3 value — simple,
 * error, integer, bulk (and `$-1`), array (and `*-1`), null, double, boolean, blob
 * error, verbatim, big number, map, set, push, an attribute together with the value
 * it annotates — nested to maxDepth. Streamed strings (`$?`, `;len` chunks, `;0`)
 * and streamed aggregates (`*?`, `%?`, `~?` ending at `.`) are supported; a
 * streamed map's entry count is not checked for evenness.
 *
 * Framing (type bytes, lengths, CR LF) is validated strictly, contents are not, and
 * payloads are skipped by counting. Nesting is a stack of remaining value counts.
 * A client's requests follow Redis's server grammar instead, with its quirks: they
 * are RespRequestScanner's (resp-request.ts), whatever `options.inline` says here.
 */
export class RespScanner implements FrameScanner {
  /** Bytes of the current frame seen so far. */
  pending = 0;
  private state = S_TYPE;
  /** K_* kind of the line or length being read. */
  private kind = 0;
  /** Content bytes of the current line (without type byte and CR LF). */
  private lineBytes = 0;
  /** Digits read in the current integer or length. */
  private digits = 0;
  /** The length or count accumulated so far. */
  private value = 0;
  private sign = SIGN_NONE;
  /** Payload bytes still to skip. */
  private remaining = 0;
  /** Inside a `$?` string: after a chunk's CR LF comes another `;` chunk. */
  private streamingString = false;
  /** Open aggregates; stack[depth - 1] is the values the innermost one still expects. */
  private depth = 0;
  private readonly stack: Float64Array;
  private readonly maxFrameBytes: number;
  private readonly maxBulkBytes: number;
  private readonly maxLineBytes: number;

  /** The options must have passed respFramer's validation. */
  constructor(options: Readonly<RespFramerOptions>) {
    this.stack = new Float64Array(options.maxDepth);
    this.maxFrameBytes = options.maxFrameBytes;
    this.maxBulkBytes = options.maxBulkBytes;
    this.maxLineBytes = options.maxLineBytes;
  }

  feed(buf: Uint8Array, start: number, end: number): number {
    let state = this.state;
    if (state === S_FAILED) return INVALID;
    let i = start;
    while (i < end) {
      switch (state) {
        case S_TYPE: {
          const b = buf[i++]!;
          // Fast path: a whole "$12\r\n" or "+OK\r\n" line in this chunk is taken in one step.
          // Anything unusual (signs, "?", a line cut by the chunk end) goes byte by byte below.
          const kind = KIND_OF[b]!;
          if (kind >= K_BULK) {
            const cr = this.countLineEnd(buf, i, end);
            if (cr >= 0) {
              const n = this.countValue(buf, i, cr);
              i = cr + 2;
              // A whole bulk string in this chunk: check its CR LF and move on.
              if (
                kind === K_BULK &&
                i + n + 2 <= end &&
                n <= this.maxBulkBytes &&
                this.pending + (i - start) + n + 2 <= this.maxFrameBytes &&
                buf[i + n] === CR &&
                buf[i + n + 1] === LF
              ) {
                i += n + 2;
                state = this.endValue();
                break;
              }
              this.kind = kind;
              this.sign = SIGN_NONE;
              this.value = n;
              state = this.applyLength(this.pending + (i - start));
              break;
            }
          } else if (kind === K_SIMPLE || kind === K_INTEGER) {
            const cr = kind === K_SIMPLE ? this.simpleLineEnd(buf, i, end) : this.integerLineEnd(buf, i, end);
            if (cr >= 0) {
              i = cr + 2;
              state = this.endValue();
              break;
            }
          }
          state = this.startValue(b, kind);
          break;
        }
        case S_PAYLOAD: {
          const available = end - i;
          if (available < this.remaining) {
            this.remaining -= available;
            i = end;
            break;
          }
          i += this.remaining;
          this.remaining = 0;
          if (end - i >= 2 && buf[i] === CR && buf[i + 1] === LF) {
            i += 2;
            state = this.streamingString ? S_CHUNK : this.endValue();
          } else {
            state = S_PAYLOAD_CR;
          }
          break;
        }
        case S_LINE: {
          const b = buf[i++]!;
          state = b === CR ? this.endLine() : this.lineByte(b);
          break;
        }
        case S_LINE_LF:
          state = buf[i++] !== LF ? S_FAILED : this.kind === K_END ? this.endStreamedAggregate() : this.endValue();
          break;
        case S_LENGTH: {
          const b = buf[i++]!;
          state = b === CR ? this.endLength() : this.lengthByte(b);
          break;
        }
        case S_LENGTH_LF:
          state = buf[i++] === LF ? this.applyLength(this.pending + (i - start)) : S_FAILED;
          break;
        case S_PAYLOAD_CR:
          state = buf[i++] === CR ? S_PAYLOAD_LF : S_FAILED;
          break;
        case S_PAYLOAD_LF:
          state = buf[i++] !== LF ? S_FAILED : this.streamingString ? S_CHUNK : this.endValue();
          break;
        case S_CHUNK:
          state = buf[i++] === SEMICOLON ? this.startLength(K_CHUNK) : S_FAILED;
          break;
      }
      if (state >= S_DONE) {
        if (state === S_DONE && this.pending + (i - start) <= this.maxFrameBytes) {
          this.pending = 0;
          this.state = S_TYPE;
          return i;
        }
        return this.fail();
      }
    }
    this.state = state;
    this.pending += end - start;
    // A frame that has used its whole budget without ending can only grow past it.
    return this.pending >= this.maxFrameBytes ? this.fail() : NEED_MORE;
  }

  reset(): void {
    this.pending = 0;
    this.state = S_TYPE;
    this.depth = 0;
    this.remaining = 0;
    this.streamingString = false;
  }

  private fail(): number {
    this.state = S_FAILED;
    return INVALID;
  }

  /** startValue dispatches on a value's first byte, of the kind feed found for it. */
  private startValue(b: number, kind: number): number {
    if (kind !== 0) return kind < K_BULK ? this.startLine(kind) : this.startLength(kind);
    if (b === DOT && this.depth > 0 && this.stack[this.depth - 1] === STREAMED) return this.startLine(K_END);
    return S_FAILED;
  }

  private startLine(kind: number): number {
    this.kind = kind;
    this.lineBytes = 0;
    this.digits = 0;
    return S_LINE;
  }

  /** lineByte checks one content byte of a line value against what its type allows. */
  private lineByte(b: number): number {
    if (b === LF || ++this.lineBytes > this.maxLineBytes) return S_FAILED;
    switch (this.kind) {
      case K_SIMPLE:
        return S_LINE;
      case K_INTEGER:
        if (b >= DIGIT_0 && b <= DIGIT_9) {
          this.digits++;
          return S_LINE;
        }
        return (b === PLUS || b === MINUS) && this.lineBytes === 1 ? S_LINE : S_FAILED;
      case K_DOUBLE:
        return DOUBLE_BYTE[b] === 1 ? S_LINE : S_FAILED;
      case K_BOOLEAN:
        return this.lineBytes === 1 && (b === 0x74 || b === 0x66) ? S_LINE : S_FAILED; // t or f
      default: // K_NULL, K_END: the line must be empty
        return S_FAILED;
    }
  }

  /** endLine checks, at the CR, that the line is complete for its type. */
  private endLine(): number {
    switch (this.kind) {
      case K_INTEGER:
        return this.digits > 0 ? S_LINE_LF : S_FAILED;
      case K_DOUBLE:
      case K_BOOLEAN:
        return this.lineBytes > 0 ? S_LINE_LF : S_FAILED;
      default:
        return S_LINE_LF;
    }
  }

  private startLength(kind: number): number {
    this.kind = kind;
    this.digits = 0;
    this.value = 0;
    this.sign = SIGN_NONE;
    return S_LENGTH;
  }

  /** lengthByte accepts digits without leading zeros or overflow, "-1" where null is allowed, and a lone "?". */
  private lengthByte(b: number): number {
    if (b >= DIGIT_0 && b <= DIGIT_9) {
      if (this.sign === SIGN_QUESTION) return S_FAILED;
      if (this.sign === SIGN_MINUS) return this.digits === 0 && b === DIGIT_0 + 1 ? this.digit(1) : S_FAILED;
      if (this.digits > 0 && this.value === 0) return S_FAILED; // leading zero
      return this.digit(b - DIGIT_0);
    }
    if (this.digits > 0 || this.sign !== SIGN_NONE) return S_FAILED;
    const kind = this.kind;
    if (b === MINUS && (kind === K_ARRAY || kind === K_BULK)) {
      this.sign = SIGN_MINUS;
      return S_LENGTH;
    }
    if (b === QUESTION && (kind === K_BULK || kind === K_ARRAY || kind === K_MAP || kind === K_SET)) {
      this.sign = SIGN_QUESTION;
      return S_LENGTH;
    }
    return S_FAILED;
  }

  private digit(d: number): number {
    this.value = this.value * 10 + d;
    this.digits++;
    return this.value > Number.MAX_SAFE_INTEGER ? S_FAILED : S_LENGTH;
  }

  private endLength(): number {
    return this.digits > 0 || this.sign === SIGN_QUESTION ? S_LENGTH_LF : S_FAILED;
  }

  /** applyLength acts on a complete length line; frameBytes is the frame's size up to its LF. */
  private applyLength(frameBytes: number): number {
    const kind = this.kind;
    if (this.sign === SIGN_MINUS) return this.endValue(); // $-1 or *-1: a RESP2 null
    const n = this.value;
    if (kind < K_ARRAY) {
      if (this.sign === SIGN_QUESTION) {
        this.streamingString = true;
        return S_CHUNK;
      }
      if (kind === K_CHUNK && n === 0) {
        this.streamingString = false;
        return this.endValue();
      }
      if (n > this.maxBulkBytes || (kind === K_VERBATIM && n < 4) || frameBytes + n + 2 > this.maxFrameBytes) return S_FAILED;
      this.remaining = n;
      return S_PAYLOAD;
    }
    if (this.sign === SIGN_QUESTION) return this.push(STREAMED);
    if (n > MAX_AGGREGATE_COUNT) return S_FAILED;
    // An attribute's entries are followed by the value it annotates, in the same frame.
    const values = kind === K_MAP ? 2 * n : kind === K_ATTRIBUTE ? 2 * n + 1 : n;
    if (values === 0) return this.endValue();
    if (frameBytes + values * MIN_VALUE_BYTES > this.maxFrameBytes) return S_FAILED;
    return this.push(values);
  }

  private push(values: number): number {
    if (this.depth >= this.stack.length) return S_FAILED;
    this.stack[this.depth++] = values;
    return S_TYPE;
  }

  /** endValue counts a finished value against its enclosing aggregates, closing those it completes. */
  private endValue(): number {
    let depth = this.depth;
    while (depth > 0) {
      const left = this.stack[depth - 1]!;
      if (left === STREAMED) break;
      if (left > 1) {
        this.stack[depth - 1] = left - 1;
        break;
      }
      depth--;
    }
    this.depth = depth;
    return depth === 0 ? S_DONE : S_TYPE;
  }

  /** endStreamedAggregate closes the innermost (streamed) aggregate at its ".\r\n". */
  private endStreamedAggregate(): number {
    this.depth--;
    return this.endValue();
  }

  // The fast-path helpers below are methods rather than module functions on purpose:
  // measured under Bun 1.4 on "+OK\r\n" frames, JSC inlined them as methods but not
  // as module-level functions, which added up to 8 ns per frame of about 20.

  /**
   * countLineEnd returns the index of the CR ending a plain count at buf[i] — 1 to 15
   * digits without a leading zero, then CR LF, all before end — or -1 for anything
   * else, which the byte-by-byte path then judges. 15 digits cannot overflow.
   */
  private countLineEnd(buf: Uint8Array, i: number, end: number): number {
    // Not Math.min: its double result would make every index after it a double.
    const limit = end - 2 < i + 15 ? end - 2 : i + 15;
    let j = i;
    if (buf[j] === DIGIT_0) j++;
    else while (j < limit && buf[j]! >= DIGIT_0 && buf[j]! <= DIGIT_9) j++;
    return j > i && j + 1 < end && buf[j] === CR && buf[j + 1] === LF ? j : -1;
  }

  /** countValue reads the digits buf[i, cr) that countLineEnd accepted. */
  private countValue(buf: Uint8Array, i: number, cr: number): number {
    let value = 0;
    for (; i < cr; i++) value = value * 10 + (buf[i]! - DIGIT_0);
    return value;
  }

  /**
   * simpleLineEnd returns the index of the CR LF ending a simple string or error at
   * buf[i], or -1. It stops at any byte <= CR (one comparison per byte); a line with
   * a tab or another control byte simply takes the byte-by-byte path.
   */
  private simpleLineEnd(buf: Uint8Array, i: number, end: number): number {
    let j = i;
    while (j < end && buf[j]! > CR) j++;
    return j - i <= this.maxLineBytes && j + 1 < end && buf[j] === CR && buf[j + 1] === LF ? j : -1;
  }

  /** integerLineEnd returns the index of the CR LF ending an integer or big number ([+-]digits) at buf[i], or -1. */
  private integerLineEnd(buf: Uint8Array, i: number, end: number): number {
    let j = i;
    if (buf[j] === PLUS || buf[j] === MINUS) j++;
    const digitsFrom = j;
    while (j < end && buf[j]! >= DIGIT_0 && buf[j]! <= DIGIT_9) j++;
    return j > digitsFrom && j - i <= this.maxLineBytes && j + 1 < end && buf[j] === CR && buf[j + 1] === LF ? j : -1;
  }
}

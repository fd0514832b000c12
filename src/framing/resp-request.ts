import { INVALID, NEED_MORE, type FrameScanner } from "./framer.ts";
import { CR, DIGIT_0, DOLLAR, LF, MINUS, NUL, STAR } from "./resp-bytes.ts";
import type { RespFramerOptions } from "./resp.ts";

// Scanner states. S_DONE and S_FAILED are the two ends, compared with >= S_DONE.
const S_START = 0; // at a request's first byte: between frames, or after a folded no-op
const S_INLINE = 1; // inside an inline command, up to its LF
const S_COUNT = 2; // inside a multibulk count line, up to its CR
const S_COUNT_END = 3; // after the count line's CR: one more byte, never checked, ends the line
const S_BULK = 4; // inside a bulk line ("$" expected first), up to its CR
const S_BULK_END = 5; // after the bulk line's CR: one more byte, never checked
const S_PAYLOAD = 6; // skipping a bulk payload and the 2 unchecked bytes after it
const S_STUCK = 7; // a NUL hid the line's end from Redis: only the line limit ends the request
const S_DONE = 8; // the frame just completed (transient)
const S_FAILED = 9; // INVALID was returned; sticky until reset

// Redis 7.0's replies to requests it cannot parse (networking.c), sent as "-ERR <text>\r\n".
const TOO_BIG_INLINE = "Protocol error: too big inline request";
const TOO_BIG_COUNT = "Protocol error: too big mbulk count string";
const INVALID_COUNT = "Protocol error: invalid multibulk length";
const UNAUTH_COUNT = "Protocol error: unauthenticated multibulk length";
const TOO_BIG_BULK_LINE = "Protocol error: too big bulk count string";
const INVALID_BULK = "Protocol error: invalid bulk length";
const UNAUTH_BULK = "Protocol error: unauthenticated bulk length";

/** Redis refuses multibulk counts above INT_MAX. */
const INT_MAX = 2 ** 31 - 1;
/** Before AUTH, Redis allows at most 10 arguments and 16 KiB per argument (networking.c). */
const UNAUTH_MAX_COUNT = 10;
const UNAUTH_MAX_BULK = 16384;
/** The shortest bulk string Redis accepts ("$0" CR, one byte, 2 bytes), to refuse a count that cannot fit in maxFrameBytes. */
const MIN_BULK_BYTES = 6;
/** The digits of 2^63 ("9223372036854775808"): string2ll's bound, 2^63 - 1 for positive numbers and 2^63 for negative ones. */
const LLONG_DIGITS = [9, 2, 2, 3, 3, 7, 2, 0, 3, 6, 8, 5, 4, 7, 7, 5, 8, 0, 8];

/**
 * RespRequestScanner frames a client's request stream exactly as Redis 7.0's
 * server reads it (networking.c: processInputBuffer, processInlineBuffer,
 * processMultibulkBuffer), so that what warren forwards is what Redis would have
 * executed, and an input Redis refuses is refused with Redis's own error text.
 *
 * A request's first byte decides: `*` starts a multibulk request, any other byte an
 * inline command (which the caller must re-encode, see `inline` and resp-inline.ts).
 * Redis's quirks are kept, because a proxy that is stricter or looser than the
 * server can be made to misread a request: line ends are found by C string search,
 * so a NUL hides every CR or LF after it (the request then never completes and only
 * the 64 KiB line limit ends it); after a count or bulk line's CR and after a bulk
 * payload, the next byte(s) are skipped unchecked; numbers are read as string2ll
 * reads them; counts <= 0 and blank inline lines run nothing and get no reply, so
 * they are folded into the frame that follows and every frame gets one reply.
 *
 * INVALID is returned at the byte where Redis, reading the stream one byte at a
 * time, would reply an error (the line limits depend on how Redis's reads cut the
 * stream; one byte at a time is the strictest cut, and the only one every chunking
 * agrees on). `error` then holds the text.
 */
export class RespRequestScanner implements FrameScanner {
  /** Bytes of the current frame seen so far, folded no-ops included. */
  pending = 0;
  /**
   * Apply Redis's limits for clients that have not authenticated yet (at most 10
   * arguments, 16 KiB each, for multibulk requests; Redis has none for inline ones).
   * The caller keeps it in step with the client's authentication; reset() leaves it.
   */
  unauthenticated = false;
  private state = S_START;
  private isInline = false;
  private errorText = "";
  /** Bytes of the current line from its first byte (the `*` or `$` included), as Redis counts them against maxLineBytes. */
  private lineBytes = 0;
  /** The inline command read so far is only whitespace (C isspace). */
  private blank = true;
  /** First byte of the current bulk line, which Redis checks to be `$` only once the line is complete. */
  private bulkFirst = 0;
  /** Bulk strings the current multibulk request still expects. */
  private bulksLeft = 0;
  /** Payload bytes, then the 2 unchecked ones, still to skip. */
  private remaining = 0;
  /** The error a NUL-stuck line ends with, once it outgrows maxLineBytes. */
  private stuckError = "";
  // The number being read, as string2ll reads it: content bytes, '-', digits, value, and whether it can still be valid.
  private numBytes = 0;
  private numNegative = false;
  private numDigits = 0;
  private numValue = 0;
  private numBad = false;
  /** Sign of the first digit that differs from LLONG_DIGITS (0: none yet), to find string2ll's overflow exactly. */
  private numCompare = 0;
  private readonly maxFrameBytes: number;
  private readonly maxBulkBytes: number;
  private readonly maxLineBytes: number;
  private readonly tooLarge: string;

  /** The options must have passed respFramer's validation; maxDepth does not apply to requests. */
  constructor(options: Readonly<RespFramerOptions>) {
    this.maxFrameBytes = options.maxFrameBytes;
    this.maxBulkBytes = options.maxBulkBytes;
    this.maxLineBytes = options.maxLineBytes;
    this.tooLarge = `warren: request larger than maxFrameBytes (${options.maxFrameBytes})`;
  }

  /** The request being read, or the one that just completed, is an inline command: its bytes must be re-encoded before forwarding. */
  get inline(): boolean {
    return this.isInline;
  }

  /** After INVALID: what Redis would reply, without "-ERR " and CR LF (bytes as latin1 characters); "" otherwise. */
  get error(): string {
    return this.errorText;
  }

  feed(buf: Uint8Array, start: number, end: number): number {
    let state = this.state;
    if (state === S_FAILED) return INVALID;
    // Bytes past `stop` would make the frame larger than maxFrameBytes, so they are never read.
    const budget = this.maxFrameBytes - this.pending;
    const stop = end - start < budget ? end : start + budget;
    let i = start;
    while (i < stop) {
      switch (state) {
        case S_START: {
          if (buf[i] !== STAR) {
            this.isInline = true;
            this.lineBytes = 0;
            this.blank = true;
            state = S_INLINE;
            break;
          }
          this.isInline = false;
          const next = this.wholeRequest(buf, i, stop);
          if (next > 0) {
            i = next;
            state = S_DONE;
            break;
          }
          i++;
          this.lineBytes = 1;
          this.startNumber();
          state = S_COUNT;
          break;
        }
        case S_INLINE: {
          // Redis finds the LF with strchr, which stops at a NUL: a NUL before the LF hides it.
          let j = i;
          let blank = this.blank;
          while (j < stop) {
            const b = buf[j]!;
            if (b === LF || b === NUL) break;
            if (blank && b !== 0x20 && (b < 0x09 || b > 0x0d)) blank = false; // C isspace, written out: this loop is per byte
            j++;
          }
          this.blank = blank;
          this.lineBytes += j - i;
          i = j;
          if (this.lineBytes > this.maxLineBytes) state = this.failWith(TOO_BIG_INLINE);
          else if (j < stop) {
            i++;
            if (buf[j] === NUL) state = this.stick(TOO_BIG_INLINE);
            else state = blank ? S_START : S_DONE; // a blank line runs nothing and gets no reply
          }
          break;
        }
        case S_COUNT: {
          const b = buf[i++]!;
          if (b === CR) state = S_COUNT_END;
          else if (b === NUL) state = this.stick(TOO_BIG_COUNT);
          else if (++this.lineBytes > this.maxLineBytes) state = this.failWith(TOO_BIG_COUNT);
          else this.numberByte(b);
          break;
        }
        case S_COUNT_END:
          i++;
          state = this.endCount(this.pending + (i - start));
          break;
        case S_BULK: {
          const b = buf[i++]!;
          if (this.lineBytes === 0) this.bulkFirst = b;
          if (b === CR) state = S_BULK_END;
          else if (b === NUL) state = this.stick(TOO_BIG_BULK_LINE);
          else if (++this.lineBytes > this.maxLineBytes) state = this.failWith(TOO_BIG_BULK_LINE);
          else if (this.lineBytes > 1) this.numberByte(b);
          break;
        }
        case S_BULK_END:
          i++;
          state = this.endBulkLine(this.pending + (i - start));
          break;
        case S_PAYLOAD: {
          const available = stop - i;
          if (available < this.remaining) {
            this.remaining -= available;
            i = stop;
            break;
          }
          i += this.remaining;
          this.remaining = 0;
          state = --this.bulksLeft === 0 ? S_DONE : this.startBulk();
          break;
        }
        case S_STUCK:
          this.lineBytes += stop - i;
          i = stop;
          if (this.lineBytes > this.maxLineBytes) state = this.failWith(this.stuckError);
          break;
      }
      if (state >= S_DONE) {
        if (state === S_FAILED) {
          this.state = S_FAILED;
          return INVALID;
        }
        this.pending = 0;
        this.state = S_START;
        return i;
      }
    }
    this.state = state;
    this.pending += stop - start;
    // A frame that has used its whole budget without ending can only grow past it.
    return this.pending >= this.maxFrameBytes ? this.fail(this.tooLarge) : NEED_MORE;
  }

  reset(): void {
    this.pending = 0;
    this.state = S_START;
    this.isInline = false;
    this.errorText = "";
    this.bulksLeft = 0;
    this.remaining = 0;
  }

  private fail(text: string): number {
    this.failWith(text);
    this.state = S_FAILED;
    return INVALID;
  }

  private failWith(text: string): number {
    this.errorText = text;
    return S_FAILED;
  }

  /** stick enters S_STUCK at a NUL, which Redis counts as one more byte of the line. */
  private stick(text: string): number {
    this.stuckError = text;
    return ++this.lineBytes > this.maxLineBytes ? this.failWith(text) : S_STUCK;
  }

  /** endCount acts on a complete count line; frameBytes is the frame's size so far. */
  private endCount(frameBytes: number): number {
    const n = this.numberValue();
    if (!(n <= INT_MAX)) return this.failWith(INVALID_COUNT);
    if (n > UNAUTH_MAX_COUNT && this.unauthenticated) return this.failWith(UNAUTH_COUNT);
    if (n <= 0) return S_START; // Redis runs nothing and replies nothing: the no-op joins the next frame
    if (frameBytes + n * MIN_BULK_BYTES > this.maxFrameBytes) return this.failWith(this.tooLarge);
    this.bulksLeft = n;
    return this.startBulk();
  }

  private startBulk(): number {
    this.lineBytes = 0;
    this.startNumber();
    return S_BULK;
  }

  /** endBulkLine acts on a complete bulk line: Redis checks its `$` only now, then its length. */
  private endBulkLine(frameBytes: number): number {
    const first = this.bulkFirst;
    if (first !== DOLLAR) {
      // Redis's addReplyErrorFormat turns CR and LF into spaces so the reply stays one line.
      const shown = first === CR || first === LF ? " " : String.fromCharCode(first);
      return this.failWith(`Protocol error: expected '$', got '${shown}'`);
    }
    const n = this.numberValue();
    if (!(n >= 0) || n > this.maxBulkBytes) return this.failWith(INVALID_BULK);
    if (n > UNAUTH_MAX_BULK && this.unauthenticated) return this.failWith(UNAUTH_BULK);
    if (frameBytes + n + 2 > this.maxFrameBytes) return this.failWith(this.tooLarge);
    this.remaining = n + 2;
    return S_PAYLOAD;
  }

  private startNumber(): void {
    this.numBytes = 0;
    this.numNegative = false;
    this.numDigits = 0;
    this.numValue = 0;
    this.numBad = false;
    this.numCompare = 0;
  }

  /** numberByte reads one byte of a count or length as string2ll does: at most 20 bytes, an optional '-', digits without a leading zero. */
  private numberByte(b: number): void {
    if (this.numBad) return;
    const at = this.numBytes++;
    if (at === 0 && b === MINUS) {
      this.numNegative = true;
      return;
    }
    const d = b - DIGIT_0;
    const digits = this.numDigits;
    // "0" alone is zero, but "00", "01" and "-0" are refused.
    if (d < 0 || d > 9 || at >= 20 || (digits === 0 && d === 0 && this.numNegative) || (digits === 1 && this.numValue === 0)) {
      this.numBad = true;
      return;
    }
    if (digits < 19 && this.numCompare === 0) {
      const bound = digits < 18 ? LLONG_DIGITS[digits]! : this.numNegative ? 8 : 7;
      this.numCompare = Math.sign(d - bound);
    }
    this.numValue = this.numValue * 10 + d;
    this.numDigits = digits + 1;
  }

  /**
   * numberValue is string2ll's verdict on the line's content: NaN where it fails
   * (empty, junk, leading zero, outside the 64-bit range); -1 for every negative
   * number, as only the sign matters; Infinity for a positive one over 15 digits,
   * which exceeds INT_MAX and any bulk limit below 10^15 (values past 2^53 would not
   * be exact as doubles).
   */
  private numberValue(): number {
    const digits = this.numDigits;
    if (this.numBad || digits === 0 || digits > 19 || (digits === 19 && this.numCompare > 0)) return NaN;
    if (this.numNegative) return -1;
    return digits <= 15 ? this.numValue : Infinity;
  }

  // wholeRequest is a method rather than a module function on purpose: measured under
  // Bun 1.4, JSC inlined the RespScanner's fast-path helpers as methods but not as
  // module-level functions.

  /**
   * wholeRequest returns the index just past a complete, plain multibulk request at
   * buf[i] (which holds `*`) when all of it lies before stop, or -1; the byte-by-byte
   * states then judge the request. Plain means what clients send: a count of 1 to 9
   * digits, lengths of 1 to 15 digits, no leading zeros, within every limit — the
   * same requests those states accept, reached in one pass.
   */
  private wholeRequest(buf: Uint8Array, i: number, stop: number): number {
    let j = i + 1;
    let count = 0;
    for (;;) {
      if (j >= stop) return -1;
      const d = buf[j]! - DIGIT_0;
      if (d < 0 || d > 9) break;
      count = count * 10 + d;
      j++;
    }
    // Zero (a no-op) and leading zeros take the slow path; 9 digits cannot exceed INT_MAX.
    if (j === i + 1 || j > i + 10 || buf[i + 1] === DIGIT_0 || buf[j] !== CR || j - i > this.maxLineBytes) return -1;
    if (count > UNAUTH_MAX_COUNT && this.unauthenticated) return -1;
    j += 2; // CR and the unchecked byte after it
    for (let k = 0; k < count; k++) {
      if (j >= stop || buf[j] !== DOLLAR) return -1;
      const line = j++;
      let n = 0;
      for (;;) {
        if (j >= stop) return -1;
        const d = buf[j]! - DIGIT_0;
        if (d < 0 || d > 9) break;
        n = n * 10 + d;
        j++;
      }
      const digits = j - line - 1;
      if (digits === 0 || digits > 15 || (digits > 1 && buf[line + 1] === DIGIT_0) || buf[j] !== CR) return -1;
      if (j - line > this.maxLineBytes || n > this.maxBulkBytes || (n > UNAUTH_MAX_BULK && this.unauthenticated)) return -1;
      j += n + 4; // CR, the unchecked byte, the payload, the 2 unchecked bytes
      if (j > stop) return -1;
    }
    return j;
  }
}

import { BACKSLASH, CR, DOLLAR, DOUBLE_QUOTE, LF, NUL, SINGLE_QUOTE, STAR, isSpace } from "./resp-bytes.ts";
import { requestStart } from "./resp-folded.ts";

/**
 * Inline commands (`SET k "a b"\r\n`) as Redis 7.0 splits them into arguments
 * (sds.c: sdssplitargs), and their re-encoding as RESP. Warren forwards an inline
 * command only re-encoded, so Redis executes exactly the arguments warren read;
 * inline commands are rare (telnet, health checks), so these may allocate.
 */

/** What Redis replies (after "-ERR ") to an inline command whose quotes do not balance, then it closes the connection. */
export const UNBALANCED_QUOTES = "Protocol error: unbalanced quotes in request";

/**
 * parseInlineFrame returns the arguments of the inline command that ends the complete
 * frame buf[start, end) as RespRequestScanner delimited it (folded no-ops first are
 * skipped), exactly as sdssplitargs yields them, or null where sdssplitargs fails
 * (unbalanced quotes, or a closing quote not followed by a space): Redis then replies
 * UNBALANCED_QUOTES and closes. The line ends at its LF, less one CR before it; a NUL
 * would end it too, as in C, though the scanner never completes such a line. Blanks
 * are C isspace; an unquoted token ends at space, tab, CR or LF only (so \v and \f
 * belong to it), and a quote inside it opens a quoted part. In "double quotes":
 * \xHH, \n \r \t \b \a, and \ before any other byte stands for that byte; in 'single
 * quotes' only \' is an escape. The arguments are views of one new buffer.
 */
export function parseInlineFrame(buf: Uint8Array, start: number, end: number): Uint8Array[] | null {
  const from = requestStart(buf, start, end);
  const lf = buf.indexOf(LF, from);
  let to = lf < 0 || lf >= end ? end : lf;
  if (to > from && buf[to - 1] === CR) to--;
  for (let k = from; k < to; k++) {
    if (buf[k] === NUL) {
      to = k;
      break;
    }
  }
  // Arguments never outgrow their source (escapes only shrink), so one buffer holds them all.
  const out = new Uint8Array(to - from);
  const args: Uint8Array[] = [];
  let w = 0;
  let p = from;
  for (;;) {
    while (p < to && isSpace(buf[p]!)) p++;
    if (p >= to) return args;
    const token = w;
    let quote = 0; // the quote character we are inside, or 0
    for (let done = false; !done; ) {
      const c = at(buf, p, to);
      if (quote === DOUBLE_QUOTE) {
        if (
          c === BACKSLASH &&
          at(buf, p + 1, to) === 0x78 /* x */ &&
          hexValue(at(buf, p + 2, to)) >= 0 &&
          hexValue(at(buf, p + 3, to)) >= 0
        ) {
          out[w++] = hexValue(at(buf, p + 2, to)) * 16 + hexValue(at(buf, p + 3, to));
          p += 3;
        } else if (c === BACKSLASH && at(buf, p + 1, to) !== NUL) {
          out[w++] = unescape(at(buf, ++p, to));
        } else if (c === DOUBLE_QUOTE) {
          if (!closes(at(buf, p + 1, to))) return null;
          done = true;
        } else if (c === NUL) return null;
        else out[w++] = c;
      } else if (quote === SINGLE_QUOTE) {
        if (c === BACKSLASH && at(buf, p + 1, to) === SINGLE_QUOTE) {
          out[w++] = SINGLE_QUOTE;
          p++;
        } else if (c === SINGLE_QUOTE) {
          if (!closes(at(buf, p + 1, to))) return null;
          done = true;
        } else if (c === NUL) return null;
        else out[w++] = c;
      } else if (c === 0x20 || c === LF || c === CR || c === 0x09 || c === NUL) done = true;
      else if (c === DOUBLE_QUOTE || c === SINGLE_QUOTE) quote = c;
      else out[w++] = c;
      if (c !== NUL) p++;
    }
    args.push(out.subarray(token, w));
  }
}

/** at reads the line buf[.., to) as the C string sdssplitargs sees: NUL past its end. */
function at(buf: Uint8Array, k: number, to: number): number {
  return k < to ? buf[k]! : NUL;
}

/** A closing quote must be followed by a blank or the end of the line. */
function closes(next: number): boolean {
  return next === NUL || isSpace(next);
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

function unescape(c: number): number {
  switch (c) {
    case 0x6e:
      return LF; // \n
    case 0x72:
      return CR; // \r
    case 0x74:
      return 0x09; // \t
    case 0x62:
      return 0x08; // \b
    case 0x61:
      return 0x07; // \a
    default:
      return c;
  }
}

/** encodeCommand encodes arguments as the RESP array of bulk strings Redis reads them from. */
export function encodeCommand(args: readonly Uint8Array[]): Uint8Array {
  const header = (n: number): string => `${n}\r\n`;
  let size = 1 + header(args.length).length;
  for (const a of args) size += 1 + header(a.length).length + a.length + 2;
  const out = new Uint8Array(size);
  let w = writeLine(out, 0, STAR, args.length);
  for (const a of args) {
    w = writeLine(out, w, DOLLAR, a.length);
    out.set(a, w);
    w += a.length;
    out[w++] = CR;
    out[w++] = LF;
  }
  return out;
}

/** writeLine writes `<type><n>\r\n` at out[w] and returns the index after it. */
function writeLine(out: Uint8Array, w: number, type: number, n: number): number {
  out[w++] = type;
  const digits = String(n);
  for (let k = 0; k < digits.length; k++) out[w++] = digits.charCodeAt(k);
  out[w++] = CR;
  out[w++] = LF;
  return w;
}

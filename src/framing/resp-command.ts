import { CR, DIGIT_0, DIGIT_9, DOLLAR, LF, MINUS, STAR, isSpace } from "./resp-bytes.ts";

/** Longer first words are not command names; refusing them bounds the string this allocates. */
const MAX_NAME_BYTES = 64;

/**
 * respCommandName returns the upper-cased command name of one complete request
 * frame in buf[start, end), as the RESP scanner reading requests delimits it: the
 * first bulk string of a `*` array, or the first word of an inline command (any
 * other first byte, as in Redis). It returns null when there is none: a frame that
 * is not complete, or a name over 64 bytes. The pool runs it once per request to
 * apply pinning rules (MULTI, SUBSCRIBE, ...), so it may allocate the short name.
 */
export function respCommandName(buf: Uint8Array, start: number, end: number): string | null {
  let i = start;
  for (;;) {
    // What the scanner folded into this frame because Redis does not answer it comes
    // first: blank lines, and empty or null arrays ("*0\r\n", "*-1\r\n").
    while (i < end && isSpace(buf[i]!)) i++;
    if (i >= end) return null;
    if (buf[i] !== STAR) return inlineCommandName(buf, i, end);
    if (i + 1 < end && (buf[i + 1] === MINUS || buf[i + 1] === DIGIT_0)) {
      i = lineEnd(buf, i, end);
      if (i < 0) return null;
      continue;
    }
    return arrayCommandName(buf, i + 1, end);
  }
}

/** arrayCommandName reads `<count>\r\n$<len>\r\n<name>` after the `*` of a non-empty array. */
function arrayCommandName(buf: Uint8Array, i: number, end: number): string | null {
  const count = readNumber(buf, i, end);
  if (count <= 0) return null;
  i = lineEnd(buf, i, end);
  if (i < 0 || buf[i] !== DOLLAR) return null;
  const length = readNumber(buf, i + 1, end);
  i = lineEnd(buf, i + 1, end);
  if (length < 0 || length > MAX_NAME_BYTES || i < 0 || i + length > end) return null;
  return upperAscii(buf, i, i + length);
}

/** inlineCommandName takes the first whitespace-separated word, without simple quotes. */
function inlineCommandName(buf: Uint8Array, i: number, end: number): string | null {
  let j = i;
  while (j < end && !isSpace(buf[j]!)) j++;
  const quote = buf[i]!;
  if ((quote === 0x22 || quote === 0x27) && j - i >= 2 && buf[j - 1] === quote) {
    i++;
    j--;
  }
  if (j - i === 0 || j - i > MAX_NAME_BYTES) return null;
  return upperAscii(buf, i, j);
}

/** readNumber parses the decimal digits at buf[i] up to a CR, or returns -1. */
function readNumber(buf: Uint8Array, i: number, end: number): number {
  let value = 0;
  const from = i;
  for (; i < end && buf[i] !== CR; i++) {
    const b = buf[i]!;
    if (b < DIGIT_0 || b > DIGIT_9 || i - from > 15) return -1;
    value = value * 10 + (b - DIGIT_0);
  }
  return i === from || i >= end ? -1 : value;
}

/** lineEnd returns the index after the next LF at or after i, or -1. */
function lineEnd(buf: Uint8Array, i: number, end: number): number {
  const lf = buf.indexOf(LF, i);
  return lf < 0 || lf >= end ? -1 : lf + 1;
}

function upperAscii(buf: Uint8Array, from: number, to: number): string {
  let name = "";
  for (let k = from; k < to; k++) {
    const c = buf[k]!;
    name += String.fromCharCode(c >= 0x61 && c <= 0x7a ? c - 0x20 : c);
  }
  return name;
}

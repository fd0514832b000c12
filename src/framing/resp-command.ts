import { CR, DIGIT_0, DIGIT_9, DOLLAR, STAR } from "./resp-bytes.ts";
import { requestStart } from "./resp-folded.ts";
import { parseInlineFrame } from "./resp-inline.ts";

/** Longer first words are not command names; refusing them bounds the string this allocates. */
const MAX_NAME_BYTES = 64;

/**
 * respCommandName returns the upper-cased command name of one complete request
 * frame in buf[start, end), read as RespRequestScanner framed it, past the no-ops it
 * folded in: the first bulk string of a multibulk request (each line ended by CR and
 * one unchecked byte, as Redis reads it), or the first argument of an inline command
 * as Redis decodes it (`SEL"ECT"` and `"MUL\x54I"` are SELECT and MULTI). It returns
 * null when there is none: a frame that is not complete, unbalanced quotes, or a
 * name over 64 bytes. The pool runs it once per request to apply pinning rules
 * (MULTI, SUBSCRIBE, ...), so it may allocate the short name.
 */
export function respCommandName(buf: Uint8Array, start: number, end: number): string | null {
  const i = requestStart(buf, start, end);
  if (i >= end) return null;
  if (buf[i] !== STAR) {
    const name = parseInlineFrame(buf, i, end)?.[0];
    return name === undefined || name.length > MAX_NAME_BYTES ? null : upperAscii(name, 0, name.length);
  }
  // "*<count>" CR, one byte, "$<length>" CR, one byte, then the name.
  const count = readNumber(buf, i + 1, end);
  if (count <= 0) return null;
  const bulk = buf.indexOf(CR, i) + 2;
  if (bulk >= end || buf[bulk] !== DOLLAR) return null;
  const length = readNumber(buf, bulk + 1, end);
  const name = buf.indexOf(CR, bulk) + 2;
  if (length < 0 || length > MAX_NAME_BYTES || name + length > end) return null;
  return upperAscii(buf, name, name + length);
}

/** readNumber parses the decimal digits at buf[i] up to a CR before end, or returns -1. */
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

function upperAscii(buf: Uint8Array, from: number, to: number): string {
  let name = "";
  for (let k = from; k < to; k++) {
    const c = buf[k]!;
    name += String.fromCharCode(c >= 0x61 && c <= 0x7a ? c - 0x20 : c);
  }
  return name;
}

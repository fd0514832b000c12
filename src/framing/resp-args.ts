/**
 * Reading the arguments of one complete multibulk request frame, as the request scanner delimited it
 * (src/framing/resp-request.ts): Redis's own lax framing, where the byte after a line's CR and the two
 * bytes after a bulk payload are not checked, and no-op requests (blank inline lines, counts <= 0) may
 * come first. The pool reads the command name of most requests and the arguments of a few, so these
 * walk the frame without copying; args are subarrays of the frame.
 */
import { CR, DOLLAR, LF, STAR } from "./resp-bytes.ts";

/** Longer first words are not command names; refusing them bounds the string commandName allocates. */
const MAX_NAME_BYTES = 64;

/** commandStart returns the index of the `*` that opens the frame's command array (past folded no-ops), or -1. */
function commandStart(buf: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end) {
    if (buf[i] !== STAR) {
      // A blank inline line folded into this frame: skip it through its LF.
      const lf = buf.indexOf(LF, i);
      if (lf < 0 || lf >= end) return -1;
      i = lf + 1;
      continue;
    }
    const cr = buf.indexOf(CR, i);
    if (cr < 0 || cr + 1 >= end) return -1;
    if (readInt(buf, i + 1, cr) > 0) return i;
    i = cr + 2; // "*0", "*-1": no command, no reply
  }
  return -1;
}

/** readInt parses the string2ll-checked integer buf[from, to); the scanner has validated it. */
function readInt(buf: Uint8Array, from: number, to: number): number {
  let negative = false;
  if (buf[from] === 0x2d) {
    negative = true;
    from++;
  }
  let value = 0;
  for (let i = from; i < to; i++) value = value * 10 + (buf[i]! - 0x30);
  return negative ? -value : value;
}

/** multibulkArgs returns every argument of a complete multibulk frame (subarrays, no copy). */
export function multibulkArgs(buf: Uint8Array, start: number, end: number): Uint8Array[] {
  const args: Uint8Array[] = [];
  let i = commandStart(buf, start, end);
  if (i < 0) return args;
  let cr = buf.indexOf(CR, i);
  const count = readInt(buf, i + 1, cr);
  i = cr + 2;
  for (let k = 0; k < count && i < end; k++) {
    if (buf[i] !== DOLLAR) break;
    cr = buf.indexOf(CR, i);
    if (cr < 0 || cr >= end) break;
    const length = readInt(buf, i + 1, cr);
    i = cr + 2;
    args.push(buf.subarray(i, i + length));
    i += length + 2;
  }
  return args;
}

/** multibulkCount returns the argument count of a complete or partial frame's command (0 if not known yet). */
export function multibulkCount(buf: Uint8Array, start: number, end: number): number {
  const i = commandStart(buf, start, end);
  if (i < 0) return 0;
  return readInt(buf, i + 1, buf.indexOf(CR, i));
}

/**
 * commandName returns the upper-cased first argument of a multibulk frame — complete, or a prefix that
 * holds at least the first bulk string — or null when it is not there or longer than 64 bytes.
 */
export function commandName(buf: Uint8Array, start: number, end: number): string | null {
  let i = commandStart(buf, start, end);
  if (i < 0) return null;
  i = buf.indexOf(CR, i) + 2;
  if (i >= end || buf[i] !== DOLLAR) return null;
  const cr = buf.indexOf(CR, i);
  if (cr < 0 || cr + 1 >= end) return null;
  const length = readInt(buf, i + 1, cr);
  i = cr + 2;
  if (length <= 0 || length > MAX_NAME_BYTES || i + length > end) return null;
  let name = "";
  for (let k = i; k < i + length; k++) {
    const b = buf[k]!;
    name += String.fromCharCode(b >= 0x61 && b <= 0x7a ? b - 0x20 : b);
  }
  return name;
}

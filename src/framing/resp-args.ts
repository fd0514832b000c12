/**
 * Reading the arguments of one complete multibulk request frame, as the request scanner delimited it
 * (src/framing/resp-request.ts): Redis's own lax framing, where the byte after a line's CR and the two
 * bytes after a bulk payload are not checked, and no-op requests may come first (requestStart skips
 * them). The pool reads the arguments of a few commands only (CLIENT, HELLO, AUTH, XREAD…); args are
 * subarrays of the frame, no copy.
 */
import { CR, DOLLAR, STAR } from "./resp-bytes.ts";
import { requestStart } from "./resp-folded.ts";

/** readInt parses the integer buf[from, to) that the scanner has validated (string2ll's grammar). */
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
  let i = requestStart(buf, start, end);
  if (i >= end || buf[i] !== STAR) return args;
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

/** multibulkCount returns the argument count of a multibulk frame's command, without reading the arguments. */
export function multibulkCount(buf: Uint8Array, start: number, end: number): number {
  const i = requestStart(buf, start, end);
  if (i >= end || buf[i] !== STAR) return 0;
  const cr = buf.indexOf(CR, i);
  return cr < 0 || cr >= end ? 0 : readInt(buf, i + 1, cr);
}

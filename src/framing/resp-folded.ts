import { CR, DIGIT_0, LF, MINUS, STAR, isSpace } from "./resp-bytes.ts";

/**
 * requestStart returns the index of the request a complete frame of
 * RespRequestScanner ends with, in buf[start, end): past the no-ops the scanner
 * folded in front of it because Redis runs nothing for them and sends no reply —
 * blank inline lines, and multibulk counts <= 0 (`*0`, `*-1`, any negative count,
 * each ended by CR and one unchecked byte). Returns end when there is no request.
 */
export function requestStart(buf: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end) {
    if (buf[i] === STAR) {
      // The scanner only folds valid counts, so a count starting with '-' or '0' is <= 0.
      const sign = buf[i + 1];
      if (i + 1 >= end || (sign !== MINUS && sign !== DIGIT_0)) return i;
      const cr = buf.indexOf(CR, i);
      if (cr < 0 || cr + 2 > end) return end;
      i = cr + 2;
      continue;
    }
    const lf = buf.indexOf(LF, i);
    const lineEnd = lf < 0 || lf >= end ? end : lf;
    for (let k = i; k < lineEnd; k++) if (!isSpace(buf[k]!)) return i;
    i = lineEnd + 1;
  }
  return end;
}

import { expect } from "bun:test";
import { INVALID, NEED_MORE, type FrameScanner, type FramerFactory } from "../../../src/framing/framer.ts";

/**
 * The framing test harness. A stream is fed to a fresh scanner in chunks; each
 * chunk sits inside a larger buffer between junk bytes, so a scanner that reads
 * outside [start, end) or returns chunk-relative indices is caught. Frame ends are
 * recorded as absolute stream offsets so that every chunking of the same stream
 * must give the same Outcome.
 */

/** Outcome is what a scanner made of a whole stream. */
export interface Outcome {
  /** Stream offsets just past each complete frame, in order. */
  ends: number[];
  /** Whether the scanner answered INVALID (after the frames in `ends`). */
  invalid: boolean;
  /** The scanner's `pending` after the last chunk; -1 after INVALID. */
  pending: number;
}

/** Junk around each chunk: bytes every framer would like to see, so reading them changes results. */
const JUNK = bytes("\r\n*$;,:");

/** bytes encodes a string one byte per char (latin1), so "\xff" is byte 255. */
export function bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/** text decodes bytes one char per byte, the inverse of `bytes`. */
export function text(b: Uint8Array): string {
  let s = "";
  for (const c of b) s += String.fromCharCode(c);
  return s;
}

/** scanCuts feeds stream[cuts[k], cuts[k+1]) as successive chunks; cuts start at 0 and end at stream.length. */
export function scanCuts(factory: FramerFactory, stream: Uint8Array, cuts: readonly number[]): Outcome {
  return scanWith(factory.create(), stream, cuts);
}

/** scanWith is scanCuts with a given scanner, for tests that reuse one after reset(). */
export function scanWith(scanner: FrameScanner, stream: Uint8Array, cuts: readonly number[]): Outcome {
  const ends: number[] = [];
  for (let k = 0; k + 1 < cuts.length; k++) {
    const from = cuts[k]!;
    const to = cuts[k + 1]!;
    const buf = new Uint8Array(JUNK.length * 2 + to - from);
    buf.set(JUNK, 0);
    buf.set(stream.subarray(from, to), JUNK.length);
    buf.set(JUNK, JUNK.length + to - from);
    const end = JUNK.length + to - from;
    let i = JUNK.length;
    while (i < end) {
      const r = scanner.feed(buf, i, end);
      assertInContract(r, i, end);
      if (r === INVALID) return { ends, invalid: true, pending: -1 };
      if (r === NEED_MORE) break;
      ends.push(from + r - JUNK.length);
      i = r;
    }
  }
  return { ends, invalid: false, pending: scanner.pending };
}

/** assertInContract fails unless r is NEED_MORE, INVALID or an index in (start, end]. */
export function assertInContract(r: number, start: number, end: number): void {
  if (r === NEED_MORE || r === INVALID || (Number.isInteger(r) && r > start && r <= end)) return;
  throw new Error(`feed(buf, ${start}, ${end}) returned ${r}, outside the contract`);
}

export const whole = (n: number): number[] => [0, n];
export const byteByByte = (n: number): number[] => Array.from({ length: n + 1 }, (_, i) => i);
export const splitAt = (n: number, k: number): number[] => [0, k, n];
export const everyBytes = (n: number, size: number): number[] => {
  const cuts = [];
  for (let i = 0; i < n; i += size) cuts.push(i);
  cuts.push(n);
  return cuts;
};

/**
 * scanEveryWay feeds the stream whole, byte by byte, and split in two at every
 * index, asserts that all of them agree, and returns the common Outcome.
 */
export function scanEveryWay(factory: FramerFactory, stream: Uint8Array): Outcome {
  const n = stream.length;
  const expected = scanCuts(factory, stream, whole(n));
  expect(scanCuts(factory, stream, byteByByte(n))).toEqual(expected);
  for (let k = 1; k < n; k++) {
    const split = scanCuts(factory, stream, splitAt(n, k));
    if (!Bun.deepEquals(split, expected)) expect({ splitAt: k, ...split }).toEqual({ splitAt: k, ...expected });
  }
  return expected;
}

/** Framing is an Outcome told as text: the frames, then what is left over or whether the rest was invalid. */
export interface Framing {
  frames: string[];
  /** Bytes after the last frame that belong to an incomplete frame ("" when none). */
  rest?: string;
  /** The bytes after the last frame were rejected. */
  invalid?: true;
}

/** framing scans `input` every way and tells the Outcome as a Framing. */
export function framing(factory: FramerFactory, input: string): Framing {
  const stream = bytes(input);
  const outcome = scanEveryWay(factory, stream);
  const frames: string[] = [];
  let from = 0;
  for (const end of outcome.ends) {
    frames.push(input.slice(from, end));
    from = end;
  }
  if (outcome.invalid) return { frames, invalid: true };
  // pending must count exactly the bytes of the incomplete frame.
  expect(outcome.pending).toBe(input.length - from);
  return { frames, rest: input.slice(from) };
}

/** Case is one row of a framer's specification table. */
export interface Case {
  name: string;
  input: string;
  /** The complete frames expected; the default is the whole input as one frame. */
  frames?: string[];
  rest?: string;
  invalid?: true;
}

/** expectedFraming turns a Case into the Framing `framing` should return. */
export function expectedFraming(c: Case): Framing {
  const frames = c.frames ?? [c.input];
  return c.invalid ? { frames, invalid: true } : { frames, rest: c.rest ?? "" };
}

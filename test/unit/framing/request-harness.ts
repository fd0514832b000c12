import { expect } from "bun:test";
import { INVALID, NEED_MORE } from "../../../src/framing/framer.ts";
import type { RespRequestScanner } from "../../../src/framing/resp-request.ts";
import { assertInContract, byteByByte, bytes, splitAt, whole } from "./harness.ts";

/**
 * The framing harness (harness.ts) for RespRequestScanner, which says more than
 * where frames end: whether each is an inline command, and Redis's error text after
 * INVALID. Each chunk again sits between junk bytes, and every chunking of a stream
 * must give the same RequestOutcome.
 */

/** RequestOutcome is what a RespRequestScanner made of a whole stream. */
export interface RequestOutcome {
  ends: number[];
  /** `inline` after each frame in `ends`. */
  inline: boolean[];
  invalid: boolean;
  /** `error` after INVALID, else "". */
  error: string;
  /** `pending` after the last chunk; -1 after INVALID. */
  pending: number;
}

const JUNK = bytes("\r\n*$\0\"'");

/**
 * scanRequests feeds stream[cuts[k], cuts[k+1]) to the scanner as successive chunks,
 * each copied between junk bytes — or, with `inPlace` (the fuzz tests, for speed),
 * fed where it is, so a scanner reading past a chunk sees the stream's next bytes.
 */
export function scanRequests(scanner: RespRequestScanner, stream: Uint8Array, cuts: readonly number[], inPlace = false): RequestOutcome {
  const ends: number[] = [];
  const inline: boolean[] = [];
  for (let k = 0; k + 1 < cuts.length; k++) {
    const from = cuts[k]!;
    const to = cuts[k + 1]!;
    let buf = stream;
    let i = from;
    if (!inPlace) {
      buf = new Uint8Array(JUNK.length * 2 + to - from);
      buf.set(JUNK, 0);
      buf.set(stream.subarray(from, to), JUNK.length);
      buf.set(JUNK, JUNK.length + to - from);
      i = JUNK.length;
    }
    const end = i + to - from;
    const shift = from - i; // buf index to stream offset
    if (i === end && scanner.feed(buf, i, i) !== NEED_MORE) throw new Error(`an empty range at ${from} did not answer NEED_MORE`);
    while (i < end) {
      const r = scanner.feed(buf, i, end);
      assertInContract(r, i, end);
      if (r === INVALID) return { ends, inline, invalid: true, error: scanner.error, pending: -1 };
      if (r === NEED_MORE) break;
      ends.push(r + shift);
      inline.push(scanner.inline);
      i = r;
    }
  }
  return { ends, inline, invalid: false, error: scanner.error, pending: scanner.pending };
}

/** scanRequestsEveryWay feeds the stream whole, byte by byte and split in two at every index (`splits: false` skips those), asserting that all agree. */
export function scanRequestsEveryWay(create: () => RespRequestScanner, stream: Uint8Array, splits = true): RequestOutcome {
  const n = stream.length;
  const expected = scanRequests(create(), stream, whole(n));
  expect(scanRequests(create(), stream, byteByByte(n))).toEqual(expected);
  for (let k = 1; splits && k < n; k++) {
    const split = scanRequests(create(), stream, splitAt(n, k));
    if (!Bun.deepEquals(split, expected)) expect({ splitAt: k, ...split }).toEqual({ splitAt: k, ...expected });
  }
  return expected;
}

/** RequestFraming is a RequestOutcome told as text. */
export interface RequestFraming {
  frames: string[];
  inline: boolean[];
  /** Bytes after the last frame that belong to an incomplete frame (absent after INVALID). */
  rest?: string;
  /** Redis's (or warren's) error text after INVALID. */
  error?: string;
}

/** requestFraming scans `input` every way and tells the outcome as text. */
export function requestFraming(create: () => RespRequestScanner, input: string, splits = true): RequestFraming {
  const outcome = scanRequestsEveryWay(create, bytes(input), splits);
  const frames: string[] = [];
  let from = 0;
  for (const end of outcome.ends) {
    frames.push(input.slice(from, end));
    from = end;
  }
  if (outcome.invalid) return { frames, inline: outcome.inline, error: outcome.error };
  expect(outcome.error).toBe("");
  expect(outcome.pending).toBe(input.length - from);
  return { frames, inline: outcome.inline, rest: input.slice(from) };
}

/** RequestCase is one row of the request scanner's specification. */
export interface RequestCase {
  name: string;
  input: string;
  /** The complete frames expected; the default is the whole input as one frame. */
  frames?: string[];
  /** Per frame, whether it is an inline command; by default, whether its first byte past folded no-ops is not `*`. */
  inline?: boolean[];
  rest?: string;
  /** The error after INVALID; leaving it out means the stream is valid. */
  error?: string;
}

/** Folded no-ops at a frame's start: blank lines, and counts <= 0 ended by CR and any byte. */
const FOLDED = /^(?:[ \t\n\v\f\r]*\n|\*(?:0|-[1-9]\d*)\r[\s\S])*/;

/** expectedRequestFraming turns a RequestCase into the RequestFraming `requestFraming` should return. */
export function expectedRequestFraming(c: RequestCase): RequestFraming {
  const frames = c.frames ?? (c.error === undefined ? [c.input] : []);
  const inline = c.inline ?? frames.map((f) => f.replace(FOLDED, "")[0] !== "*");
  return c.error !== undefined ? { frames, inline, error: c.error } : { frames, inline, rest: c.rest ?? "" };
}

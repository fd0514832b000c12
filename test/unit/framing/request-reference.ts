import type { RespFramerOptions } from "../../../src/framing/resp.ts";
import type { RequestOutcome } from "./request-harness.ts";

/**
 * A reference for RespRequestScanner, written as Redis's networking.c is: on the
 * whole buffer, with C string searches (strchr stops at a NUL), string2ll as a
 * regular expression and BigInt, and Redis's checks in Redis's order — rather than as
 * a byte-at-a-time state machine. Each event is placed at the index of the byte whose
 * arrival triggers it, for a reader that gets one byte at a time; the frame limit
 * (maxFrameBytes) is then an event like the others and the earliest one wins.
 *
 * Also a reference for parseInlineFrame: sdssplitargs as a few sticky regular
 * expressions, one per part of a word.
 */

const INT_MAX = 2n ** 31n - 1n;
const LLONG_MIN = -(2n ** 63n);
const LLONG_MAX = 2n ** 63n - 1n;

type Step = { start: number; end: number; inline: boolean } | { failAt: number; error: string } | "need";

/** string2ll: at most 20 bytes, an optional '-', no leading zero, no "-0", inside the 64-bit range. */
function string2ll(s: string): bigint | null {
  if (s.length === 0 || s.length > 20 || !/^(0|-?[1-9][0-9]*)$/.test(s)) return null;
  const v = BigInt(s);
  return v < LLONG_MIN || v > LLONG_MAX ? null : v;
}

/** requestReference frames a whole stream; `starts`, when given, receives where each frame's request begins, past its folded no-ops. */
export function requestReference(
  stream: Uint8Array,
  o: RespFramerOptions,
  unauthenticated: boolean,
  starts: number[] = [],
): RequestOutcome {
  const n = stream.length;
  const whole = Buffer.from(stream.buffer, stream.byteOffset, n).toString("latin1");
  const str = (from: number, to: number): string => whole.slice(from, to);
  const tooLarge = `warren: request larger than maxFrameBytes (${o.maxFrameBytes})`;
  /** strchr(stream + p, c): the first c before a NUL or the end, or -1. */
  const strchr = (p: number, c: string): number => {
    const at = whole.indexOf(c, p);
    const nul = whole.indexOf("\0", p);
    return at < 0 || (nul >= 0 && nul < at) ? -1 : at;
  };
  /** line finds the terminator (CR or LF) of the line at p the way Redis does, or the event that ends the wait. */
  const line = (p: number, c: string, tooBig: string): number | Step => {
    const at = strchr(p, c);
    // More than maxLineBytes buffered with no terminator found: a one-byte reader learns it at byte p + maxLineBytes.
    if (at < 0) return n - p > o.maxLineBytes ? { failAt: p + o.maxLineBytes, error: tooBig } : "need";
    return at - p > o.maxLineBytes ? { failAt: p + o.maxLineBytes, error: tooBig } : at;
  };

  /** frame reads requests from p until one runs (folding the no-ops before it). */
  function frame(frameStart: number): Step {
    let p = frameStart;
    for (;;) {
      if (p >= n) return "need";
      if (stream[p] !== 0x2a) {
        const lf = line(p, "\n", "Protocol error: too big inline request");
        if (typeof lf !== "number") return lf;
        const content = str(p, lf).replace(/\r$/, "");
        if (/^[ \t\n\v\f\r]*$/.test(content)) {
          p = lf + 1;
          continue;
        }
        return { start: p, end: lf + 1, inline: true };
      }
      const cr = line(p, "\r", "Protocol error: too big mbulk count string");
      if (typeof cr !== "number") return cr;
      if (cr + 1 >= n) return "need";
      const count = string2ll(str(p + 1, cr));
      if (count === null || count > INT_MAX) return { failAt: cr + 1, error: "Protocol error: invalid multibulk length" };
      if (count > 10n && unauthenticated) return { failAt: cr + 1, error: "Protocol error: unauthenticated multibulk length" };
      let q = cr + 2;
      if (count <= 0n) {
        p = q;
        continue;
      }
      if (q - frameStart + Number(count) * 6 > o.maxFrameBytes) return { failAt: cr + 1, error: tooLarge };
      for (let k = 0n; k < count; k++) {
        const bcr = line(q, "\r", "Protocol error: too big bulk count string");
        if (typeof bcr !== "number") return bcr;
        if (bcr + 1 >= n) return "need";
        if (stream[q] !== 0x24) {
          const got = stream[q] === 0x0d || stream[q] === 0x0a ? " " : str(q, q + 1);
          return { failAt: bcr + 1, error: `Protocol error: expected '$', got '${got}'` };
        }
        const length = string2ll(str(q + 1, bcr));
        if (length === null || length < 0n || Number(length) > o.maxBulkBytes)
          return { failAt: bcr + 1, error: "Protocol error: invalid bulk length" };
        if (length > 16384n && unauthenticated) return { failAt: bcr + 1, error: "Protocol error: unauthenticated bulk length" };
        if (bcr + 2 - frameStart + Number(length) + 2 > o.maxFrameBytes) return { failAt: bcr + 1, error: tooLarge };
        q = bcr + 2 + Number(length) + 2;
        if (q > n) return "need";
      }
      return { start: p, end: q, inline: false };
    }
  }

  const ends: number[] = [];
  const inline: boolean[] = [];
  let p = 0;
  while (p < n) {
    // The byte that makes the frame maxFrameBytes long, if the frame has not ended by then.
    const lastByte = p + o.maxFrameBytes - 1;
    const step = frame(p);
    if (step === "need") {
      if (n - 1 >= lastByte) break;
      return { ends, inline, invalid: false, error: "", pending: n - p };
    }
    if ("failAt" in step) return { ends, inline, invalid: true, error: step.failAt <= lastByte ? step.error : tooLarge, pending: -1 };
    if (step.end - 1 > lastByte) break;
    ends.push(step.end);
    inline.push(step.inline);
    starts.push(step.start);
    p = step.end;
  }
  if (p >= n) return { ends, inline, invalid: false, error: "", pending: 0 };
  return { ends, inline, invalid: true, error: tooLarge, pending: -1 };
}

const BLANKS = /[ \t\n\v\f\r]*/y;
/** An unquoted word ends at space, tab, CR, LF or NUL only, or at a quote, which opens a quoted part. */
const BARE = /[^ \t\r\n\0"']*/y;
/** A double-quoted part: \xHH, \<any byte>, or a byte that is no quote, backslash or NUL. */
const DOUBLE = /"((?:\\x[0-9a-fA-F]{2}|\\[^\0]|[^"\\\0])*)"/y;
/** A single-quoted part: \' or any byte but a quote or NUL (a backslash before a quote is always the escape). */
const SINGLE = /'((?:\\'|\\(?!')|[^'\\\0])*)'/y;

/** sticky matches a sticky regular expression at `at`, returning the match and the index after it. */
function sticky(re: RegExp, s: string, at: number): [RegExpExecArray, number] | null {
  re.lastIndex = at;
  const m = re.exec(s);
  return m === null ? null : [m, re.lastIndex];
}

/** splitArgsReference is sdssplitargs on one line (a latin1 string without its LF and dropped CR); null on unbalanced quotes. */
export function splitArgsReference(lineText: string): string[] | null {
  const nul = lineText.indexOf("\0");
  const s = nul < 0 ? lineText : lineText.slice(0, nul);
  const args: string[] = [];
  let at = 0;
  for (;;) {
    at = sticky(BLANKS, s, at)![1];
    if (at === s.length) return args;
    const [bare, afterBare] = sticky(BARE, s, at)!;
    at = afterBare;
    const quote = s[at];
    if (quote !== '"' && quote !== "'") {
      args.push(bare[0]);
      continue;
    }
    const part = sticky(quote === '"' ? DOUBLE : SINGLE, s, at);
    // Unterminated, or a closing quote followed by something other than a blank.
    if (part === null || (part[1] < s.length && !/[ \t\n\v\f\r]/.test(s[part[1]]!))) return null;
    const content = part[0][1]!;
    args.push(bare[0] + (quote === '"' ? unescapeDouble(content) : content.replace(/\\'/g, "'")));
    at = part[1];
  }
}
function unescapeDouble(s: string): string {
  const named: Record<string, string> = { n: "\n", r: "\r", t: "\t", b: "\b", a: "\x07" };
  return s.replace(/\\x([0-9a-fA-F]{2})|\\([\s\S])/g, (_, hex: string | undefined, c: string | undefined) =>
    hex !== undefined ? String.fromCharCode(parseInt(hex, 16)) : (named[c!] ?? c!),
  );
}

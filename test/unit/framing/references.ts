import type { LengthFramerOptions } from "../../../src/framing/length.ts";
import type { RespFramerOptions } from "../../../src/framing/resp.ts";
import type { Outcome } from "./harness.ts";

/**
 * Reference framers for the fuzz test: slow, obvious, whole-buffer versions of
 * each specification, written differently from the incremental scanners (search,
 * BigInt, regular expressions, recursion) so that a shared mistake is unlikely.
 * Each takes a complete stream and returns the Outcome the scanner must reach.
 */

const NEED = -1;
const INVALID = -2;

/** outcomeOf applies a reference `frameAt` repeatedly from offset 0. */
function outcomeOf(stream: Uint8Array, frameAt: (p: number) => number): Outcome {
  const ends: number[] = [];
  let p = 0;
  while (p < stream.length) {
    const end = frameAt(p);
    if (end === INVALID) return { ends, invalid: true, pending: -1 };
    if (end === NEED) break;
    ends.push(end);
    p = end;
  }
  return { ends, invalid: false, pending: stream.length - p };
}

/** delimiterReference: a frame ends after the first occurrence of the delimiter. */
export function delimiterReference(stream: Uint8Array, delimiter: Uint8Array, maxFrameBytes: number): Outcome {
  return outcomeOf(stream, (p) => {
    for (let q = p; q + delimiter.length <= stream.length; q++) {
      if (delimiter.every((b, k) => stream[q + k] === b)) return q + delimiter.length - p > maxFrameBytes ? INVALID : q + delimiter.length;
    }
    return stream.length - p >= maxFrameBytes ? INVALID : NEED;
  });
}

/** lengthReference: reads the header with BigInt and checks the size exactly. */
export function lengthReference(stream: Uint8Array, o: LengthFramerOptions): Outcome {
  const header = o.lengthOffset + o.lengthBytes;
  const maxSafe = BigInt(Number.MAX_SAFE_INTEGER);
  return outcomeOf(stream, (p) => {
    if (stream.length - p < header) return NEED;
    const field = [...stream.subarray(p + o.lengthOffset, p + header)];
    if (o.endian === "little") field.reverse();
    const value = field.reduce((v, b) => v * 256n + BigInt(b), 0n);
    const total = (o.lengthIncludesHeader ? value : value + BigInt(header)) + BigInt(o.lengthAdjustment);
    if (value > maxSafe || total > maxSafe || total < BigInt(header) || Number(total) > o.maxFrameBytes) return INVALID;
    return p + Number(total) <= stream.length ? p + Number(total) : NEED;
  });
}

const TYPE_BYTES = "+-:(,#_$!=*~>%|";
const LINE_FULL: Record<string, RegExp> = {
  "+": /^[^\r\n]*$/,
  "-": /^[^\r\n]*$/,
  ":": /^[+-]?\d+$/,
  "(": /^[+-]?\d+$/,
  ",": /^[0-9+\-.eEiInNfFaA]+$/,
  "#": /^[tf]$/,
  _: /^$/,
  ".": /^$/,
};
const LINE_PREFIX: Record<string, RegExp> = {
  "+": /^[^\r\n]*$/,
  "-": /^[^\r\n]*$/,
  ":": /^[+-]?\d*$/,
  "(": /^[+-]?\d*$/,
  ",": /^[0-9+\-.eEiInNfFaA]*$/,
  "#": /^[tf]?$/,
  _: /^$/,
  ".": /^$/,
};
/** Length grammars per type: which of "-1" and "?" each allows besides a plain count. */
const NULLABLE = "$*";
const STREAMABLE = "$*%~";

const grammars = new Map<string, [RegExp, RegExp]>();

/** lengthGrammar is the [complete, prefix] grammar of a length line after `type`. */
function lengthGrammar(type: string): [RegExp, RegExp] {
  let g = grammars.get(type);
  if (g === undefined) {
    const nullable = NULLABLE.includes(type) ? "|-1" : "";
    const streamable = STREAMABLE.includes(type) ? "|\\?" : "";
    g = [new RegExp(`^(0|[1-9]\\d*${nullable}${streamable})$`), new RegExp(`^(|0|[1-9]\\d*${nullable ? "|-|-1" : ""}${streamable})$`)];
    grammars.set(type, g);
  }
  return g;
}

/** respReference parses each reply recursively with the same rules and limits as RespScanner (requests: request-reference.ts). */
export function respReference(stream: Uint8Array, o: RespFramerOptions): Outcome {
  const n = stream.length;
  const chr = (i: number): string => String.fromCharCode(stream[i]!);
  const str = (from: number, to: number): string => String.fromCharCode(...stream.subarray(from, to));
  let frameStart = 0;

  /** line reads a CR LF line whose content starts at p; returns [contentEnd, next] or a status. */
  function line(p: number, full: RegExp, prefix: RegExp, maxBytes: number): number | [number, number] {
    let cr = p;
    while (cr < n && stream[cr] !== 13) cr++;
    const content = str(p, cr);
    if (content.length > maxBytes) return INVALID;
    if (cr === n) return prefix.test(content) ? NEED : INVALID;
    if (!full.test(content)) return INVALID;
    if (cr + 1 === n) return NEED;
    return stream[cr + 1] === 10 ? [cr, cr + 2] : INVALID;
  }

  /** length reads a length line after a type byte at p; returns [value ("?" = -3, "-1" = -1), next] or a status. */
  function length(p: number, type: string): number | [number, number] {
    const [full, prefix] = lengthGrammar(type);
    const r = line(p + 1, full, /^[\s\S]*$/, Infinity);
    let cr = p + 1;
    while (cr < n && stream[cr] !== 13) cr++;
    const content = str(p + 1, cr);
    if (!prefix.test(content) || (/^\d+$/.test(content) && Number(content) > Number.MAX_SAFE_INTEGER)) return INVALID;
    if (typeof r === "number") return r;
    return [content === "?" ? -3 : Number(content), r[1]];
  }

  function payload(h: number, size: number): number {
    if (size > o.maxBulkBytes || h - frameStart + size + 2 > o.maxFrameBytes) return INVALID;
    if (h + size >= n) return NEED;
    if (stream[h + size] !== 13) return INVALID;
    if (h + size + 1 >= n) return NEED;
    return stream[h + size + 1] === 10 ? h + size + 2 : INVALID;
  }

  /** value parses one value at p inside `depth` open aggregates; `streamed` says the innermost is streamed. */
  function value(p: number, depth: number, streamed: boolean): number {
    if (p >= n) return NEED;
    const type = chr(p);
    if (!TYPE_BYTES.includes(type) && !(type === "." && streamed)) return INVALID;
    if (type in LINE_FULL) {
      const r = line(p + 1, LINE_FULL[type]!, LINE_PREFIX[type]!, o.maxLineBytes);
      return typeof r === "number" ? r : r[1];
    }
    const r = length(p, type);
    if (typeof r === "number") return r;
    const [count, h] = r;
    if (count === -1) return h;
    if ("$!=".includes(type)) {
      if (count !== -3) return type === "=" && count < 4 ? INVALID : payload(h, count);
      for (let q = h; ; ) {
        if (q >= n) return NEED;
        if (chr(q) !== ";") return INVALID;
        const c = length(q, ";");
        if (typeof c === "number") return c;
        if (c[0] === 0) return c[1];
        q = payload(c[1], c[0]);
        if (q < 0) return q;
      }
    }
    if (count === -3) {
      if (depth >= o.maxDepth) return INVALID;
      for (let q = h; ; ) {
        if (q < n && chr(q) === ".") return value(q, depth + 1, true);
        q = value(q, depth + 1, true);
        if (q < 0) return q;
      }
    }
    if (count > 2 ** 32 - 1) return INVALID;
    const values = type === "%" ? 2 * count : type === "|" ? 2 * count + 1 : count;
    if (values === 0) return h;
    if (h - frameStart + values * 3 > o.maxFrameBytes || depth >= o.maxDepth) return INVALID;
    let q = h;
    for (let k = 0; k < values; k++) {
      q = value(q, depth + 1, false);
      if (q < 0) return q;
    }
    return q;
  }

  /** frame parses one top-level value. */
  function frame(p: number): number {
    frameStart = p;
    return value(p, 0, false);
  }

  return outcomeOf(stream, (p) => {
    const end = frame(p);
    if (end >= 0) return end - p > o.maxFrameBytes ? INVALID : end;
    if (end === NEED && n - p >= o.maxFrameBytes) return INVALID;
    return end;
  });
}

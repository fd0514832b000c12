/**
 * The PROXY parser's test harness: a header built by hand (independently of src/edge/proxy-encode.ts),
 * fed to a fresh parser cut at given indices, each chunk a view into a larger buffer between junk bytes,
 * so a parser that reads outside its chunk, or reports a chunk-relative offset wrongly, is caught.
 */
import { PP_FAILED, PP_NEED_MORE, ProxyParser } from "../../../src/edge/proxy-parser.ts";
import type { ProxyAccept, ProxyFailure, ProxyHeader } from "../../../src/edge/proxy-header.ts";

export const SIG = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];

/** latin1 bytes of a string. */
export function bytes(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
}

export function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  const all = parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p)));
  const out = new Uint8Array(all.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of all) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

export function tlv(type: number, value: Uint8Array | number[] | string): Uint8Array {
  const v = typeof value === "string" ? new TextEncoder().encode(value) : value instanceof Uint8Array ? value : Uint8Array.from(value);
  return concat([type, v.byteLength >> 8, v.byteLength & 0xff], v);
}

/** v2 builds a v2 header: version/command byte, family byte, and the body (addresses, TLVs), its length field computed unless given. */
export function v2(verCmd: number, fam: number, body: Uint8Array | number[] = [], length?: number): Uint8Array {
  const b = body instanceof Uint8Array ? body : Uint8Array.from(body);
  const len = length ?? b.byteLength;
  return concat(SIG, [verCmd, fam, len >> 8, len & 0xff], b);
}

export function ipv4Body(src: number[], dst: number[], sport: number, dport: number): number[] {
  return [...src, ...dst, sport >> 8, sport & 0xff, dport >> 8, dport & 0xff];
}

/** What a parser made of one input. */
export interface Outcome {
  header: ProxyHeader | null;
  /** Absolute offset of the stream after the header (−1 unless done). */
  streamAt: number;
  failure: ProxyFailure | null;
  /** Absolute offset at the end of the chunk whose feed failed (−1 unless failed). */
  failedAfter: number;
}

const JUNK = bytes("\r\nPROXY \r\n\0");

/** feedCuts feeds input[cuts[k], cuts[k+1]) in turn; cuts start at 0 and end at input.length. */
export function feedCuts(input: Uint8Array, cuts: readonly number[], accept: ProxyAccept = "any", maxV2Bytes?: number): Outcome {
  const p = new ProxyParser(accept, maxV2Bytes);
  for (let k = 0; k + 1 < cuts.length; k++) {
    const from = cuts[k]!;
    const to = cuts[k + 1]!;
    const frame = new Uint8Array(JUNK.length * 2 + to - from);
    frame.set(JUNK, 0);
    frame.set(input.subarray(from, to), JUNK.length);
    frame.set(JUNK, JUNK.length + to - from);
    const chunk = frame.subarray(JUNK.length, JUNK.length + to - from);
    const r = p.feed(chunk);
    if (r === PP_NEED_MORE) continue;
    if (r === PP_FAILED) return { header: null, streamAt: -1, failure: p.failure, failedAfter: to };
    if (!Number.isInteger(r) || r < 0 || r > chunk.byteLength) throw new Error(`feed returned ${r} for a ${chunk.byteLength}-byte chunk`);
    return { header: p.header, streamAt: from + r, failure: null, failedAfter: -1 };
  }
  return { header: null, streamAt: -1, failure: null, failedAfter: -1 };
}

export const whole = (n: number): number[] => [0, n];
export const byteByByte = (n: number): number[] => Array.from({ length: n + 1 }, (_, i) => i);
export const splitAt = (n: number, k: number): number[] => (k <= 0 || k >= n ? [0, n] : [0, k, n]);

/** everyCut: whole, byte by byte, and split in two at every index. */
export function everyCut(n: number): number[][] {
  const out = [whole(n), byteByByte(n)];
  for (let k = 1; k < n; k++) out.push(splitAt(n, k));
  return out;
}

/**
 * The request mix, built once per load-generator process: many RESP GET/SET
 * commands laid end to end in one buffer, so a batch of k requests is one
 * subarray and one write (no encoding, no allocation while measuring).
 */

export interface MixParams {
  keys: number;
  valueMinBytes: number;
  valueMaxBytes: number;
  setRatio: number;
}

/** RequestMix: request i is bytes[offsets[i], offsets[i + 1]). */
export interface RequestMix {
  readonly bytes: Uint8Array;
  readonly offsets: Uint32Array;
  readonly count: number;
}

/** Requests in one mix: enough that no two clients walk the same stretch in step. */
const MIX_SIZE = 16_384;

const encoder = new TextEncoder();

/** mulberry32: a seeded PRNG, so every target sees the same sequence of commands. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function bulk(s: string): string {
  return `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
}

/** setCommand encodes SET key value, used by the mix and to preload every key. */
export function setCommand(key: string, value: string): string {
  return `*3\r\n${bulk("SET")}${bulk(key)}${bulk(value)}`;
}

function getCommand(key: string): string {
  return `*2\r\n${bulk("GET")}${bulk(key)}`;
}

/** value makes a printable value of `n` bytes. */
export function value(n: number, rand: () => number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += String.fromCharCode(0x61 + Math.floor(rand() * 26));
  return s;
}

export function buildMix(p: MixParams, seed = 1): RequestMix {
  const rand = prng(seed);
  const parts: string[] = [];
  for (let i = 0; i < MIX_SIZE; i++) {
    const key = `key:${Math.floor(rand() * p.keys)}`;
    if (rand() < p.setRatio) {
      const n = p.valueMinBytes + Math.floor(rand() * (p.valueMaxBytes - p.valueMinBytes + 1));
      parts.push(setCommand(key, value(n, rand)));
    } else parts.push(getCommand(key));
  }
  const encoded = parts.map((s) => encoder.encode(s));
  const offsets = new Uint32Array(MIX_SIZE + 1);
  for (let i = 0; i < MIX_SIZE; i++) offsets[i + 1] = offsets[i]! + encoded[i]!.byteLength;
  const bytes = new Uint8Array(offsets[MIX_SIZE]!);
  for (let i = 0; i < MIX_SIZE; i++) bytes.set(encoded[i]!, offsets[i]!);
  return { bytes, offsets, count: MIX_SIZE };
}

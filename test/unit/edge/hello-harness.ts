/**
 * The ClientHello reader's harness: hellos built by hand from the RFCs' structures (independent of the
 * reader), split into records and fed cut at given indices, each chunk a view into a larger buffer
 * between junk bytes, so a reader that looks outside its chunk is caught.
 */
import { CH_NEED_MORE, ClientHelloReader, type ClientHelloStatus } from "../../../src/edge/client-hello.ts";
import { concat } from "./harness.ts";

const u16 = (n: number): number[] => [(n >> 8) & 0xff, n & 0xff];
const u24 = (n: number): number[] => [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);

export function extension(type: number, body: Uint8Array | number[]): Uint8Array {
  const b = body instanceof Uint8Array ? body : Uint8Array.from(body);
  return concat(u16(type), u16(b.byteLength), b);
}

export function sniExtension(...names: string[]): Uint8Array {
  const list = concat(...names.map((n) => concat([0], u16(n.length), ascii(n))));
  return extension(0, concat(u16(list.byteLength), list));
}

export function alpnExtension(...protocols: string[]): Uint8Array {
  const list = concat(...protocols.map((p) => concat([p.length], ascii(p))));
  return extension(16, concat(u16(list.byteLength), list));
}

/** helloMessage is a ClientHello handshake message (type 1, 3-byte length) with these extensions (null: no extensions block). */
export function helloMessage(
  extensions: Uint8Array[] | null,
  opts: { sessionId?: number; suites?: number; padTo?: number } = {},
): Uint8Array {
  const sessionId = new Uint8Array(opts.sessionId ?? 32).fill(7);
  const suites = new Uint8Array(opts.suites ?? 4).fill(0x13);
  let exts = extensions === null ? null : concat(...extensions);
  if (exts !== null && opts.padTo !== undefined) {
    const base = 2 + 32 + 1 + sessionId.byteLength + 2 + suites.byteLength + 2 + 2 + exts.byteLength + 4 + 4;
    exts = concat(exts, extension(21, new Uint8Array(Math.max(0, opts.padTo - base)))); // RFC 7685 padding
  }
  const body = concat(
    [3, 3],
    new Uint8Array(32).fill(0xab),
    [sessionId.byteLength],
    sessionId,
    u16(suites.byteLength),
    suites,
    [1, 0],
    exts === null ? [] : concat(u16(exts.byteLength), exts),
  );
  return concat([1], u24(body.byteLength), body);
}

/** records cuts a handshake stream into TLS handshake records of at most `size` payload bytes each. */
export function records(handshake: Uint8Array, size = 16384): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let at = 0; at < handshake.byteLength; at += size) {
    const piece = handshake.subarray(at, Math.min(handshake.byteLength, at + size));
    parts.push(concat([22, 3, 1], u16(piece.byteLength), piece));
  }
  return concat(...parts);
}

export function hello(serverName: string | null, alpn: string[] = [], recordSize?: number): Uint8Array {
  const exts = [
    ...(serverName === null ? [] : [sniExtension(serverName)]),
    ...(alpn.length > 0 ? [alpnExtension(...alpn)] : []),
    extension(43, [2, 3, 4]),
  ];
  return records(helloMessage(exts), recordSize);
}

export interface HelloOutcome {
  status: ClientHelloStatus;
  serverName: string | null;
  alpn: string[];
  length: number;
  /** What held() gave, if the reader held the bytes. */
  held: Uint8Array | null;
}

const JUNK = Uint8Array.from([22, 3, 1, 0xff, 0xff, 0]);

/** feedCuts feeds input[cuts[k], cuts[k+1]) in turn until the reader answers; cuts start at 0 and end at input.length. */
export function feedHello(input: Uint8Array, cuts: readonly number[], maxBytes = 16384): HelloOutcome {
  const r = new ClientHelloReader(maxBytes);
  let status: ClientHelloStatus = CH_NEED_MORE;
  for (let k = 0; k + 1 < cuts.length && status === CH_NEED_MORE; k++) {
    const piece = input.subarray(cuts[k]!, cuts[k + 1]!);
    const framed = concat(JUNK, piece, JUNK);
    status = r.feed(framed.subarray(JUNK.byteLength, JUNK.byteLength + piece.byteLength));
  }
  return { status, serverName: r.serverName, alpn: r.alpn, length: r.length, held: r.held() };
}

export function whole(input: Uint8Array): number[] {
  return [0, input.byteLength];
}

export function byteByByte(input: Uint8Array): number[] {
  return Array.from({ length: input.byteLength + 1 }, (_, i) => i);
}

export function splitAt(input: Uint8Array, i: number): number[] {
  return i === 0 || i === input.byteLength ? [0, input.byteLength] : [0, i, input.byteLength];
}

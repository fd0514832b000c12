import { type ProxyAccept, type ProxyFailure, type ProxyHeader, V1_MAX_BYTES, V2_FIXED_BYTES, V2_MAX_BYTES } from "./proxy-header.ts";
import { scanV1 } from "./proxy-v1.ts";
import { scanV2 } from "./proxy-v2.ts";
import { PP_FAILED, PP_NEED_MORE, type ScanSink } from "./scan.ts";

export { PP_FAILED, PP_NEED_MORE } from "./scan.ts";

/**
 * ProxyParser reads one connection's PROXY header (v1 or v2, as `accept` allows) from its first chunks.
 * `feed(chunk)` returns PP_NEED_MORE, PP_FAILED (then `failure` and `reason` say why), or the offset in
 * `chunk` where the stream after the header begins (then `header` holds it; bytes from there on are
 * the client's, untouched). It never throws, whatever the bytes.
 *
 * It copies nothing when a chunk holds the whole header, which is how senders write it (the spec asks
 * them to send it at once). A header cut across chunks is gathered into a buffer sized for that header
 * only (107 bytes for v1; 16, then the announced length, for v2), and of each later chunk only the bytes
 * that can still belong to the header are copied. A header is known to fail as soon as its first bytes
 * say so: the first byte is neither "P" nor CR, the signature diverges, the v2 length is over the limit.
 */
export class ProxyParser implements ScanSink {
  header: ProxyHeader | null = null;
  failure: ProxyFailure | null = null;
  reason = "";
  /** The header's bytes so far when it spans chunks, and how many; null until a chunk ends mid-header. */
  private held: Uint8Array | null = null;
  private heldBytes = 0;

  constructor(
    readonly accept: ProxyAccept = "any",
    readonly maxV2Bytes: number = V2_MAX_BYTES,
  ) {}

  feed(chunk: Uint8Array): number {
    if (this.failure !== null) return PP_FAILED;
    if (this.header !== null) return 0; // done already: everything is stream
    if (this.heldBytes === 0) {
      const r = this.scan(chunk, chunk.byteLength);
      if (r === PP_NEED_MORE && chunk.byteLength > 0) this.hold(chunk, 0, chunk.byteLength);
      return r;
    }
    const before = this.heldBytes;
    let from = 0;
    for (;;) {
      const take = Math.min(this.room(), chunk.byteLength - from);
      this.hold(chunk, from, take);
      from += take;
      const r = this.scan(this.held!, this.heldBytes);
      if (r === PP_FAILED) return r;
      if (r >= 0) {
        this.held = null; // the header is parsed out of it: nothing keeps it
        return r - before;
      }
      // Out of room but not complete: the v2 length has just become known, so there is room now.
      if (from === chunk.byteLength) return PP_NEED_MORE;
    }
  }

  done(header: ProxyHeader): number {
    this.header = header;
    return header.length;
  }

  fail(code: ProxyFailure, reason: string): number {
    this.failure = code;
    this.reason = reason;
    this.held = null;
    return PP_FAILED;
  }

  private scan(buf: Uint8Array, len: number): number {
    if (len === 0) return PP_NEED_MORE;
    const first = buf[0];
    if (first === 0x50) return scanV1(buf, len, this); // "P"
    if (first === 0x0d) return scanV2(buf, len, this); // CR
    return this.fail("PROXY_MISSING", "the connection does not start with a PROXY header");
  }

  /** room is how many more bytes the header being gathered can take, as far as its bytes so far tell. */
  private room(): number {
    const held = this.held!;
    if (held[0] === 0x50) return V1_MAX_BYTES - this.heldBytes;
    if (this.heldBytes < V2_FIXED_BYTES) return V2_FIXED_BYTES - this.heldBytes;
    return V2_FIXED_BYTES + ((held[14]! << 8) | held[15]!) - this.heldBytes;
  }

  /** hold appends chunk[from, from + n) to the gathered header, growing the buffer to what it needs. */
  private hold(chunk: Uint8Array, from: number, n: number): void {
    const need = this.heldBytes + n;
    let held = this.held;
    if (held === null || held.byteLength < need) {
      // v1 takes at most 107 bytes; v2 its 16 fixed bytes, then exactly its announced length (which the
      // scan has checked against maxV2Bytes). Past 16 bytes the length is in `held`, or, for a first
      // chunk held whole, in the chunk itself.
      const v1 = (held === null ? chunk[from] : held[0]) === 0x50;
      let size = V2_FIXED_BYTES;
      if (v1) size = V1_MAX_BYTES;
      else if (need > V2_FIXED_BYTES) {
        const fixed = held !== null && this.heldBytes >= V2_FIXED_BYTES ? held : chunk;
        size = V2_FIXED_BYTES + ((fixed[14]! << 8) | fixed[15]!);
      }
      const next = new Uint8Array(Math.max(size, need));
      if (held !== null) next.set(held.subarray(0, this.heldBytes));
      this.held = held = next;
    }
    held.set(chunk.subarray(from, from + n), this.heldBytes);
    this.heldBytes = need;
  }
}

/** The first buffer a partial request gets; it doubles as the request grows. */
const INITIAL_BYTES = 4096;
const EMPTY = new Uint8Array(0);

/**
 * PartialRequest holds the bytes of a client's request that has not been read whole yet. They are
 * copied into one growing buffer rather than kept as chunk references: a client sending one byte per
 * segment would otherwise cost a whole ArrayBuffer (~9× the bytes, measured) per byte. The pool bounds
 * it: past highWaterBytes the request is streamed instead (see intake.ts), so a client's buffered
 * request never exceeds that bound plus one chunk.
 */
export class PartialRequest {
  private buf: Uint8Array = EMPTY;
  /** Bytes held. */
  length = 0;

  append(chunk: Uint8Array, start: number, end: number): void {
    const n = end - start;
    const need = this.length + n;
    if (need > this.buf.byteLength) {
      let size = Math.max(INITIAL_BYTES, this.buf.byteLength * 2);
      while (size < need) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
    }
    this.buf.set(chunk.subarray(start, end), this.length);
    this.length = need;
  }

  /** The bytes held, as a view (valid until the next append or take). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }

  /** take hands over the bytes held (the buffer goes with them) and empties the request. */
  take(): Uint8Array {
    const out = this.buf.subarray(0, this.length);
    this.buf = EMPTY;
    this.length = 0;
    return out;
  }

  clear(): void {
    this.buf = EMPTY;
    this.length = 0;
  }
}

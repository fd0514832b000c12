/**
 * The framer contract for warren's pooled n:1 mode. A pooled connection carries
 * many clients' requests over one backend socket, so the pool must know where each
 * request and each response ends while forwarding the bytes untouched. A
 * FrameScanner answers only that question: it never copies, decodes or buffers
 * payload, and it keeps a few numbers of state so a frame may arrive in any number
 * of chunks (a 100 MB Redis bulk string arrives in thousands of them).
 */

/** Returned by feed when every byte given belongs to a frame that is not complete yet. */
export const NEED_MORE = -1;
/** Returned by feed when the bytes cannot be a valid frame (or exceed maxFrameBytes); the stream is unusable afterwards until reset(). */
export const INVALID = -2;

/** FrameScanner finds frame boundaries in a byte stream, one frame at a time. */
export interface FrameScanner {
  /**
   * Scan buf[start, end). Returns the index (absolute, in buf, start < i <= end) just past the
   * end of the current frame when the frame completes inside this range — the caller then calls
   * feed(buf, i, end) again for the next frame — or NEED_MORE when all of [start,end) was consumed
   * into the still-incomplete current frame (state is kept for the next chunk), or INVALID.
   * Never throws on any input, never allocates per call on the common path, never copies payload.
   */
  feed(buf: Uint8Array, start: number, end: number): number;
  /** Bytes of the current (incomplete) frame consumed so far; 0 between frames. */
  readonly pending: number;
  /** Forget any partial frame (after a connection is reset). */
  reset(): void;
}

/** FramerFactory makes one scanner per stream direction per connection; scanners share nothing. */
export interface FramerFactory {
  create(): FrameScanner;
}

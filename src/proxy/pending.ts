import type { Socket } from "bun";

/** Small queued chunks are merged into one write up to this size: one syscall instead of many. */
const COALESCE_BYTES = 64 * 1024;
/** Shared by every empty queue; never written to (grow() replaces it before the first push). */
const EMPTY_RING: (Uint8Array | undefined)[] = [];

/**
 * PendingBytes is the bounded write queue for one direction of a session: the
 * bytes a sink socket has not accepted yet, in order. Chunks are kept by
 * reference (Bun gives each `data` event its own buffer; test/integration/
 * bun-sockets.test.ts pins that), so queuing costs no copy; only the unsent tail
 * of a short write is re-sliced. It is a ring buffer, never `Array#shift`.
 *
 * The queue itself does not enforce the bound: the session pauses the source
 * once `bytes` reaches the high-water mark, so at most one more chunk lands.
 */
export class PendingBytes {
  /** Bytes queued. */
  bytes = 0;
  /** The largest `bytes` ever reached, for stats and the backpressure tests. */
  peakBytes = 0;
  // Allocated on first use: most sessions never queue, and idle memory per session counts.
  private ring: (Uint8Array | undefined)[] = EMPTY_RING;
  private head = 0;
  private count = 0;

  get chunks(): number {
    return this.count;
  }

  push(chunk: Uint8Array): void {
    if (this.count === this.ring.length) this.grow();
    this.ring[(this.head + this.count) & (this.ring.length - 1)] = chunk;
    this.count++;
    this.bytes += chunk.byteLength;
    if (this.bytes > this.peakBytes) this.peakBytes = this.bytes;
  }

  /**
   * flushTo writes queued bytes to `socket` until it is empty or the socket
   * takes less than offered. Returns the bytes still queued, or -1 when the
   * socket is closed (the queue is then cleared: nothing can be delivered).
   */
  flushTo(socket: Socket<unknown>): number {
    while (this.count > 0) {
      if (this.count > 1 && this.bytes <= COALESCE_BYTES) this.coalesce();
      const mask = this.ring.length - 1;
      const chunk = this.ring[this.head]!;
      const written = socket.write(chunk);
      if (written < 0) {
        this.clear();
        return -1;
      }
      this.bytes -= written;
      if (written < chunk.byteLength) {
        this.ring[this.head] = chunk.subarray(written);
        return this.bytes;
      }
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) & mask;
      this.count--;
    }
    return 0;
  }

  clear(): void {
    if (this.count > 0) this.ring.fill(undefined);
    this.head = 0;
    this.count = 0;
    this.bytes = 0;
  }

  /** Merge every queued chunk into one buffer (only when their total is small). */
  private coalesce(): void {
    const merged = new Uint8Array(this.bytes);
    const mask = this.ring.length - 1;
    let offset = 0;
    for (let i = 0; i < this.count; i++) {
      const idx = (this.head + i) & mask;
      const chunk = this.ring[idx]!;
      merged.set(chunk, offset);
      offset += chunk.byteLength;
      this.ring[idx] = undefined;
    }
    this.head = 0;
    this.count = 1;
    this.ring[0] = merged;
  }

  private grow(): void {
    const next: (Uint8Array | undefined)[] = new Array(Math.max(4, this.ring.length * 2));
    const mask = this.ring.length - 1;
    for (let i = 0; i < this.count; i++) next[i] = this.ring[(this.head + i) & mask];
    this.ring = next;
    this.head = 0;
  }
}

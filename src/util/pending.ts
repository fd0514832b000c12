import type { Socket } from "bun";
import { Ring } from "./ring.ts";

/** Small queued chunks are merged into one write up to this size: one syscall instead of many. */
const COALESCE_BYTES = 64 * 1024;

/**
 * PendingBytes is the bounded write queue for one direction of a session: the bytes a sink socket has
 * not accepted yet, in order. Chunks are kept by reference (Bun gives each `data` event its own buffer;
 * test/integration/bun-sockets.test.ts pins that), so queuing costs no copy; only the unsent tail of a
 * short write is re-sliced. The chunks sit in a Ring, allocated on first use: most sessions never queue,
 * and idle memory per session counts.
 *
 * The queue itself does not enforce the bound: the session pauses the source once `bytes` reaches the
 * high-water mark, so at most one more chunk lands.
 */
export class PendingBytes {
  /** Bytes queued. */
  bytes = 0;
  /** The largest `bytes` ever reached, for stats and the backpressure tests. */
  peakBytes = 0;
  private readonly ring = new Ring<Uint8Array>();

  get chunks(): number {
    return this.ring.length;
  }

  push(chunk: Uint8Array): void {
    this.ring.push(chunk);
    this.bytes += chunk.byteLength;
    if (this.bytes > this.peakBytes) this.peakBytes = this.bytes;
  }

  /** unshift queues `chunk` ahead of everything queued: it is written first (a PROXY header before early data). */
  unshift(chunk: Uint8Array): void {
    this.ring.unshift(chunk);
    this.bytes += chunk.byteLength;
    if (this.bytes > this.peakBytes) this.peakBytes = this.bytes;
  }

  /**
   * flushTo writes queued bytes to `socket` until it is empty or the socket takes less than offered.
   * Returns the bytes still queued, or -1 when the socket is closed (the queue is then cleared: nothing
   * can be delivered).
   */
  flushTo<D>(socket: Socket<D>): number {
    const ring = this.ring;
    while (ring.length > 0) {
      if (ring.length > 1 && this.bytes <= COALESCE_BYTES) this.coalesce();
      const chunk = ring.peek()!;
      const written = socket.write(chunk);
      if (written < 0) {
        this.clear();
        return -1;
      }
      this.bytes -= written;
      if (written < chunk.byteLength) {
        ring.replaceHead(chunk.subarray(written));
        return this.bytes;
      }
      ring.shift();
    }
    return 0;
  }

  clear(): void {
    this.ring.clear();
    this.bytes = 0;
  }

  /** Merge every queued chunk into one buffer (only when their total is small). */
  private coalesce(): void {
    const merged = new Uint8Array(this.bytes);
    let offset = 0;
    const ring = this.ring;
    while (ring.length > 0) {
      const chunk = ring.shift()!;
      merged.set(chunk, offset);
      offset += chunk.byteLength;
    }
    ring.push(merged);
  }
}

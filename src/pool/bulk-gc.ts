/**
 * Memory of bulk transfers through the pool. Bun hands every socket read a buffer of its own (up to 512
 * KiB, copied out of its shared read buffer), and under a bulk stream its collector runs far behind
 * them: 8 clients streaming a 200 MiB SET each through the pool peaked at ~100 MiB RSS with every
 * buffer warren holds bounded by highWaterBytes, ~10 MiB of it live (measured with a full collection
 * between samples). A full collection after every COLLECT_EVERY_BYTES of request or reply bytes streamed
 * (those larger than highWaterBytes, the only ones that produce garbage at that rate) brought the peak
 * to ~58 MiB, for about 7% of the stream's CPU time; ordinary traffic never reaches it.
 */
const COLLECT_EVERY_BYTES = 8 * 1024 * 1024;

let streamedBytes = 0;

/** noteStreamed counts bytes of a large request or reply that went through; it collects garbage every COLLECT_EVERY_BYTES. */
export function noteStreamed(bytes: number): void {
  streamedBytes += bytes;
  if (streamedBytes < COLLECT_EVERY_BYTES) return;
  streamedBytes = 0;
  Bun.gc(true);
}

/**
 * Partial requests arriving in tiny segments are the other storm of garbage: every segment is a Buffer
 * of its own, copied into the client's one partial buffer and dropped. TINY_SEGMENTS_PER_COLLECT of
 * them trigger a young-generation collection (~0.1 ms): measured with 32 clients sending 32 KiB each one
 * byte per segment, RSS grew 12.7 MiB without it and 8.9 MiB with it (5.5 MiB for the same bytes in
 * whole writes), so such a client costs memory in proportion to the bytes it sent.
 */
const TINY_SEGMENTS_PER_COLLECT = 128;
const TINY_SEGMENT_BYTES = 256;
let tinySegments = 0;

/** noteSegment counts one piece of a partial request. */
export function noteSegment(bytes: number): void {
  if (bytes > TINY_SEGMENT_BYTES || ++tinySegments < TINY_SEGMENTS_PER_COLLECT) return;
  tinySegments = 0;
  Bun.gc(false);
}

/**
 * Framers: scan throughput of the pooled mode's boundary scanners.
 * Run: node_modules/.bin/bun bench/micro/framing.bench.ts
 *
 * Each "64 KiB of ..." case scans one 64 KiB buffer (a typical socket read) of
 * back-to-back frames from start to end, one feed per frame, the way the pool
 * will; the large-frame cases feed one big frame as 64 KiB chunks. After mitata's
 * table, one line per case gives bytes per second and time per frame from the median.
 */
import { bench, do_not_optimize, group, run, summary } from "mitata";
import { delimiterFramer } from "../../src/framing/delimiter.ts";
import { FramerError } from "../../src/framing/errors.ts";
import { type FrameScanner, type FramerFactory, NEED_MORE } from "../../src/framing/framer.ts";
import { lengthFramer } from "../../src/framing/length.ts";
import { respCommandName, respFramer } from "../../src/framing/resp.ts";

const CHUNK_BYTES = 64 * 1024;
const encoder = new TextEncoder();

function must(factory: FramerFactory | FramerError): FramerFactory {
  if (factory instanceof FramerError) throw factory;
  return factory;
}

/** fill repeats frames from `make(k)` while they fit in CHUNK_BYTES; returns the buffer cut at the last whole frame. */
function fill(make: (k: number) => Uint8Array): { buf: Uint8Array; frames: number } {
  const buf = new Uint8Array(CHUNK_BYTES);
  let at = 0;
  let k = 0;
  for (let frame = make(0); at + frame.length <= CHUNK_BYTES; frame = make(++k)) {
    buf.set(frame, at);
    at += frame.length;
  }
  return { buf: buf.subarray(0, at), frames: k };
}

/** scanAll feeds buf frame by frame and returns the frame count, which must match what fill made. */
function scanAll(s: FrameScanner, buf: Uint8Array): number {
  let frames = 0;
  for (let i = 0; i < buf.length; frames++) {
    const r = s.feed(buf, i, buf.length);
    if (r < 0) throw new Error(`scan stopped at ${i} with ${r}`);
    i = r;
  }
  return frames;
}

/** scanChunks feeds one large frame as head + chunks + tail and checks it ends exactly at the tail's end. */
function scanChunks(s: FrameScanner, head: Uint8Array, chunk: Uint8Array, count: number, tail: Uint8Array): number {
  if (s.feed(head, 0, head.length) !== NEED_MORE) throw new Error("head completed a frame");
  for (let k = 0; k < count; k++) if (s.feed(chunk, 0, chunk.length) !== NEED_MORE) throw new Error("chunk completed a frame");
  return s.feed(tail, 0, tail.length);
}

const pad = (k: number, width: number): string => String(k).padStart(width, "0");
const throughput: { name: string; bytes: number; frames: number }[] = [];

function scanCase(name: string, factory: FramerFactory, buf: Uint8Array, frames: number): void {
  const s = factory.create();
  if (scanAll(s, buf) !== frames) throw new Error(`${name}: wrong frame count`);
  throughput.push({ name, bytes: buf.length, frames });
  bench(name, () => do_not_optimize(scanAll(s, buf)));
}

// RESP requests as redis-benchmark sends them: SET key:NNNNNNNN <16-byte value>, and GETs.
const setFrames = fill((k) => encoder.encode(`*3\r\n$3\r\nSET\r\n$12\r\nkey:${pad(k, 8)}\r\n$16\r\n${pad(k, 16)}\r\n`));
const getFrames = fill((k) => encoder.encode(`*2\r\n$3\r\nGET\r\n$12\r\nkey:${pad(k, 8)}\r\n`));
const inlineFrames = fill((k) => encoder.encode(`GET key:${pad(k, 8)}\r\n`));
const replyFrames = fill((k) => encoder.encode(k % 2 === 0 ? "+OK\r\n" : `$16\r\n${pad(k, 16)}\r\n`));
const arrayReplies = fill((k) => encoder.encode(`*10\r\n${`$12\r\nkey:${pad(k, 8)}\r\n`.repeat(10)}`));
// As the pool uses them: requests with the default limits (RespRequestScanner), replies without a frame limit.
const requests = must(respFramer());
const replies = must(respFramer({ inline: false, maxFrameBytes: Infinity }));

group("RESP", () => {
  summary(() => {
    scanCase(`64 KiB of SET requests (${setFrames.frames} frames)`, requests, setFrames.buf, setFrames.frames);
    scanCase(`64 KiB of GET requests (${getFrames.frames} frames)`, requests, getFrames.buf, getFrames.frames);
    scanCase(`64 KiB of inline GETs (${inlineFrames.frames} frames)`, requests, inlineFrames.buf, inlineFrames.frames);
    scanCase(`64 KiB of +OK / 16 B bulk replies (${replyFrames.frames} frames)`, replies, replyFrames.buf, replyFrames.frames);
    scanCase(`64 KiB of 10-key array replies (${arrayReplies.frames} frames)`, replies, arrayReplies.buf, arrayReplies.frames);
  });

  const bulkBytes = 1024 * 1024;
  const head = encoder.encode(`$${bulkBytes}\r\n`);
  const chunk = new Uint8Array(CHUNK_BYTES).fill(0x78);
  const tail = encoder.encode("\r\n");
  const s = replies.create();
  throughput.push({ name: "1 MiB bulk reply in 64 KiB chunks", bytes: head.length + bulkBytes + 2, frames: 1 });
  bench("1 MiB bulk reply in 64 KiB chunks", () => do_not_optimize(scanChunks(s, head, chunk, bulkBytes / CHUNK_BYTES, tail)));

  const setHead = encoder.encode(`*3\r\n$3\r\nSET\r\n$12\r\nkey:00000000\r\n$${bulkBytes}\r\n`);
  const r = requests.create();
  throughput.push({ name: "1 MiB SET request in 64 KiB chunks", bytes: setHead.length + bulkBytes + 2, frames: 1 });
  bench("1 MiB SET request in 64 KiB chunks", () => do_not_optimize(scanChunks(r, setHead, chunk, bulkBytes / CHUNK_BYTES, tail)));

  const frame = setFrames.buf.subarray(0, 45);
  bench("respCommandName of one SET frame", () => do_not_optimize(respCommandName(frame, 0, frame.length)));
});

// Length-prefixed: 4-byte big-endian length, 60-byte payload.
const lengthFrames = fill(() => {
  const f = new Uint8Array(64).fill(0x70);
  new DataView(f.buffer).setUint32(0, 60);
  return f;
});
const length = must(lengthFramer({ lengthBytes: 4, maxFrameBytes: Infinity }));

group("length-prefixed", () => {
  scanCase(`64 KiB of 64 B frames (${lengthFrames.frames} frames)`, length, lengthFrames.buf, lengthFrames.frames);
  const head = new Uint8Array(4);
  new DataView(head.buffer).setUint32(0, 1024 * 1024);
  const chunk = new Uint8Array(CHUNK_BYTES);
  const s = length.create();
  throughput.push({ name: "1 MiB frame in 64 KiB chunks", bytes: 4 + 1024 * 1024, frames: 1 });
  bench("1 MiB frame in 64 KiB chunks", () => do_not_optimize(scanChunks(s, head, chunk, 15, chunk)));
});

// Delimited: text lines, and HTTP/1-style header blocks.
const lines = fill((k) => encoder.encode(`VALUE key:${pad(k, 8)} 0 16 ${pad(k, 12)}\r\n`));
const blocks = fill((k) =>
  encoder.encode(`GET /item/${pad(k, 8)} HTTP/1.1\r\nHost: example.com\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n`),
);
const longLines = fill((k) => encoder.encode(`${"x".repeat(4000)}${pad(k, 8)}\n`));

group("delimiter", () => {
  summary(() => {
    scanCase(
      `64 KiB of 40 B "\\r\\n" lines (${lines.frames} frames)`,
      must(delimiterFramer({ delimiter: "\r\n" })),
      lines.buf,
      lines.frames,
    );
    scanCase(
      `64 KiB of 4 KB "\\n" lines (${longLines.frames} frames)`,
      must(delimiterFramer({ delimiter: "\n" })),
      longLines.buf,
      longLines.frames,
    );
    scanCase(
      `64 KiB of HTTP header blocks, "\\r\\n\\r\\n" (${blocks.frames} frames)`,
      must(delimiterFramer({ delimiter: "\r\n\r\n" })),
      blocks.buf,
      blocks.frames,
    );
  });
});

const { benchmarks } = await run();
// The median, not the mean: on a shared machine a few preempted samples skew the mean.
console.log("\nper case (median time): bytes scanned per second, time per frame");
for (const trial of benchmarks) {
  const stats = trial.runs[0]?.stats;
  const t = throughput.find((c) => c.name === trial.alias);
  if (stats === undefined || t === undefined) continue;
  const gibPerSecond = ((t.bytes / stats.p50) * 1e9) / 2 ** 30;
  console.log(
    `  ${trial.alias.padEnd(62)} ${gibPerSecond.toFixed(2).padStart(9)} GiB/s ${(stats.p50 / t.frames).toFixed(1).padStart(8)} ns/frame`,
  );
}

/**
 * PendingBytes: the cost of queuing and flushing one direction's backlog.
 * Run: node_modules/.bin/bun bench/micro/pending.bench.ts
 *
 * The sink is a fake socket whose `write` takes up to `capacity` bytes per
 * call, as a kernel send buffer does. Two flavours of it:
 * - "counting": write only counts bytes, so the numbers are PendingBytes's own
 *   work (ring, coalescing copies, subarray on short writes);
 * - "syscall": write also does one real write(2) to /dev/null, the cheapest
 *   syscall that still crosses into the kernel. Each socket write in warren is
 *   a sendto(2) of at least that cost, which is what coalescing saves.
 * "coalesce off" is the same class with its private merge step replaced by a
 * no-op on that one instance, so both variants run identical flush code.
 */
import type { Socket } from "bun";
import { closeSync, openSync, writeSync } from "node:fs";
import { bench, do_not_optimize, group, run, summary } from "mitata";
import { PendingBytes } from "../../src/util/pending.ts";

const devNull = openSync("/dev/null", "w");

class FakeSocket {
  capacity = Infinity;
  writes = 0;
  bytes = 0;
  constructor(readonly syscall: boolean) {}
  write(chunk: Uint8Array): number {
    const n = Math.min(chunk.byteLength, this.capacity);
    this.writes++;
    this.bytes += n;
    if (this.syscall) writeSync(devNull, chunk, 0, n);
    return n;
  }
}

function queue(coalesce: boolean): PendingBytes {
  const q = new PendingBytes();
  if (!coalesce) (q as unknown as { coalesce: () => void }).coalesce = () => {};
  return q;
}

const small = Array.from({ length: 16 }, () => new Uint8Array(64).fill(1));
const large = Array.from({ length: 16 }, () => new Uint8Array(64 * 1024).fill(2));

for (const syscall of [false, true]) {
  const kind = syscall ? "syscall" : "counting";
  group(`flush 16 × 64 B queued chunks, sink takes all (${kind})`, () => {
    summary(() => {
      for (const coalesce of [true, false]) {
        const q = queue(coalesce);
        const sink = new FakeSocket(syscall) as unknown as Socket<unknown>;
        bench(`coalesce ${coalesce ? "on" : "off"}`, () => {
          for (const c of small) q.push(c);
          do_not_optimize(q.flushTo(sink));
        });
      }
    });
  });
}

group("flush 16 × 64 KiB queued chunks, sink takes 256 KiB per flush (short writes)", () => {
  const q = queue(true);
  const fake = new FakeSocket(false);
  fake.capacity = 256 * 1024;
  const sink = fake as unknown as Socket<unknown>;
  bench("push 1 MiB, flush until empty", () => {
    for (const c of large) q.push(c);
    let left = q.flushTo(sink);
    while (left > 0) left = q.flushTo(sink);
    do_not_optimize(left);
  });
});

group("one 16 KiB chunk queued and flushed (the relay's partial-write path)", () => {
  const q = queue(true);
  const sink = new FakeSocket(false) as unknown as Socket<unknown>;
  const chunk = new Uint8Array(16 * 1024);
  bench("push + flush", () => {
    q.push(chunk.subarray(1000));
    do_not_optimize(q.flushTo(sink));
  });
});

await run();
closeSync(devNull);

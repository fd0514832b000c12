/** Backpressure: a slow peer pauses the fast one; the proxy's queues stay bounded. */
import { describe, expect, test } from "bun:test";
import { floodBackend, stallBackend } from "../helpers/backends.ts";
import { connectClient } from "../helpers/client.ts";
import { portOf, proxyTo, waitFor } from "../helpers/proxy.ts";

/** Bun delivers at most 512 KiB per data event: the bound is the high-water mark plus one chunk. */
const MAX_CHUNK = 512 * 1024;
const HIGH_WATER = 64 * 1024;

describe("backpressure", () => {
  test("a slow reader behind a flooding backend keeps the proxy's queue under the high-water mark", async () => {
    const total = 96 * 1024 * 1024;
    using backend = floodBackend(total);
    await using proxy = await proxyTo([backend.address], { highWaterBytes: HIGH_WATER });
    const client = await connectClient(portOf(proxy));
    client.pause(); // read nothing: the kernel buffers fill, then the proxy must pause the backend

    // Wait until the flow has stopped: the client-side total stays put across polls.
    let last = -1;
    await waitFor(() => {
      const s = proxy.stats().listeners[0]!;
      const moved = s.bytesFromBackends !== last;
      last = s.bytesFromBackends;
      return !moved && last > 0;
    }, "the flood to stall");
    const stalled = proxy.stats().listeners[0]!;
    expect(stalled.bytesFromBackends).toBeLessThan(total); // the backend was held back
    expect(stalled.queuedBytes).toBeLessThanOrEqual(HIGH_WATER + MAX_CHUNK);

    // Read slowly in bursts; the queue must stay bounded the whole way.
    while (client.receivedBytes < total) {
      client.resume();
      await Bun.sleep(5);
      client.pause();
      expect(proxy.stats().listeners[0]!.queuedBytes).toBeLessThanOrEqual(HIGH_WATER + MAX_CHUNK);
      if (client.events.length > 0 && client.receivedBytes < total) break;
    }
    client.resume();
    await client.waitFor(total, 30_000);
    expect(client.receivedBytes).toBe(total);
    expect(proxy.stats().listeners[0]!.peakSessionQueuedBytes).toBeLessThanOrEqual(HIGH_WATER + MAX_CHUNK);
    client.socket.end();
  }, 60_000);

  test("a stalled backend makes the client's writes back up (the proxy pauses the client)", async () => {
    using backend = stallBackend();
    await using proxy = await proxyTo([backend.address], { highWaterBytes: HIGH_WATER });
    const client = await connectClient(portOf(proxy));
    const block = new Uint8Array(256 * 1024);
    let accepted = 0;
    let zeroes = 0;
    // Bounded: 256 MiB at most. If the proxy buffered without bound, every write would succeed.
    for (let i = 0; i < 1024 && zeroes < 20; i++) {
      const n = client.socket.write(block);
      expect(n).toBeGreaterThanOrEqual(0);
      accepted += n;
      if (n < block.byteLength) {
        zeroes++;
        await Bun.sleep(10);
      }
    }
    expect(zeroes).toBe(20);
    expect(accepted).toBeLessThan(256 * 1024 * 1024);
    const s = proxy.stats().listeners[0]!;
    expect(s.queuedBytes).toBeLessThanOrEqual(HIGH_WATER + MAX_CHUNK);
    expect(s.peakSessionQueuedBytes).toBeLessThanOrEqual(HIGH_WATER + MAX_CHUNK);
    client.socket.terminate();
    await waitFor(() => proxy.sessionCount === 0, "session end");
  }, 30_000);
});

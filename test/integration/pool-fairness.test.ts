/**
 * Multiplexed pools under sustained load: a client that needs a connection of
 * its own (MULTI, BLPOP, SELECT, ...) is not starved by shared traffic that
 * keeps every connection busy. The pool reserves the least-loaded connection,
 * stops giving it new shared requests, and hands it over once it drains.
 */
import { expect, test } from "bun:test";
import { portOf, proxyTo } from "../helpers/proxy.ts";
import { RespClient, slowRespServer } from "../helpers/redis.ts";

test("multiplexed pool at its limit, replies always outstanding on every connection: MULTI/EXEC gets a connection well before the queue timeout", async () => {
  const backend = slowRespServer(2);
  try {
    await using proxy = await proxyTo([backend.address], {
      mode: "pool",
      pool: { framer: { kind: "resp" }, maxPerBackend: 2, minIdlePerBackend: 2, multiplex: true, queueTimeoutMs: 3000 },
    });
    const port = portOf(proxy);
    let running = true;
    const loaders = await Promise.all(Array.from({ length: 8 }, () => RespClient.connect(port)));
    // Each loader keeps two requests in flight, sending the next before the previous is answered: the
    // backend answers one every 2 ms per connection, so no connection's reply queue ever empties by itself.
    const load = loaders.map(async (c) => {
      let rounds = 0;
      let previous = c.command("SET", "k", "v");
      while (running) {
        const next = c.command("SET", "k", "v");
        await previous;
        previous = next;
        rounds++;
      }
      await previous;
      return rounds;
    });
    await Bun.sleep(100);
    using tx = await RespClient.connect(port);
    const started = performance.now();
    const replies = await tx.pipeline([["MULTI"], ["SET", "k", "v"], ["EXEC"]]);
    const waitedMs = performance.now() - started;
    running = false;
    const rounds = await Promise.all(load);
    for (const c of loaders) c.close();
    expect(replies).toEqual(["OK", "OK", []]);
    expect(waitedMs).toBeLessThan(1000);
    // The shared traffic kept flowing on the other connection meanwhile.
    expect(Math.min(...rounds)).toBeGreaterThan(0);
    expect(proxy.stats().listeners[0]!.pool!.queueTimeouts).toBe(0);
    expect(backend.connections()).toBeLessThanOrEqual(2);
  } finally {
    backend.stop();
  }
}, 10_000);

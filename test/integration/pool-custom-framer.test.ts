/**
 * A custom framer module, named in the config and loaded by startProxy, frames
 * a pooled listener end to end: netstrings (test/unit/framing/fixtures) against
 * a small netstring server written here.
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { Logger, startProxy } from "../../src/index.ts";
import { connectClient } from "../helpers/client.ts";
import { portOf } from "../helpers/proxy.ts";

const fixtures = join(import.meta.dir, "..", "unit", "framing", "fixtures");

function netstring(text: string): string {
  return `${Buffer.byteLength(text)}:${text},`;
}

/** A netstring server: each netstring is answered with its payload upper-cased, as a netstring. */
function netstringServer(): { port: number; connections: () => number; stop: () => void } {
  let connections = 0;
  const server = Bun.listen<{ text: string }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(s) {
        s.data = { text: "" };
        connections++;
      },
      data(s, chunk) {
        s.data.text += chunk.toString("latin1");
        for (;;) {
          const colon = s.data.text.indexOf(":");
          if (colon < 0) break;
          const n = Number(s.data.text.slice(0, colon));
          if (s.data.text.length < colon + 1 + n + 1) break;
          const payload = s.data.text.slice(colon + 1, colon + 1 + n);
          s.data.text = s.data.text.slice(colon + 1 + n + 1);
          s.write(Buffer.from(netstring(payload.toUpperCase()), "latin1"));
        }
      },
      close() {
        connections--;
      },
    },
  });
  return { port: server.port, connections: () => connections, stop: () => server.stop(true) };
}

for (const multiplex of [false, true]) {
  test(`custom netstring framer from the config (${multiplex ? "multiplexed" : "exclusive"}): 40 clients, pipelined and split, each gets its own replies`, async () => {
    const backend = netstringServer();
    try {
      await using proxy = await startProxy(
        {
          listeners: [
            {
              listen: "127.0.0.1:0",
              backends: [`127.0.0.1:${backend.port}`],
              mode: "pool",
              pool: {
                framer: { kind: "custom", module: "netstring-framer.ts", options: { maxPayloadBytes: 64 } },
                maxPerBackend: 2,
                multiplex,
              },
            },
          ],
        },
        { logger: new Logger("silent"), baseDir: fixtures },
      );
      const port = portOf(proxy);
      const results = await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          const c = await connectClient(port);
          const texts = [`client ${i} a`, "", `client ${i} c`];
          const bytes = texts.map(netstring).join("");
          if (i % 2 === 0) await c.send(bytes);
          else for (let k = 0; k < bytes.length; k += 2) await c.send(bytes.slice(k, k + 2));
          const expected = texts.map((t) => netstring(t.toUpperCase())).join("");
          await c.waitFor(expected.length, 5000);
          c.socket.end();
          return c.received().toString() === expected ? null : `client ${i}: ${c.received().toString()}`;
        }),
      );
      expect(results.filter((r) => r !== null)).toEqual([]);
      expect(backend.connections()).toBeLessThanOrEqual(2);
      // The module's own limit applies: a payload over maxPayloadBytes closes only that client.
      const bad = await connectClient(port);
      await bad.send(`100:${"x".repeat(10)}`);
      expect(await bad.closed).toBe(null);
      expect(bad.receivedBytes).toBe(0);
      const good = await connectClient(port);
      await good.send(netstring("still fine"));
      await good.waitFor(netstring("STILL FINE").length);
      expect(good.received().toString()).toBe(netstring("STILL FINE"));
      good.socket.end();
    } finally {
      backend.stop();
    }
  }, 15_000);
}

/**
 * The PROXY protocol: what reading a header costs per connection (a fresh ProxyParser and one feed, as
 * the preamble stage does on accept), whole and cut, and what writing one costs (sendProxy).
 * Run: node_modules/.bin/bun bench/micro/proxy.bench.ts
 *
 * Each case feeds a header followed by 64 bytes of stream in one chunk (how HAProxy and nginx send it:
 * header and first bytes in one segment), so the offset of the stream is part of the work.
 */
import type { Socket, SocketHandler } from "bun";
import { bench, do_not_optimize, group, run, summary } from "mitata";
import { encodeProxyV1, encodeProxyV2 } from "../../src/edge/proxy-encode.ts";
import { ProxyParser } from "../../src/edge/proxy-parser.ts";
import { withPreamble } from "../../src/listener/preamble.ts";

const STREAM = new Uint8Array(64).fill(0x61);
const withStream = (h: Uint8Array): Uint8Array => Buffer.concat([h, STREAM]);

const client4 = { address: "203.0.113.7", port: 51234 };
const server4 = { address: "10.0.0.1", port: 443 };
const client6 = { address: "2001:db8:85a3::8a2e:370:7334", port: 51234 };
const server6 = { address: "2001:db8::1", port: 443 };

const CASES: [string, Uint8Array][] = [
  ["v1 TCP4", withStream(encodeProxyV1(client4, server4))],
  ["v1 TCP6", withStream(encodeProxyV1(client6, server6))],
  ["v1 UNKNOWN", withStream(new TextEncoder().encode("PROXY UNKNOWN\r\n"))],
  ["v2 TCP4", withStream(encodeProxyV2(client4, server4, { uniqueId: null, authority: null }))],
  ["v2 TCP6", withStream(encodeProxyV2(client6, server6, { uniqueId: null, authority: null }))],
  ["v2 TCP4 + AUTHORITY + UNIQUE_ID", withStream(encodeProxyV2(client4, server4, { uniqueId: "1234567", authority: "api.example.com" }))],
];

/** parse runs what the preamble stage runs per connection; a header that does not parse is a broken bench. */
function parse(input: Uint8Array): number {
  const p = new ProxyParser();
  const at = p.feed(input);
  if (at !== input.byteLength - STREAM.byteLength) throw new Error(`parse returned ${at}: ${p.failure} ${p.reason}`);
  return at;
}

group("read a header and find the stream after it: one chunk (per connection)", () => {
  summary(() => {
    for (const [name, input] of CASES) {
      parse(input);
      bench(name, () => do_not_optimize(parse(input)));
    }
  });
});

group("read a header cut across chunks (gathered into a buffer of its own)", () => {
  for (const [name, input] of [CASES[0]!, CASES[5]!]) {
    const cut = 10;
    const head = input.subarray(0, cut);
    const tail = input.subarray(cut);
    bench(`${name}, cut after ${cut} bytes`, () => {
      const p = new ProxyParser();
      p.feed(head);
      return do_not_optimize(p.feed(tail));
    });
  }
});

group("write a header (sendProxy, per backend connection)", () => {
  bench("v1 TCP4", () => do_not_optimize(encodeProxyV1(client4, server4)));
  bench("v2 TCP4 + UNIQUE_ID", () => do_not_optimize(encodeProxyV2(client4, server4, { uniqueId: "1234567", authority: null })));
  bench("v2 TCP6 + UNIQUE_ID", () => do_not_optimize(encodeProxyV2(client6, server6, { uniqueId: "1234567", authority: null })));
});

/*
 * What a listener with proxyProtocol pays per request once a connection's header is read: every event
 * of its sockets goes through the preamble stage's handlers (Bun shares one set per listener), which
 * check the socket's data and call the mode's handler. Measured here as the mode's data handler called
 * directly against the same handler called through withPreamble, on a stand-in socket; compare the
 * difference with warren's CPU per rr request (12.5 µs in bench/results/latest.json): one client data
 * event per request passes through the stage (backend sockets never do).
 */

class ModeData {
  bytes = 0;
}
const inner = {
  data(socket: Socket<ModeData | null>, chunk: Buffer) {
    socket.data!.bytes += chunk.byteLength;
  },
} satisfies SocketHandler<ModeData | null>;
const staged = withPreamble<ModeData>(inner, { current: () => null, began() {}, done() {}, failed() {} });
const socket = { data: new ModeData() } as unknown as Socket<ModeData | null>;
const chunk = Buffer.alloc(64);
const viaStage = staged.data! as (s: unknown, c: Buffer) => void;

group("per data event after the header: the mode's handler directly vs through the preamble stage", () => {
  summary(() => {
    bench("mode handler, no preamble stage", () => {
      inner.data(socket, chunk);
      return socket.data!.bytes;
    });
    bench("through the preamble stage (proxyProtocol listener)", () => {
      viaStage(socket, chunk);
      return socket.data!.bytes;
    });
  });
});

await run();

/**
 * A million and more random and mutated inputs to ProxyParser: mutations of valid v1 and v2 headers
 * (bit flips, byte changes, insertions, deletions, truncations, a random length field), valid headers
 * with random TLVs appended, and random bytes behind each signature. None may throw, every answer must
 * keep the feed contract, and for a share of them cutting the input into random chunks must give the
 * same verdict as feeding it whole. Fed to the parser directly (no sockets), so it runs in seconds.
 * WARREN_FUZZ_SEED replays a run; WARREN_FUZZ_INPUTS runs more.
 */
import { expect, test } from "bun:test";
import { encodeProxyV1, encodeProxyV2, PROXY_V1_UNKNOWN, PROXY_V2_LOCAL } from "../../../src/edge/proxy-encode.ts";
import { V1_MAX_BYTES, V2_MAX_BYTES } from "../../../src/edge/proxy-header.ts";
import { PP_FAILED, PP_NEED_MORE, ProxyParser } from "../../../src/edge/proxy-parser.ts";
import { Rng } from "../../helpers/hostile/rng.ts";
import { bytes, concat, feedCuts, ipv4Body, tlv, v2 } from "./harness.ts";

const SEED = Number(process.env.WARREN_FUZZ_SEED ?? Date.now() % 1_000_000);
const INPUTS = Number(process.env.WARREN_FUZZ_INPUTS ?? 1_050_000);

const SEEDS: Uint8Array[] = [
  bytes("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n"),
  bytes("PROXY TCP6 2001:db8::1 ::ffff:10.0.0.1 65535 0\r\n"),
  bytes("PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 1:2:3:4:5:6:7:8 1 2\r\n"),
  bytes("PROXY UNKNOWN\r\n"),
  bytes("PROXY UNKNOWN anything at all\r\n"),
  PROXY_V1_UNKNOWN,
  PROXY_V2_LOCAL,
  encodeProxyV1({ address: "10.0.0.1", port: 1 }, { address: "10.0.0.2", port: 2 }),
  encodeProxyV2({ address: "10.0.0.1", port: 1 }, { address: "10.0.0.2", port: 2 }, { uniqueId: "123456", authority: "example.com" }),
  encodeProxyV2({ address: "2001:db8::7", port: 9 }, { address: "::1", port: 80 }, { uniqueId: "7", authority: null }),
  v2(
    0x21,
    0x11,
    concat(
      ipv4Body([1, 2, 3, 4], [5, 6, 7, 8], 9, 10),
      tlv(0x01, "h2"),
      tlv(0x20, concat([1, 0, 0, 0, 0], tlv(0x21, "TLSv1.2"), tlv(0x22, "cn"))),
      tlv(0x03, [0, 0, 0, 0]),
    ),
  ),
  v2(0x21, 0x31, new Uint8Array(216)),
  v2(0x20, 0x00, [1, 2, 3, 4, 5]),
];

const SIG_PREFIXES = [
  bytes("PROXY "),
  bytes("PROXY TCP4 "),
  bytes("PROXY TCP6 "),
  bytes("PROXY UNKNOWN"),
  v2(0x21, 0x11).subarray(0, 12),
  v2(0x21, 0x11).subarray(0, 13),
];

function randomBytes(rng: Rng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.int(256);
  return out;
}

/** One fuzz input: a mutated seed, a seed with random TLVs, or random bytes behind a signature. */
function input(rng: Rng): Uint8Array {
  const kind = rng.int(10);
  if (kind === 0) return concat(rng.pick(SIG_PREFIXES), randomBytes(rng, rng.int(120)));
  if (kind === 1) return randomBytes(rng, rng.int(40));
  if (kind === 2) {
    // A valid v2 TCP4 header with random TLVs, lengths sometimes lying, and the length field fixed up or not.
    const parts: Uint8Array[] = [Uint8Array.from(ipv4Body([10, 0, 0, 1], [10, 0, 0, 2], 1, 2))];
    for (let n = rng.int(5); n > 0; n--) {
      const type = rng.pick([0x01, 0x02, 0x03, 0x04, 0x05, 0x20, 0x30, 0xe0, rng.int(256)]);
      const value =
        type === 0x20
          ? concat([rng.int(8), 0, 0, 0, rng.int(2)], tlv(rng.pick([0x21, 0x22, 0x28, rng.int(256)]), randomBytes(rng, rng.int(12))))
          : randomBytes(rng, rng.int(type === 0x05 ? 140 : 24));
      const t = tlv(type, value);
      if (rng.chance(0.2)) t[2] = rng.int(256); // a length that lies
      parts.push(t);
    }
    const body = concat(...parts);
    return v2(
      rng.pick([0x21, 0x21, 0x20, 0x22, 0x11]),
      rng.pick([0x11, 0x11, 0x21, 0x31, 0x00, rng.int(256)]),
      body,
      rng.chance(0.8) ? undefined : rng.int(65536),
    );
  }
  let b: Uint8Array = Uint8Array.from(rng.pick(SEEDS));
  for (let m = rng.between(1, 3); m > 0; m--) b = mutate(rng, b);
  return b;
}

function mutate(rng: Rng, b: Uint8Array): Uint8Array {
  const at = b.byteLength === 0 ? 0 : rng.int(b.byteLength);
  switch (rng.int(7)) {
    case 0: // flip a bit
      if (b.byteLength > 0) b[at] = b[at]! ^ (1 << rng.int(8));
      return b;
    case 1: // a random byte, often one that matters to a v1 line
      if (b.byteLength > 0) b[at] = rng.chance(0.5) ? rng.pick([0x0d, 0x0a, 0x20, 0x3a, 0x2e, 0x30, 0x00, 0xff]) : rng.int(256);
      return b;
    case 2: // insert
      return concat(b.subarray(0, at), [rng.pick([0x20, 0x0d, 0x0a, 0x30, rng.int(256)])], b.subarray(at));
    case 3: // delete
      return concat(b.subarray(0, at), b.subarray(at + 1));
    case 4: // truncate
      return b.slice(0, at);
    case 5: // a random v2 length field
      if (b.byteLength >= 16 && b[0] === 0x0d) {
        const len = rng.chance(0.5) ? rng.int(64) : rng.int(65536);
        b[14] = len >> 8;
        b[15] = len & 0xff;
      }
      return b;
    default: // duplicate a slice
      return concat(b.subarray(0, at), b.subarray(rng.int(at + 1), at), b.subarray(at));
  }
}

test(`${INPUTS.toLocaleString("en")} random and mutated inputs never throw, keep the contract, and any cut gives the whole input's verdict (seed ${SEED})`, () => {
  const rng = new Rng(SEED);
  const tally = { done: 0, failed: 0, more: 0, compared: 0 };
  const failures = new Map<string, number>();
  const started = performance.now();
  for (let i = 0; i < INPUTS; i++) {
    const data = input(rng);
    const p = new ProxyParser(rng.chance(0.9) ? "any" : rng.pick(["v1", "v2"] as const));
    let r: number;
    try {
      r = p.feed(data);
    } catch (err) {
      throw new Error(`input ${i} (seed ${SEED}) threw ${String(err)}: ${Buffer.from(data).toString("hex")}`);
    }
    if (r === PP_NEED_MORE) {
      tally.more++;
      expect(data.byteLength).toBeLessThan(Math.max(V1_MAX_BYTES, V2_MAX_BYTES));
    } else if (r === PP_FAILED) {
      tally.failed++;
      failures.set(p.failure!, (failures.get(p.failure!) ?? 0) + 1);
    } else {
      tally.done++;
      const h = p.header!;
      if (r !== h.length || r > data.byteLength || h.length > (h.version === 1 ? V1_MAX_BYTES : V2_MAX_BYTES)) {
        throw new Error(
          `input ${i} (seed ${SEED}): feed returned ${r} for a ${h.length}-byte header: ${Buffer.from(data).toString("hex")}`,
        );
      }
    }
    if (i % 16 === 0 && data.byteLength > 1) {
      // The same input in random pieces: the same verdict, the same header, the stream at the same place.
      tally.compared++;
      const cuts = [0];
      while (cuts[cuts.length - 1]! < data.byteLength)
        cuts.push(Math.min(data.byteLength, cuts[cuts.length - 1]! + 1 + rng.int(rng.chance(0.5) ? 4 : 40)));
      const out = feedCuts(data, cuts, p.accept);
      const same =
        r === PP_FAILED
          ? out.failure === p.failure
          : r === PP_NEED_MORE
            ? out.failure === null && out.header === null
            : Bun.deepEquals(out.header, p.header) && out.streamAt === r;
      if (!same)
        throw new Error(
          `input ${i} (seed ${SEED}) cut at ${cuts.join(",")} gave ${JSON.stringify(out)} but whole ${r} ${p.failure}: ${Buffer.from(data).toString("hex")}`,
        );
    }
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`proxy fuzz: ${INPUTS} inputs in ${seconds.toFixed(1)} s (seed ${SEED}):`, tally, Object.fromEntries(failures));
  // Each outcome must be reached often, or the generators have stopped exploring.
  expect(tally.done).toBeGreaterThan(INPUTS / 50);
  expect(tally.more).toBeGreaterThan(INPUTS / 100);
  for (const code of ["PROXY_MISSING", "PROXY_MALFORMED", "PROXY_TOO_LARGE", "PROXY_VERSION"])
    expect(failures.get(code) ?? 0).toBeGreaterThan(100);
});

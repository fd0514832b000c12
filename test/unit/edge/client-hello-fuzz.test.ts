/**
 * A million and more random and mutated inputs to ClientHelloReader: mutations of real hellos (captured
 * from openssl and Bun at test time) and hand-built ones (bit flips, byte changes, insertions,
 * deletions, truncations, a random length field at one of the places lengths live, re-cut into records
 * of random sizes), and random bytes behind a record header. None may throw, every answer must keep the
 * feed contract, and for a share of them cutting the input into random chunks must give the same
 * verdict as feeding it whole. WARREN_FUZZ_SEED replays a run; WARREN_FUZZ_INPUTS runs more.
 */
import { beforeAll, expect, test } from "bun:test";
import { CH_MALFORMED, CH_NEED_MORE, CH_NOT_TLS, CH_OK, CH_TOO_LARGE, ClientHelloReader } from "../../../src/edge/client-hello.ts";
import { Rng } from "../../helpers/hostile/rng.ts";
import { bunClientHello, opensslClientHello } from "../../helpers/sni-peers.ts";
import { concat } from "./harness.ts";
import { alpnExtension, extension, feedHello, hello, helloMessage, records, sniExtension } from "./hello-harness.ts";

const SEED = Number(process.env.WARREN_FUZZ_SEED ?? Date.now() % 1_000_000);
const INPUTS = Number(process.env.WARREN_FUZZ_INPUTS ?? 1_050_000);
const MAX_BYTES = 4096;

/** Handshake messages (no record headers) to mutate and re-cut into records. */
const MESSAGES: Uint8Array[] = [
  helloMessage([sniExtension("a.example.com"), alpnExtension("h2", "http/1.1")]),
  helloMessage([sniExtension("x")]),
  helloMessage(null),
  helloMessage([alpnExtension("h2")], { sessionId: 0 }),
  helloMessage([extension(0, [0, 3, 0, 0, 0]), extension(16, [0, 3, 2, 0x68, 0x32])]),
  helloMessage([sniExtension("padded.example.com")], { padTo: 600 }),
];
const RECORDS: Uint8Array[] = [];

beforeAll(async () => {
  for (const h of [await opensslClientHello("fuzz.example.com", ["h2"]), await bunClientHello("bun.example.com")]) {
    RECORDS.push(h);
    MESSAGES.push(h.subarray(5));
  }
  RECORDS.push(hello("a.b.c", ["x"]), hello("tiny", [], 7));
}, 30_000);

function randomBytes(rng: Rng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.int(256);
  return out;
}

function input(rng: Rng): Uint8Array {
  const kind = rng.int(10);
  if (kind === 0) return concat([22, 3, rng.int(5), rng.int(3), rng.int(256)], randomBytes(rng, rng.int(200)));
  if (kind === 1) return randomBytes(rng, rng.int(40));
  if (kind === 2)
    return concat([22, 3, 1], [0, 0], [1, 0, rng.int(4), rng.int(256)], randomBytes(rng, rng.int(300))).map((b, i) =>
      i === 3 || i === 4 ? (i === 3 ? rng.int(2) : rng.int(256)) : b,
    );
  if (kind <= 5) {
    // A mutated message, cut into records of a random size.
    let m: Uint8Array = Uint8Array.from(rng.pick(MESSAGES));
    for (let n = rng.between(1, 3); n > 0; n--) m = mutate(rng, m);
    return records(m, rng.chance(0.5) ? 16384 : rng.between(1, 300));
  }
  let b: Uint8Array = Uint8Array.from(rng.pick(RECORDS));
  for (let n = rng.between(1, 3); n > 0; n--) b = mutate(rng, b);
  return b;
}

function mutate(rng: Rng, b: Uint8Array): Uint8Array {
  const at = b.byteLength === 0 ? 0 : rng.int(b.byteLength);
  switch (rng.int(7)) {
    case 0:
      if (b.byteLength > 0) b[at] = b[at]! ^ (1 << rng.int(8));
      return b;
    case 1:
      if (b.byteLength > 0) b[at] = rng.chance(0.5) ? rng.pick([0, 1, 2, 3, 16, 22, 0x2e, 0xff]) : rng.int(256);
      return b;
    case 2:
      return concat(b.subarray(0, at), [rng.int(256)], b.subarray(at));
    case 3:
      return concat(b.subarray(0, at), b.subarray(at + 1));
    case 4:
      return b.slice(0, at);
    case 5: // a random 16-bit length at a random even place: lengths are 1, 2 or 3 bytes wide everywhere
      if (b.byteLength > at + 1) {
        const len = rng.chance(0.5) ? rng.int(64) : rng.int(65536);
        b[at] = len >> 8;
        b[at + 1] = len & 0xff;
      }
      return b;
    default:
      return concat(b.subarray(0, at), b.subarray(rng.int(at + 1), at), b.subarray(at));
  }
}

test(`${INPUTS.toLocaleString("en")} random and mutated ClientHellos never throw, keep the contract, and any cut gives the whole input's verdict (seed ${SEED})`, () => {
  const rng = new Rng(SEED);
  const tally: Record<number, number> = { [CH_OK]: 0, [CH_NEED_MORE]: 0, [CH_NOT_TLS]: 0, [CH_MALFORMED]: 0, [CH_TOO_LARGE]: 0 };
  let compared = 0;
  const started = performance.now();
  for (let i = 0; i < INPUTS; i++) {
    const data = input(rng);
    const r = new ClientHelloReader(MAX_BYTES);
    let status: number;
    try {
      status = r.feed(data);
    } catch (err) {
      throw new Error(`input ${i} (seed ${SEED}) threw ${String(err)}: ${Buffer.from(data).toString("hex")}`);
    }
    tally[status] = (tally[status] ?? 0) + 1;
    if (status === CH_OK && (r.length > data.byteLength || r.length > MAX_BYTES || r.length < 5 + 4 + 38)) {
      throw new Error(`input ${i} (seed ${SEED}): OK with length ${r.length} of ${data.byteLength}: ${Buffer.from(data).toString("hex")}`);
    }
    if (status === CH_NEED_MORE && data.byteLength > MAX_BYTES) throw new Error(`input ${i}: more than maxBytes and still asking for more`);
    if (i % 16 === 0 && data.byteLength > 1) {
      compared++;
      const cuts = [0];
      while (cuts[cuts.length - 1]! < data.byteLength)
        cuts.push(Math.min(data.byteLength, cuts[cuts.length - 1]! + 1 + rng.int(rng.chance(0.5) ? 4 : 60)));
      const out = feedHello(data, cuts, MAX_BYTES);
      const same =
        out.status === status &&
        (status !== CH_OK || (out.serverName === r.serverName && Bun.deepEquals(out.alpn, r.alpn) && out.length === r.length));
      if (!same)
        throw new Error(
          `input ${i} (seed ${SEED}) cut at ${cuts.join(",")} gave ${out.status} but whole ${status}: ${Buffer.from(data).toString("hex")}`,
        );
    }
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`client hello fuzz: ${INPUTS} inputs in ${seconds.toFixed(1)} s (seed ${SEED}), ${compared} re-cut:`, {
    ok: tally[CH_OK],
    more: tally[CH_NEED_MORE],
    notTls: tally[CH_NOT_TLS],
    malformed: tally[CH_MALFORMED],
    tooLarge: tally[CH_TOO_LARGE],
  });
  // Each outcome must be reached often, or the generators have stopped exploring.
  for (const s of [CH_OK, CH_NEED_MORE, CH_NOT_TLS, CH_MALFORMED, CH_TOO_LARGE]) expect(tally[s]!).toBeGreaterThan(INPUTS / 1000);
}, 30_000); // 2-4 s alone; bun test's own 5 s default is too tight when other work shares the cores

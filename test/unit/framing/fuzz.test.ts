import { expect, test } from "bun:test";
import { join } from "node:path";
import { loadCustomFramer } from "../../../src/framing/custom.ts";
import { type DelimiterFramerOptions, delimiterFramer } from "../../../src/framing/delimiter.ts";
import { FramerError } from "../../../src/framing/errors.ts";
import { INVALID, NEED_MORE, type FrameScanner, type FramerFactory } from "../../../src/framing/framer.ts";
import { type LengthFramerOptions, lengthFramer } from "../../../src/framing/length.ts";
import { type RespFramerOptions, respFramer } from "../../../src/framing/resp.ts";
import { assertInContract, bytes, type Outcome, text } from "./harness.ts";
import { prng, mutate, randomCuts } from "./random.ts";
import { delimiterReference, lengthReference, respReference } from "./references.ts";
import { requestReference } from "./request-reference.ts";
import { DEFAULTS } from "../../../src/defaults.ts";

/**
 * Fuzzing: over a million inputs in total — random bytes, bytes from each
 * protocol's alphabet, and mutated valid frames — each scanned twice, whole by a
 * fresh scanner and in random chunks (empty ones included) by a reused, reset one.
 * Every feed must stay inside the contract, both scans must agree, and where a
 * reference framer exists (references.ts) they must agree with it too.
 * The seed is printed; FUZZ_SEED=<seed> reproduces a run.
 */
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 32)) >>> 0;
console.log(`framing fuzz seed ${SEED} (reproduce: FUZZ_SEED=${SEED} bun test test/unit/framing/fuzz.test.ts)`);

interface Target {
  name: string;
  factory: FramerFactory;
  inputs: number;
  /** Bytes the generator favours, e.g. RESP type bytes, digits and CR LF. */
  alphabet: string;
  /** Valid frames to mutate. */
  corpus: string[];
  reference?: (stream: Uint8Array) => Outcome;
}

function must<T>(factory: T | FramerError): T {
  if (factory instanceof FramerError) throw factory;
  return factory;
}

const REQUEST_CORPUS = [
  "*2\r\n$3\r\nGET\r\n$1\r\na\r\n",
  "*1\r\n$4\r\nPING\r\n",
  "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n",
  "*0\r\n",
  "*-1\r\n",
  "PING\r\n",
  "SET a b\n",
  "\r\n",
  " \r\nGET a\r\n",
  "$5\r\nhello\r\n",
  "*1\rX$4\r.PINGxy",
  "*-7\r\n",
  "PING\0\r\n",
  "*1\r\n:1\r\n",
];

const REPLY_CORPUS = [
  "+OK\r\n",
  "-ERR x\r\n",
  ":-12\r\n",
  "$5\r\nhello\r\n",
  "$0\r\n\r\n",
  "$-1\r\n",
  "*-1\r\n",
  "*0\r\n",
  "*2\r\n$3\r\nGET\r\n$1\r\na\r\n",
  "*2\r\n*1\r\n:1\r\n*1\r\n*1\r\n_\r\n",
  "_\r\n",
  ",1.5e3\r\n",
  "#t\r\n",
  "!3\r\nERR\r\n",
  "=8\r\ntxt:abcd\r\n",
  "(123\r\n",
  "%1\r\n+a\r\n:1\r\n",
  "~2\r\n+a\r\n+b\r\n",
  ">1\r\n+p\r\n",
  "|1\r\n+k\r\n+v\r\n:1\r\n",
  "$?\r\n;2\r\nab\r\n;0\r\n",
  "*?\r\n:1\r\n.\r\n",
  "%?\r\n+a\r\n:1\r\n.\r\n",
  "~?\r\n.\r\n",
];

function respTarget(name: string, options: Partial<RespFramerOptions>, inputs: number): Target {
  const full = { ...DEFAULTS.framer.resp, ...options };
  return {
    name,
    factory: must(respFramer(options)),
    inputs,
    alphabet: "+-:$*_,#!=(%~>|.;?0123456789-\r\n\r\n\r\n\r\nabtf P",
    corpus: full.inline ? REQUEST_CORPUS : REPLY_CORPUS,
    reference: full.inline ? (s) => requestReference(s, full, false) : (s) => respReference(s, full),
  };
}

/** lengthFrame encodes a valid frame with an n-byte payload under options o. */
function lengthFrame(o: LengthFramerOptions, n: number): string {
  const header = o.lengthOffset + o.lengthBytes;
  let value = (o.lengthIncludesHeader ? header + n : n) - o.lengthAdjustment;
  let field = "";
  for (let k = 0; k < o.lengthBytes; k++, value = Math.floor(value / 256)) field = String.fromCharCode(value % 256) + field;
  if (o.endian === "little") field = [...field].reverse().join("");
  return "T".repeat(o.lengthOffset) + field + "p".repeat(n);
}

function lengthTarget(options: Partial<LengthFramerOptions>, inputs: number): Target {
  const full = { ...DEFAULTS.framer.length, ...options } as LengthFramerOptions;
  const minPayload = Math.max(0, full.lengthAdjustment);
  return {
    name: `length ${JSON.stringify(options, (_, v) => (v === Infinity ? "Infinity" : v))}`,
    factory: must(lengthFramer(options)),
    inputs,
    alphabet: "\x00\x00\x00\x01\x02\x03\x04\x05\xfeabc",
    corpus: [0, 1, 3, 7].map((n) => lengthFrame(full, n + minPayload)),
    reference: (s) => lengthReference(s, full),
  };
}

function delimiterTarget(delimiter: string, maxFrameBytes: number, inputs: number): Target {
  const options: Partial<DelimiterFramerOptions> = { delimiter, maxFrameBytes };
  const d = bytes(delimiter);
  return {
    name: `delimiter ${JSON.stringify(delimiter)} maxFrameBytes ${maxFrameBytes}`,
    factory: must(delimiterFramer(options)),
    inputs,
    alphabet: `${delimiter}${delimiter}ax`,
    corpus: [delimiter, `abc${delimiter}`, `${delimiter.slice(0, -1)}x${delimiter}`],
    reference: (s) => delimiterReference(s, d, maxFrameBytes),
  };
}

const netstrings = must(await loadCustomFramer(join(import.meta.dir, "fixtures", "netstring-framer.ts"), { maxPayloadBytes: 20 }));

const TARGETS: Target[] = [
  respTarget("resp requests (defaults)", {}, 120_000),
  respTarget("resp requests (tight limits)", { maxFrameBytes: 48, maxBulkBytes: 8, maxLineBytes: 12 }, 80_000),
  respTarget("resp replies", { inline: false, maxFrameBytes: Infinity }, 120_000),
  respTarget("resp replies (tight limits)", { inline: false, maxFrameBytes: 48, maxBulkBytes: 8, maxDepth: 3, maxLineBytes: 12 }, 80_000),
  lengthTarget({ lengthBytes: 1, maxFrameBytes: 20 }, 50_000),
  lengthTarget({ lengthBytes: 2, endian: "little", lengthOffset: 1, lengthIncludesHeader: true, maxFrameBytes: 300 }, 50_000),
  lengthTarget({ lengthBytes: 8, lengthAdjustment: -3, maxFrameBytes: Infinity }, 50_000),
  lengthTarget({ lengthBytes: 4, endian: "little", lengthOffset: 3, lengthAdjustment: 2 }, 50_000),
  delimiterTarget("\r\n", 32, 40_000),
  delimiterTarget("\n", Infinity, 40_000),
  delimiterTarget("\r\n\r\n", 40, 40_000),
  delimiterTarget("abab", 16, 40_000),
  delimiterTarget("aab", 24, 40_000),
  {
    name: "custom netstrings (guarded)",
    factory: netstrings,
    inputs: 200_000,
    alphabet: "0123456789::,,ab",
    corpus: ["5:hello,", "0:,", "3:a,b,"],
  },
];

/** generate makes one input: random bytes, alphabet bytes, or 1-3 corpus frames with 0-3 mutations. */
function generate(t: Target, random: () => number): Uint8Array {
  const pick = (s: string): string => s[Math.floor(random() * s.length)]!;
  const size = random() < 0.9 ? Math.floor(random() * 40) : Math.floor(random() * 200);
  const mode = random();
  let s = "";
  if (mode < 0.2) {
    for (let k = 0; k < size; k++) s += String.fromCharCode(Math.floor(random() * 256));
  } else if (mode < 0.5) {
    for (let k = 0; k < size; k++) s += pick(t.alphabet);
  } else {
    const frames = 1 + Math.floor(random() * 3);
    for (let k = 0; k < frames; k++) s += t.corpus[Math.floor(random() * t.corpus.length)]!;
    s = mutate(s, t.alphabet, random);
  }
  return bytes(s);
}

/** scan feeds stream[cuts[k], cuts[k+1]) in place (absolute indices, no copies), checking every answer. */
function scan(s: FrameScanner, stream: Uint8Array, cuts: number[]): Outcome {
  const ends: number[] = [];
  for (let k = 0; k + 1 < cuts.length; k++) {
    const end = cuts[k + 1]!;
    let i = cuts[k]!;
    if (i === end && s.feed(stream, i, i) !== NEED_MORE) throw new Error(`an empty range at ${i} did not answer NEED_MORE`);
    while (i < end) {
      const r = s.feed(stream, i, end);
      assertInContract(r, i, end);
      if (r === INVALID) return { ends, invalid: true, pending: -1 };
      if (r === NEED_MORE) break;
      ends.push(r);
      i = r;
    }
  }
  const pending = s.pending;
  if (!Number.isInteger(pending) || pending < 0) throw new Error(`pending is ${pending}`);
  return { ends, invalid: false, pending };
}

const same = (a: Outcome, b: Outcome): boolean =>
  a.invalid === b.invalid && a.pending === b.pending && a.ends.length === b.ends.length && a.ends.every((e, k) => e === b.ends[k]);

const total = TARGETS.reduce((sum, t) => sum + t.inputs, 0);
test(`the fuzz covers at least 1,000,000 inputs (${total})`, () => expect(total).toBeGreaterThanOrEqual(1_000_000));

for (const [index, t] of TARGETS.entries()) {
  test(`${t.name}: ${t.inputs} inputs stay in contract and agree across chunkings${t.reference ? " and with the reference" : ""}`, () => {
    const random = prng(SEED + index * 0x9e3779b9);
    const reused = t.factory.create();
    for (let n = 0; n < t.inputs; n++) {
      const stream = generate(t, random);
      const cuts = randomCuts(stream.length, random);
      let whole: Outcome | undefined;
      let chunked: Outcome | undefined;
      let expected: Outcome | undefined;
      try {
        whole = scan(t.factory.create(), stream, [0, stream.length]);
        reused.reset();
        chunked = scan(reused, stream, cuts);
        expected = t.reference?.(stream);
      } catch (error) {
        throw new Error(`${t.name}, seed ${SEED}, input ${n} ${JSON.stringify(text(stream))}: ${error}`);
      }
      if (!same(whole, chunked) || (expected !== undefined && !same(whole, expected))) {
        expect({ seed: SEED, input: n, stream: text(stream), cuts, whole, chunked }).toEqual({
          seed: SEED,
          input: n,
          stream: text(stream),
          cuts,
          whole: expected ?? whole,
          chunked: expected ?? whole,
        });
      }
    }
  });
}

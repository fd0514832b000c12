import { expect, test } from "bun:test";
import { FramerError } from "../../../src/framing/errors.ts";
import { type RespFramerOptions, respFramer } from "../../../src/framing/resp.ts";
import { parseInlineFrame } from "../../../src/framing/resp-inline.ts";
import type { RespRequestScanner } from "../../../src/framing/resp-request.ts";
import { bytes, text } from "./harness.ts";
import { mutate, prng, randomCuts } from "./random.ts";
import { type RequestOutcome, scanRequests } from "./request-harness.ts";
import { requestReference, splitArgsReference } from "./request-reference.ts";
import { DEFAULTS } from "../../../src/defaults.ts";

/**
 * Fuzzing RespRequestScanner and parseInlineFrame: over a million inputs — random
 * bytes, bytes from an alphabet of everything Redis's parser looks at, and mutated
 * requests — each scanned whole by a fresh scanner and in random chunks by a reused,
 * reset one. Both must agree with each other and with the reference
 * (request-reference.ts) on frames, inline flags, pending bytes and the error text,
 * and every inline frame's arguments must be sdssplitargs's. Nothing may throw.
 * The seed is printed; FUZZ_SEED=<seed> reproduces a run.
 */
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 32)) >>> 0;
console.log(`request fuzz seed ${SEED} (reproduce: FUZZ_SEED=${SEED} bun test test/unit/framing/resp-request-fuzz.test.ts)`);

const ALPHABET = "*$-0123456789\r\n\r\n\r\n\0 \t\x0b\x0c\"\"''\\\\xaF:+PING";
const CORPUS = [
  "*2\r\n$3\r\nGET\r\n$1\r\na\r\n",
  "*1\r\n$4\r\nPING\r\n",
  "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n",
  "*1\rX$4\r.PINGxy",
  "*0\r\n",
  "*-1\r\n",
  "*-9223372036854775808\r\n",
  "*11\r\n",
  "*1\r\n$16385\r\n",
  "PING\r\n",
  "SET a b\n",
  "\r\n",
  " \x0b\r\n",
  'SEL"ECT" 5\r\n',
  '"MUL\\x54I"\r\n',
  "ECHO 'a\\'b'\r\n",
  'ECHO "\\x4g\\n"\r\n',
  'GET "x\r\n',
  'ECHO "a"b\r\n',
  "PING\0\r\n",
  "*1\0\r\n",
  "*1\r\n:1\r\n",
  "*1\r\n$-1\r\n",
];

interface Target {
  name: string;
  options: Partial<RespFramerOptions>;
  unauthenticated: boolean;
  inputs: number;
}

const TARGETS: Target[] = [
  { name: "defaults", options: {}, unauthenticated: false, inputs: 180_000 },
  { name: "unauthenticated", options: {}, unauthenticated: true, inputs: 110_000 },
  { name: "tight limits", options: { maxFrameBytes: 48, maxBulkBytes: 8, maxLineBytes: 12 }, unauthenticated: false, inputs: 110_000 },
  { name: "tight limits, unauthenticated", options: { maxFrameBytes: 64, maxLineBytes: 6 }, unauthenticated: true, inputs: 100_000 },
];
const LINE_INPUTS = 500_000;

/** generate makes one input: random bytes, alphabet bytes, or 1-3 corpus requests with 0-3 mutations. */
function generate(random: () => number): string {
  const size = random() < 0.9 ? Math.floor(random() * 40) : Math.floor(random() * 200);
  const mode = random();
  let s = "";
  if (mode < 0.15) for (let k = 0; k < size; k++) s += String.fromCharCode(Math.floor(random() * 256));
  else if (mode < 0.4) for (let k = 0; k < size; k++) s += ALPHABET[Math.floor(random() * ALPHABET.length)]!;
  else {
    const requests = 1 + Math.floor(random() * 3);
    for (let k = 0; k < requests; k++) s += CORPUS[Math.floor(random() * CORPUS.length)]!;
    s = mutate(s, ALPHABET, random);
  }
  return s;
}

test(`the request fuzz covers at least 1,000,000 inputs`, () => {
  expect(TARGETS.reduce((sum, t) => sum + t.inputs, LINE_INPUTS)).toBeGreaterThanOrEqual(1_000_000);
});

for (const [index, t] of TARGETS.entries()) {
  test(`${t.name}: ${t.inputs} streams agree across chunkings, with the reference, and with sdssplitargs`, () => {
    const factory = respFramer(t.options);
    if (factory instanceof FramerError) throw factory;
    const full = { ...DEFAULTS.framer.resp, ...t.options };
    const create = (): RespRequestScanner => {
      const s = factory.create() as RespRequestScanner;
      s.unauthenticated = t.unauthenticated;
      return s;
    };
    const random = prng(SEED + index * 0x9e3779b9);
    const reused = create();
    for (let n = 0; n < t.inputs; n++) {
      const input = generate(random);
      const stream = bytes(input);
      const cuts = randomCuts(stream.length, random);
      let whole: RequestOutcome, chunked: RequestOutcome, expected: RequestOutcome;
      const starts: number[] = [];
      try {
        whole = scanRequests(create(), stream, [0, stream.length], true);
        reused.reset();
        chunked = scanRequests(reused, stream, cuts, true);
        expected = requestReference(stream, full, t.unauthenticated, starts);
      } catch (error) {
        throw new Error(`${t.name}, seed ${SEED}, input ${n} ${JSON.stringify(input)}: ${error}`);
      }
      if (!Bun.deepEquals(whole, expected) || !Bun.deepEquals(chunked, expected)) {
        expect({ seed: SEED, input: n, stream: input, cuts, whole, chunked }).toEqual({
          seed: SEED,
          input: n,
          stream: input,
          cuts,
          whole: expected,
          chunked: expected,
        });
      }
      checkInlineFrames(input, stream, expected, starts);
    }
  });
}

/** checkInlineFrames compares parseInlineFrame with the reference on each inline frame's request line. */
function checkInlineFrames(input: string, stream: Uint8Array, outcome: RequestOutcome, starts: number[]): void {
  let from = 0;
  for (const [k, end] of outcome.ends.entries()) {
    if (outcome.inline[k]) {
      const line = input.slice(starts[k], end - 1).replace(/\r$/, "");
      const got = parseInlineFrame(stream, from, end)?.map(text) ?? null;
      const expected = splitArgsReference(line);
      if (!Bun.deepEquals(got, expected))
        expect({ seed: SEED, frame: input.slice(from, end), got }).toEqual({ seed: SEED, frame: input.slice(from, end), got: expected });
    }
    from = end;
  }
}

const LINE_ALPHABET = "ab \t\x0b\x0c\r\"\"''\\\\\\xX0fFgnrtba\0\xff";
const LINE_CORPUS = ['SEL"ECT" 5', '"MUL\\x54I"', "ECHO 'a\\'b' c", 'ECHO "a\\"b" \'\'', 'ECHO a"b c"d', 'ECHO "\\x4g\\xZZ\\x"'];

test(`${LINE_INPUTS} inline lines split as sdssplitargs splits them`, () => {
  const random = prng(SEED ^ 0x5bd1e995);
  for (let n = 0; n < LINE_INPUTS; n++) {
    let line = "";
    if (random() < 0.5) {
      const size = Math.floor(random() * 24);
      for (let k = 0; k < size; k++) line += LINE_ALPHABET[Math.floor(random() * LINE_ALPHABET.length)]!;
    } else line = mutate(LINE_CORPUS[Math.floor(random() * LINE_CORPUS.length)]!, LINE_ALPHABET, random);
    line = line.replace(/\n/g, "");
    const frame = bytes(`${line}\r\n`);
    const got = parseInlineFrame(frame, 0, frame.length)?.map(text) ?? null;
    const expected = splitArgsReference(line);
    if (!Bun.deepEquals(got, expected)) expect({ seed: SEED, line, got }).toEqual({ seed: SEED, line, got: expected });
  }
});

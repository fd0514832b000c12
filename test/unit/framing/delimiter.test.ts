import { describe, expect, test } from "bun:test";
import { type DelimiterFramerOptions, delimiterFramer, failureTable } from "../../../src/framing/delimiter.ts";
import { FramerError } from "../../../src/framing/errors.ts";
import type { FramerFactory } from "../../../src/framing/framer.ts";
import { framerConformance } from "./conformance.ts";
import { type Case, bytes, expectedFraming, framing } from "./harness.ts";

function delimited(options: Partial<DelimiterFramerOptions>): FramerFactory {
  const factory = delimiterFramer(options);
  if (factory instanceof FramerError) throw factory;
  return factory;
}

function specify(title: string, factory: FramerFactory, cases: Case[]): void {
  describe(title, () => {
    for (const c of cases) test(c.name, () => expect(framing(factory, c.input)).toEqual(expectedFraming(c)));
  });
}

framerConformance("DelimiterScanner", delimited({ delimiter: "\r\n\r\n", maxFrameBytes: 64 }), {
  frames: ["GET / HTTP/1.0\r\n\r\n", "\r\n\r\n", "a\r\n\r\r\n\r\n"],
  invalid: "x".repeat(64),
});

specify('delimiter "\\r\\n" (the default)', delimited({}), [
  { name: "one line", input: "+OK\r\n" },
  { name: "lines back to back", input: "a\r\nb\r\n\r\n", frames: ["a\r\n", "b\r\n", "\r\n"] },
  { name: "a CR alone does not end a frame", input: "a\rb\r\r\n" },
  { name: "a LF alone does not end a frame", input: "a\nb\n\r\n" },
  { name: "an unterminated line is pending", input: "a\r\nbc\r", frames: ["a\r\n"], rest: "bc\r" },
]);

specify('single-byte delimiter "\\n"', delimited({ delimiter: "\n" }), [
  { name: "lines", input: "a\nbb\n\n", frames: ["a\n", "bb\n", "\n"] },
]);

specify('delimiter "\\r\\n\\r\\n" (an HTTP/1 header block)', delimited({ delimiter: "\r\n\r\n" }), [
  { name: "a header block", input: "GET / HTTP/1.1\r\nHost: x\r\n\r\n" },
  { name: "a broken partial match resumes correctly", input: "a\r\n\r\r\n\r\n" },
  { name: "two blocks back to back", input: "\r\n\r\n\r\n\r\n", frames: ["\r\n\r\n", "\r\n\r\n"] },
  { name: "a partial match at the end is pending", input: "x\r\n\r", frames: [], rest: "x\r\n\r" },
]);

specify('self-overlapping delimiter "abab" (KMP)', delimited({ delimiter: "abab" }), [
  { name: "a match that starts inside a failed one", input: "aababab", frames: ["aabab"], rest: "ab" },
  { name: "overlapping candidates", input: "abaabab" },
  { name: "the failure table keeps 'ab' after 'abab' fails", input: "abacababab", frames: ["abacabab"], rest: "ab" },
]);

specify('delimiter "aab"', delimited({ delimiter: "aab" }), [{ name: "a run of a's", input: "aaaab" }]);

specify("maxFrameBytes: 8", delimited({ maxFrameBytes: 8 }), [
  { name: "a frame of exactly 8 bytes", input: "123456\r\n" },
  { name: "a 9-byte frame", input: "1234567\r\n", frames: [], invalid: true },
  { name: "7 bytes without a delimiter are pending", input: "1234567", frames: [], rest: "1234567" },
  { name: "8 bytes without a complete delimiter can only grow too long", input: "1234567\r", frames: [], invalid: true },
  { name: "the limit is per frame", input: "123456\r\n123456\r\n", frames: ["123456\r\n", "123456\r\n"] },
]);

describe("failureTable", () => {
  test("entry k is the longest proper prefix of delimiter[0..k] that is also its suffix", () => {
    expect([...failureTable(bytes("abab"))]).toEqual([0, 0, 1, 2]);
    expect([...failureTable(bytes("aab"))]).toEqual([0, 1, 0]);
    expect([...failureTable(bytes("\r\n\r\n"))]).toEqual([0, 0, 1, 2]);
  });
});

describe("delimiterFramer options", () => {
  test("a string delimiter is UTF-8 encoded", () => {
    expect(framing(delimited({ delimiter: "§" }), "a\xc2\xa7b\xc2\xa7")).toEqual({ frames: ["a\xc2\xa7", "b\xc2\xa7"], rest: "" });
  });

  test("a Uint8Array delimiter is copied, so later changes to it do not matter", () => {
    const d = bytes("\n");
    const factory = delimited({ delimiter: d });
    d[0] = 0x21;
    expect(framing(factory, "a\n")).toEqual({ frames: ["a\n"], rest: "" });
  });

  test("an empty delimiter is rejected", () => {
    expect(delimiterFramer({ delimiter: "" })).toMatchObject({
      code: "FRAMER_OPTION_INVALID",
      message: 'delimiter: expected a non-empty string or Uint8Array of at most 256 bytes, got ""',
    });
  });

  test("maxFrameBytes must leave room for the delimiter", () => {
    expect(delimiterFramer({ delimiter: "\r\n", maxFrameBytes: 1 })).toMatchObject({
      message: "maxFrameBytes: expected an integer >= 2 or Infinity, got 1",
    });
  });
});

import { describe, expect, test } from "bun:test";
import { FramerError } from "../../../src/framing/errors.ts";
import type { FramerFactory } from "../../../src/framing/framer.ts";
import { type LengthFramerOptions, lengthFramer } from "../../../src/framing/length.ts";
import { framerConformance } from "./conformance.ts";
import { type Case, expectedFraming, framing } from "./harness.ts";

function length(options: Partial<LengthFramerOptions>): FramerFactory {
  const factory = lengthFramer(options);
  if (factory instanceof FramerError) throw factory;
  return factory;
}

function specify(title: string, factory: FramerFactory, cases: Case[]): void {
  describe(title, () => {
    for (const c of cases) test(c.name, () => expect(framing(factory, c.input)).toEqual(expectedFraming(c)));
  });
}

framerConformance("LengthScanner", length({ lengthBytes: 2, maxFrameBytes: 1024 }), {
  frames: ["\x00\x03abc", "\x00\x01z", "\x00\x00"],
  invalid: "\xff\xff",
});

specify("2-byte big-endian length of the payload", length({ lengthBytes: 2 }), [
  { name: "one frame", input: "\x00\x03abc" },
  { name: "an empty payload is a frame of just the header", input: "\x00\x00" },
  { name: "frames back to back", input: "\x00\x03abc\x00\x00\x00\x01z", frames: ["\x00\x03abc", "\x00\x00", "\x00\x01z"] },
  { name: "half a header is pending", input: "\x00\x02hi\x00", frames: ["\x00\x02hi"], rest: "\x00" },
  { name: "a partial payload is pending", input: "\x01\x00abc", frames: [], rest: "\x01\x00abc" },
  { name: "the length is big-endian", input: "\x01\x00" + "x".repeat(256) },
]);

specify("other widths and byte orders", length({ lengthBytes: 1 }), [{ name: "1 byte", input: "\x02hi" }]);
specify("4-byte little-endian", length({ lengthBytes: 4, endian: "little" }), [
  { name: "one frame", input: "\x03\x00\x00\x00abc" },
  { name: "the third byte counts 2^16", input: "\x00\x00\x01\x00abc", frames: [], rest: "\x00\x00\x01\x00abc" },
  { name: "the fourth byte counts 2^24 (over the 16 MiB default limit)", input: "\x00\x00\x00\x01", frames: [], invalid: true },
]);
specify("8-byte lengths", length({ lengthBytes: 8, maxFrameBytes: Infinity }), [
  { name: "big-endian", input: "\x00\x00\x00\x00\x00\x00\x00\x01z" },
  {
    name: "a frame of 2^53 - 1 bytes is accepted (and pending)",
    input: "\x00\x1f\xff\xff\xff\xff\xff\xf7",
    frames: [],
    rest: "\x00\x1f\xff\xff\xff\xff\xff\xf7",
  },
  { name: "a frame of 2^53 bytes is invalid", input: "\x00\x1f\xff\xff\xff\xff\xff\xf8", frames: [], invalid: true },
  { name: "2^53 is invalid even without a frame limit", input: "\x00\x20\x00\x00\x00\x00\x00\x00", frames: [], invalid: true },
  { name: "2^64 - 1 is invalid", input: "\xff\xff\xff\xff\xff\xff\xff\xff", frames: [], invalid: true },
]);
specify("8-byte little-endian lengths", length({ lengthBytes: 8, endian: "little", maxFrameBytes: Infinity }), [
  { name: "little-endian", input: "\x01\x00\x00\x00\x00\x00\x00\x00z" },
  { name: "2^53 is invalid", input: "\x00\x00\x00\x00\x00\x00\x20\x00", frames: [], invalid: true },
]);

specify(
  "a type byte before the length (lengthOffset: 1, Postgres-style)",
  length({
    lengthOffset: 1,
    lengthBytes: 4,
    lengthAdjustment: -4, // the length counts itself but not the type byte
  }),
  [
    { name: "Query message", input: "Q\x00\x00\x00\x0dSELECT 1\x00" },
    { name: "two messages", input: "Z\x00\x00\x00\x05IQ\x00\x00\x00\x04", frames: ["Z\x00\x00\x00\x05I", "Q\x00\x00\x00\x04"] },
    { name: "a length below 4 would end inside the header", input: "Q\x00\x00\x00\x03", frames: [], invalid: true },
    { name: "the offset bytes alone are pending", input: "Q", frames: [], rest: "Q" },
  ],
);

specify("lengthIncludesHeader", length({ lengthBytes: 2, lengthIncludesHeader: true }), [
  { name: "the value is the whole frame size", input: "\x00\x05abc" },
  { name: "a value equal to the header is an empty frame", input: "\x00\x02" },
  { name: "a value smaller than the header is invalid", input: "\x00\x01", frames: [], invalid: true },
]);

specify("lengthAdjustment: 2 (a checksum after the payload)", length({ lengthBytes: 1, lengthAdjustment: 2 }), [
  { name: "payload and checksum", input: "\x01a\xcc\xcc" },
]);

specify("maxFrameBytes: 6", length({ lengthBytes: 2, maxFrameBytes: 6 }), [
  { name: "a frame of exactly 6 bytes", input: "\x00\x04abcd" },
  { name: "a header announcing 7 bytes is invalid at once", input: "\x00\x05", frames: [], invalid: true },
]);

describe("lengthFramer options", () => {
  const cases: [Partial<LengthFramerOptions>, string][] = [
    [{ lengthBytes: 3 as 4 }, "lengthBytes: expected 1, 2, 4 or 8, got 3"],
    [{ endian: "middle" as "big" }, 'endian: expected "big" or "little", got "middle"'],
    [{ lengthOffset: -1 }, "lengthOffset: expected an integer 0..65535, got -1"],
    [{ maxFrameBytes: 1.5 }, "maxFrameBytes: expected an integer >= 1 or Infinity, got 1.5"],
    [{ lengthOffset: 2, maxFrameBytes: 4 }, "maxFrameBytes: expected at least the header size (lengthOffset + lengthBytes = 6), got 4"],
    [{ lenghtBytes: 2 } as Partial<LengthFramerOptions>, 'lenghtBytes: unknown option, did you mean "lengthBytes"?'],
  ];
  for (const [options, message] of cases) {
    test(message, () => expect(lengthFramer(options)).toMatchObject({ code: "FRAMER_OPTION_INVALID", message }));
  }

  test("undefined options take their defaults (4-byte big-endian)", () => {
    expect(framing(length({ lengthBytes: undefined }), "\x00\x00\x00\x01z")).toEqual({ frames: ["\x00\x00\x00\x01z"], rest: "" });
  });
});

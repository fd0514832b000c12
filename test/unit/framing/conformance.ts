import { describe, expect, test } from "bun:test";
import { INVALID, NEED_MORE, type FramerFactory } from "../../../src/framing/framer.ts";
import { bytes, byteByByte, scanWith, whole } from "./harness.ts";

/** Samples a framer's conformance suite runs on. */
export interface ConformanceSamples {
  /** At least two valid frames, each at least 2 bytes long. */
  frames: string[];
  /** Bytes that are INVALID from a frame boundary. */
  invalid: string;
}

/**
 * framerConformance is the part of the FrameScanner contract every framer must
 * meet, whatever its protocol: state lives in the scanner, `pending` tracks the
 * partial frame, INVALID is sticky until reset(), and scanners share nothing.
 */
export function framerConformance(name: string, factory: FramerFactory, samples: ConformanceSamples): void {
  const [first, second] = samples.frames.map(bytes) as [Uint8Array, Uint8Array];
  const stream = bytes(samples.frames.join(""));

  describe(`${name} meets the FrameScanner contract`, () => {
    test("an empty range answers NEED_MORE and leaves pending at 0", () => {
      const s = factory.create();
      expect(s.feed(first, 0, 0)).toBe(NEED_MORE);
      expect(s.pending).toBe(0);
    });

    test("pending counts the partial frame and is 0 again once it completes", () => {
      const s = factory.create();
      expect(s.feed(first, 0, 1)).toBe(NEED_MORE);
      expect(s.pending).toBe(1);
      expect(s.feed(first, 1, first.length)).toBe(first.length);
      expect(s.pending).toBe(0);
    });

    test("frames back to back are found one call at a time, at absolute indices", () => {
      const s = factory.create();
      const buf = bytes(`xx${samples.frames.join("")}yy`);
      const end = buf.length - 2;
      const ends = [];
      for (let i = 2; i < end; ) {
        const r = s.feed(buf, i, end);
        expect(r).toBeGreaterThan(i);
        ends.push(r);
        i = r;
      }
      let offset = 2;
      expect(ends).toEqual(samples.frames.map((f) => (offset += f.length)));
    });

    test("INVALID is sticky until reset(), after which the scanner works again", () => {
      const s = factory.create();
      const bad = bytes(samples.invalid);
      expect(scanWith(s, bad, whole(bad.length)).invalid).toBe(true);
      expect(s.feed(first, 0, first.length)).toBe(INVALID);
      s.reset();
      expect(s.pending).toBe(0);
      expect(s.feed(first, 0, first.length)).toBe(first.length);
    });

    test("reset() forgets a partial frame", () => {
      const s = factory.create();
      expect(s.feed(second, 0, second.length - 1)).toBe(NEED_MORE);
      s.reset();
      expect(s.pending).toBe(0);
      expect(s.feed(first, 0, first.length)).toBe(first.length);
    });

    test("scanners from one factory share no state", () => {
      const a = factory.create();
      const b = factory.create();
      expect(a.feed(first, 0, 1)).toBe(NEED_MORE);
      expect(scanWith(b, stream, byteByByte(stream.length))).toMatchObject({ invalid: false, pending: 0 });
      expect(a.feed(first, 1, first.length)).toBe(first.length);
    });
  });
}

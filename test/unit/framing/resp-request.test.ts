import { describe, expect, test } from "bun:test";
import { FramerError } from "../../../src/framing/errors.ts";
import { INVALID, NEED_MORE } from "../../../src/framing/framer.ts";
import { type RespFramerOptions, respFramer } from "../../../src/framing/resp.ts";
import { RespRequestScanner } from "../../../src/framing/resp-request.ts";
import { framerConformance } from "./conformance.ts";
import { bytes, everyBytes } from "./harness.ts";
import { type RequestCase, expectedRequestFraming, requestFraming, scanRequests } from "./request-harness.ts";

/**
 * RespRequestScanner's specification: each rule of Redis 7.0's request parser
 * (networking.c processInputBuffer, processInlineBuffer, processMultibulkBuffer;
 * util.c string2ll), as a table of streams fed whole, byte by byte and split at every
 * index. Every error text is Redis's own, checked against redis-server 7.0.15 by
 * test/integration/resp-request-differential.test.ts.
 */

function requests(options: Partial<RespFramerOptions> & { unauthenticated?: boolean } = {}): () => RespRequestScanner {
  const { unauthenticated = false, ...framer } = options;
  const factory = respFramer(framer);
  if (factory instanceof FramerError) throw factory;
  return () => {
    const s = factory.create() as RespRequestScanner;
    s.unauthenticated = unauthenticated;
    return s;
  };
}

function specify(title: string, create: () => RespRequestScanner, cases: RequestCase[]): void {
  describe(title, () => {
    // Long inputs are fed whole and byte by byte only: splitting them at every index is quadratic.
    for (const c of cases)
      test(c.name, () => expect(requestFraming(create, c.input, c.input.length < 4096)).toEqual(expectedRequestFraming(c)));
  });
}

const defaults = requests();

test("respFramer() makes RespRequestScanners for requests", () => {
  expect(defaults()).toBeInstanceOf(RespRequestScanner);
});

framerConformance(
  "RespRequestScanner",
  { create: defaults },
  {
    frames: ["*2\r\n$3\r\nGET\r\n$1\r\na\r\n", "PING\r\n", "*1\r\n$4\r\nPING\r\n"],
    invalid: "*1\r\n:1\r\n",
  },
);

specify("multibulk requests", defaults, [
  { name: "GET", input: "*2\r\n$3\r\nGET\r\n$1\r\na\r\n" },
  { name: "an empty argument", input: "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n" },
  { name: "payload bytes are counted, not scanned", input: "*2\r\n$4\r\nECHO\r\n$6\r\n\r\n*1\r\n\r\n" },
  { name: "a NUL in a payload is just a byte", input: "*2\r\n$4\r\nECHO\r\n$3\r\n\0\0\0\r\n" },
  {
    name: "pipelined requests are separate frames",
    input: "*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\n",
    frames: ["*1\r\n$4\r\nPING\r\n", "*2\r\n$3\r\nGET\r\n$1\r\na\r\n"],
  },
  { name: "an incomplete request is pending", input: "*2\r\n$3\r\nGET\r\n", frames: [], rest: "*2\r\n$3\r\nGET\r\n" },
  { name: "a count line's CR without the byte after it is pending", input: "*1\r", frames: [], rest: "*1\r" },
  {
    name: "a payload longer than its length: the 2 bytes after it are skipped unchecked, the rest starts a request",
    input: "*1\r\n$1\r\nab\r\nPING\r\n",
    frames: ["*1\r\n$1\r\nab\r", "\nPING\r\n"],
  },
  { name: "the byte after a count line's CR is not checked", input: "*1\rX$4\r\nPING\r\n" },
  { name: "the byte after a bulk line's CR is not checked", input: "*1\r\n$4\r$PING\r\n" },
  { name: "the 2 bytes after a payload are not checked", input: "*2\r\n$4\r\nECHO\r\n$1\r\nxAB" },
  { name: "so a CR-less LF-less request is still one frame", input: "*1\r.$4\r.PING..", frames: ["*1\r.$4\r.PING.."] },
  { name: "an LF alone does not end a count line: Redis waits for a CR", input: "*1\n$4\nPING\n", frames: [], rest: "*1\n$4\nPING\n" },
  {
    name: "and the CR found later makes the count invalid",
    input: "*1\n$4\r\nPING\r\n",
    error: "Protocol error: invalid multibulk length",
  },
  {
    name: "a count whose bulk strings cannot fit in maxFrameBytes is warren's error",
    input: "*200000000\r\n",
    error: "warren: request larger than maxFrameBytes (1073741824)",
  },
  { name: "a bulk of 512 MiB, proto-max-bulk-len, is pending", input: "*1\r\n$536870912\r\n", frames: [], rest: "*1\r\n$536870912\r\n" },
]);

specify("requests with maxFrameBytes: Infinity", requests({ maxFrameBytes: Infinity }), [
  { name: "the largest count, 2147483647 (INT_MAX), is pending", input: "*2147483647\r\n", frames: [], rest: "*2147483647\r\n" },
  { name: "INT_MAX + 1 is not", input: "*2147483648\r\n", error: "Protocol error: invalid multibulk length" },
]);

specify("multibulk counts that run nothing join the next frame", defaults, [
  { name: "*0", input: "*0\r\n*1\r\n$4\r\nPING\r\n" },
  { name: "*-1", input: "*-1\r\nPING\r\n" },
  { name: "any negative count", input: "*-42\r\n*1\r\n$4\r\nPING\r\n" },
  { name: "the most negative 64-bit count", input: "*-9223372036854775808\r\nPING\r\n" },
  { name: "a no-op's CR is followed by any byte too", input: "*0\rX*-1\r\x00PING\r\n" },
  { name: "several of them, and blank lines", input: "*0\r\n\r\n*-1\r\n \r\n*1\r\n$4\r\nPING\r\n" },
  { name: "a trailing *0 is pending", input: "PING\r\n*0\r\n", frames: ["PING\r\n"], rest: "*0\r\n" },
]);

specify("multibulk counts Redis refuses: string2ll fails, or the count exceeds INT_MAX", defaults, [
  { name: "empty", input: "*\r\n", error: "Protocol error: invalid multibulk length" },
  { name: "-0", input: "*-0\r\n", error: "Protocol error: invalid multibulk length" },
  { name: "a lone minus", input: "*-\r\n", error: "Protocol error: invalid multibulk length" },
  { name: "a leading zero", input: "*01\r\n$1\r\na\r\n", error: "Protocol error: invalid multibulk length" },
  { name: "00", input: "*00\r\n", error: "Protocol error: invalid multibulk length" },
  { name: "a plus sign", input: "*+1\r\n$1\r\na\r\n", error: "Protocol error: invalid multibulk length" },
  { name: "a leading space", input: "* 1\r\n$1\r\na\r\n", error: "Protocol error: invalid multibulk length" },
  { name: "a trailing space", input: "*1 \r\n$1\r\na\r\n", error: "Protocol error: invalid multibulk length" },
  { name: "a letter", input: "*abc\r\n", error: "Protocol error: invalid multibulk length" },
  { name: "INT_MAX + 1", input: "*2147483648\r\n", error: "Protocol error: invalid multibulk length" },
  { name: "20 digits", input: "*99999999999999999999\r\n", error: "Protocol error: invalid multibulk length" },
  { name: "one below the 64-bit range", input: "*-9223372036854775809\r\nPING\r\n", error: "Protocol error: invalid multibulk length" },
  {
    name: "21 bytes, even of a valid-looking negative",
    input: "*-00000000000000000001\r\n",
    error: "Protocol error: invalid multibulk length",
  },
  {
    name: "after valid requests, which are framed first",
    input: "PING\r\n*x\r\n",
    frames: ["PING\r\n"],
    error: "Protocol error: invalid multibulk length",
  },
]);

specify("bulk lines Redis refuses", defaults, [
  { name: "a null bulk string $-1", input: "*1\r\n$-1\r\n", error: "Protocol error: invalid bulk length" },
  { name: "$-0", input: "*1\r\n$-0\r\n", error: "Protocol error: invalid bulk length" },
  { name: "a leading zero", input: "*1\r\n$01\r\na\r\n", error: "Protocol error: invalid bulk length" },
  { name: "a plus sign", input: "*1\r\n$+1\r\na\r\n", error: "Protocol error: invalid bulk length" },
  { name: "empty", input: "*1\r\n$\r\n\r\n", error: "Protocol error: invalid bulk length" },
  { name: "a letter", input: "*1\r\n$x\r\n", error: "Protocol error: invalid bulk length" },
  { name: "over proto-max-bulk-len (512 MiB)", input: "*1\r\n$536870913\r\n", error: "Protocol error: invalid bulk length" },
  { name: "16 digits", input: "*1\r\n$1000000000000000\r\n", error: "Protocol error: invalid bulk length" },
  { name: "an integer instead of a bulk", input: "*1\r\n:1\r\n", error: "Protocol error: expected '$', got ':'" },
  { name: "a nested array", input: "*1\r\n*1\r\n$1\r\na\r\n", error: "Protocol error: expected '$', got '*'" },
  { name: "an inline command inside an array", input: "*1\r\nPING\r\n", error: "Protocol error: expected '$', got 'P'" },
  { name: "a line that is only CR LF shows the CR as a space", input: "*1\r\n\r\n", error: "Protocol error: expected '$', got ' '" },
  { name: "so does an LF", input: "*1\r\n\n\r\n", error: "Protocol error: expected '$', got ' '" },
  { name: "any other byte as itself", input: "*1\r\n\xff\r\n", error: "Protocol error: expected '$', got '\xff'" },
  {
    name: "the first byte is judged only once the line's CR and one more byte arrived",
    input: "*1\r\nPING",
    frames: [],
    rest: "*1\r\nPING",
  },
  { name: "a streamed array is no request", input: "*?\r\n$1\r\na\r\n.\r\n", error: "Protocol error: invalid multibulk length" },
  { name: "a streamed string is no request", input: "*1\r\n$?\r\n;1\r\na\r\n;0\r\n", error: "Protocol error: invalid bulk length" },
]);

specify("inline commands", defaults, [
  { name: "PING", input: "PING\r\n" },
  { name: "arguments", input: "SET a b\r\n" },
  { name: "LF alone ends a line", input: "PING\n" },
  { name: "back to back", input: "GET a\r\nGET b\nPING\r\n", frames: ["GET a\r\n", "GET b\n", "PING\r\n"] },
  {
    name: "inline, then multibulk",
    input: "PING\r\n*1\r\n$4\r\nPING\r\n",
    frames: ["PING\r\n", "*1\r\n$4\r\nPING\r\n"],
    inline: [true, false],
  },
  { name: "a byte that is no RESP type starts one", input: ".\r\n;3\r\n", frames: [".\r\n", ";3\r\n"] },
  {
    name: "any first byte but * starts one",
    input: "+PING\r\n:1\r\n$5\r\nhello\r\n",
    frames: ["+PING\r\n", ":1\r\n", "$5\r\n", "hello\r\n"],
  },
  { name: "quotes do not hide an LF: the line ends at the first one", input: 'ECHO "a\nb"\n', frames: ['ECHO "a\n', 'b"\n'] },
  { name: "a NUL after the LF belongs to the next request", input: "PING\r\n\0", frames: ["PING\r\n"], rest: "\0" },
  { name: "an unterminated command is pending", input: "GET a", frames: [], rest: "GET a" },
  { name: "a long one", input: `SET k ${"v".repeat(200)}\r\nPING\r\n`, frames: [`SET k ${"v".repeat(200)}\r\n`, "PING\r\n"] },
]);

specify("blank inline lines run nothing and join the next frame", defaults, [
  { name: "CR LF, spaces, tabs and a lone LF", input: "\r\n \t\r\n\nPING\r\n" },
  { name: "\\v and \\f are blanks too (C isspace)", input: "\x0b\x0c\r\nPING\r\n" },
  { name: "so is a CR before the one Redis drops", input: "\r\r\nPING\r\n" },
  { name: "before a multibulk request", input: "\r\n*1\r\n$4\r\nPING\r\n", inline: [false] },
  { name: "a trailing blank line is pending", input: "PING\r\n\r\n", frames: ["PING\r\n"], rest: "\r\n" },
]);

specify("a NUL hides the rest of the line from Redis, which waits for ever", defaults, [
  { name: "in an inline command", input: "PING\0\r\nPING\r\n", frames: [], rest: "PING\0\r\nPING\r\n" },
  { name: "as an inline command's first byte", input: "\0PING\r\n", frames: [], rest: "\0PING\r\n" },
  { name: "in a count line", input: "*1\0\r\n$4\r\nPING\r\n", frames: [], rest: "*1\0\r\n$4\r\nPING\r\n" },
  { name: "in a bulk line", input: "*1\r\n$4\0\r\nPING\r\n", frames: [], rest: "*1\r\n$4\0\r\nPING\r\n" },
  { name: "as a bulk line's first byte", input: "*1\r\n\0$4\r\nPING\r\n", frames: [], rest: "*1\r\n\0$4\r\nPING\r\n" },
  { name: "after complete requests", input: "PING\r\nGET \0\r\n", frames: ["PING\r\n"], rest: "GET \0\r\n" },
]);

specify("line limits, with maxLineBytes: 8 (64 KiB by default, PROTO_INLINE_MAX_SIZE)", requests({ maxLineBytes: 8 }), [
  { name: "an inline command of 8 bytes before its LF, CR included", input: "1234567\r\n" },
  { name: "an inline command of 9", input: "12345678\r\n", error: "Protocol error: too big inline request" },
  { name: "a blank line of 9", input: "         \r\nPING\r\n", error: "Protocol error: too big inline request" },
  { name: "no LF in sight", input: "x".repeat(100), error: "Protocol error: too big inline request" },
  { name: "a count line of 8 bytes before its CR, * included", input: "*-123456\r\nPING\r\n" },
  { name: "a count line of 9", input: "*-1234567\r\n", error: "Protocol error: too big mbulk count string" },
  { name: "a count line with no CR in sight", input: "*111111111111", error: "Protocol error: too big mbulk count string" },
  { name: "a bulk line of 8 bytes before its CR, $ included", input: "*1\r\n$1000000\r\n", frames: [], rest: "*1\r\n$1000000\r\n" },
  { name: "a bulk line of 9", input: "*1\r\n$10000000\r\n", error: "Protocol error: too big bulk count string" },
  {
    name: "a bad bulk line of 9 is too big before it is bad",
    input: "*1\r\nPINGPINGP\r\n",
    error: "Protocol error: too big bulk count string",
  },
  { name: "a payload is no line", input: "*1\r\n$20\r\n01234567890123456789\r\n" },
  { name: "the limit is per line", input: "*2\r\n$4\r\nECHO\r\n$4\r\nabcd\r\n" },
  { name: "a NUL-stuck inline command ends when 9 bytes wait", input: "PING\0\r\nPI", error: "Protocol error: too big inline request" },
  { name: "after 8, it still waits", input: "PING\0\r\nP", frames: [], rest: "PING\0\r\nP" },
  { name: "a NUL-stuck count line", input: "*1\0\r\n$4\r\n", error: "Protocol error: too big mbulk count string" },
  { name: "a NUL-stuck bulk line", input: "*1\r\n$4\0\r\nPING", error: "Protocol error: too big bulk count string" },
  { name: "a NUL as the 9th byte", input: "12345678\0", error: "Protocol error: too big inline request" },
]);

describe("the default 64 KiB line limit", () => {
  const LIMIT = 64 * 1024;
  const scan = (input: Uint8Array) => {
    const whole = scanRequests(defaults(), input, [0, input.length]);
    expect(scanRequests(defaults(), input, everyBytes(input.length, 1000))).toEqual(whole);
    expect(scanRequests(defaults(), input, everyBytes(input.length, 1))).toEqual(whole);
    return whole;
  };
  const line = (content: number, end: string) => bytes(`ECHO ${"x".repeat(content - 5)}${end}`);

  test("an inline command of 64 KiB before its LF is one frame", () => {
    expect(scan(line(LIMIT - 1, "\r\n"))).toMatchObject({ ends: [LIMIT + 1], invalid: false });
  });
  test("one of 64 KiB + 1 is too big", () => {
    expect(scan(line(LIMIT, "\r\n"))).toMatchObject({ ends: [], error: "Protocol error: too big inline request" });
  });
  test("a NUL-stuck command waits until more than 64 KiB are buffered, whatever they hold", () => {
    const stuck = bytes(`PING\0\r\n${"PING\r\n".repeat(LIMIT / 6)}`);
    expect(scan(stuck.subarray(0, LIMIT))).toMatchObject({ ends: [], invalid: false, pending: LIMIT });
    expect(scan(stuck.subarray(0, LIMIT + 1))).toMatchObject({ ends: [], error: "Protocol error: too big inline request" });
  });
});

specify("an unauthenticated client, as Redis limits it before AUTH", requests({ unauthenticated: true }), [
  { name: "10 arguments", input: `*10\r\n${"$1\r\na\r\n".repeat(10)}` },
  { name: "11 arguments", input: `*11\r\n${"$1\r\na\r\n".repeat(11)}`, error: "Protocol error: unauthenticated multibulk length" },
  { name: "an invalid count is invalid first", input: "*2147483648\r\n", error: "Protocol error: invalid multibulk length" },
  { name: "negative counts still run nothing", input: "*-100\r\nPING\r\n" },
  { name: "a 16384-byte argument", input: `*1\r\n$16384\r\n${"a".repeat(16384)}\r\n` },
  { name: "a 16385-byte one", input: "*1\r\n$16385\r\n", error: "Protocol error: unauthenticated bulk length" },
  { name: "an invalid length is invalid first", input: "*1\r\n$-1\r\n", error: "Protocol error: invalid bulk length" },
  { name: "inline commands have no such limits in Redis", input: `ECHO ${"a ".repeat(20)}${"b".repeat(20000)}\r\n` },
]);

specify("requests with maxFrameBytes: 16", requests({ maxFrameBytes: 16 }), [
  { name: "a request of exactly 16 bytes", input: "*1\r\n$6\r\nSELECT\r\n" },
  {
    name: "a bulk whose line announces too much",
    input: "*2\r\n$3\r\nGET\r\n$2\r\n",
    error: "warren: request larger than maxFrameBytes (16)",
  },
  { name: "a count that cannot fit", input: "*3\r\n", error: "warren: request larger than maxFrameBytes (16)" },
  { name: "a 17-byte inline command", input: "GET 0123456789ab\r\n", error: "warren: request larger than maxFrameBytes (16)" },
  {
    name: "16 bytes that do not end the frame",
    input: "*2\r\n$1\r\na\r\n$1\r\nb",
    error: "warren: request larger than maxFrameBytes (16)",
  },
  {
    name: "folded no-ops count toward the frame they join",
    input: "\r\n\r\n\r\n\r\n\r\n\r\nPING\r\n",
    error: "warren: request larger than maxFrameBytes (16)",
  },
  {
    name: "a NUL-stuck line meets this limit before the line limit",
    input: "PING\0\r\nPING\r\nPING\r\n",
    error: "warren: request larger than maxFrameBytes (16)",
  },
  { name: "Redis's error, where it comes first, is Redis's", input: "*1\r\n$x\r\n", error: "Protocol error: invalid bulk length" },
  {
    name: "the limit is per frame",
    input: "*1\r\n$6\r\nSELECT\r\n*1\r\n$6\r\nSELECT\r\n",
    frames: ["*1\r\n$6\r\nSELECT\r\n", "*1\r\n$6\r\nSELECT\r\n"],
  },
]);

specify("requests with maxBulkBytes: 4 (proto-max-bulk-len)", requests({ maxBulkBytes: 4 }), [
  { name: "a 4-byte argument", input: "*1\r\n$4\r\nPING\r\n" },
  { name: "a 5-byte argument", input: "*1\r\n$5\r\n", error: "Protocol error: invalid bulk length" },
]);

describe("RespRequestScanner state", () => {
  test("inline tells each frame's kind, and error is empty until INVALID", () => {
    const s = defaults();
    const stream = bytes("PING\r\n*1\r\n$4\r\nPING\r\n\r\nPING\r\n*0\r\n*1\r\n$4\r\nPING\r\n*1\r\n$x\r\n");
    expect(scanRequests(s, stream, [0, stream.length])).toEqual({
      ends: [6, 20, 28, 46],
      inline: [true, false, true, false],
      invalid: true,
      error: "Protocol error: invalid bulk length",
      pending: -1,
    });
  });

  test("reset() forgets the error and the frame, but not unauthenticated", () => {
    const s = requests({ unauthenticated: true })();
    const bad = bytes("*11\r\n");
    expect(s.feed(bad, 0, bad.length)).toBe(INVALID);
    expect(s.error).toBe("Protocol error: unauthenticated multibulk length");
    s.reset();
    expect([s.error, s.inline, s.pending, s.unauthenticated]).toEqual(["", false, 0, true]);
    expect(s.feed(bad, 0, bad.length)).toBe(INVALID);
  });

  test("unauthenticated may change between requests, e.g. after AUTH", () => {
    const s = requests({ unauthenticated: true })();
    const big = bytes(`*11\r\n${"$1\r\na\r\n".repeat(11)}`);
    s.unauthenticated = false;
    expect(s.feed(big, 0, big.length)).toBe(big.length);
  });

  test("a 1 MiB argument in 64 KiB chunks is one request, its payload never read", () => {
    const size = 1024 * 1024;
    const head = bytes(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${size}\r\n`);
    const request = new Uint8Array(head.length + size + 2).fill(0); // NULs and no CR LF: only counting gets this right
    request.set(head, 0);
    const outcome = scanRequests(defaults(), request, everyBytes(request.length, 64 * 1024));
    expect(outcome).toEqual({ ends: [request.length], inline: [false], invalid: false, error: "", pending: 0 });
  });

  test("an empty range answers NEED_MORE even in the middle of a payload", () => {
    const s = defaults();
    const head = bytes("*1\r\n$4\r\nPI");
    expect(s.feed(head, 0, head.length)).toBe(NEED_MORE);
    expect(s.feed(head, 0, 0)).toBe(NEED_MORE);
    expect(s.pending).toBe(head.length);
  });
});

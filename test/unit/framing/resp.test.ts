import { describe, expect, test } from "bun:test";
import { FramerError } from "../../../src/framing/errors.ts";
import { INVALID, NEED_MORE, type FramerFactory } from "../../../src/framing/framer.ts";
import { type RespFramerOptions, respFramer } from "../../../src/framing/resp.ts";
import { framerConformance } from "./conformance.ts";
import { type Case, bytes, everyBytes, expectedFraming, framing, scanCuts, whole } from "./harness.ts";

function resp(options: Partial<RespFramerOptions> = {}): FramerFactory {
  const factory = respFramer(options);
  if (factory instanceof FramerError) throw factory;
  return factory;
}

/** specify runs a table of cases against one factory, each fed whole, byte by byte and split everywhere. */
function specify(title: string, factory: FramerFactory, cases: Case[]): void {
  describe(title, () => {
    for (const c of cases) test(c.name, () => expect(framing(factory, c.input)).toEqual(expectedFraming(c)));
  });
}

/** RespScanner reads a server's replies; a client's requests (the default) are RespRequestScanner's, in resp-request.test.ts. */
const replies = resp({ inline: false });

framerConformance("RespScanner reading replies", replies, {
  frames: ["*2\r\n$3\r\nGET\r\n$1\r\na\r\n", "+OK\r\n", "%1\r\n+a\r\n:1\r\n"],
  invalid: "$abc\r\n",
});

specify("replies: RESP2 values", replies, [
  { name: "simple string", input: "+OK\r\n" },
  { name: "empty simple string", input: "+\r\n" },
  { name: "error", input: "-ERR wrong number of arguments\r\n" },
  { name: "integer", input: ":1000\r\n" },
  { name: "negative integer", input: ":-42\r\n" },
  { name: "integer with a plus sign", input: ":+7\r\n" },
  { name: "bulk string", input: "$5\r\nhello\r\n" },
  { name: "empty bulk string", input: "$0\r\n\r\n" },
  { name: "bulk payload is counted, not scanned for CR LF", input: "$6\r\n\r\n*1\r\n\r\n" },
  { name: "null bulk string $-1", input: "$-1\r\n" },
  { name: "empty array", input: "*0\r\n" },
  { name: "null array *-1", input: "*-1\r\n" },
  { name: "command array", input: "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\nb\r\n" },
  { name: "array of mixed types", input: "*4\r\n:1\r\n+two\r\n$5\r\nthree\r\n-four\r\n" },
  { name: "arrays nested 3 deep", input: "*2\r\n*2\r\n*1\r\n:1\r\n$1\r\nx\r\n+y\r\n" },
  { name: "nulls inside an array", input: "*3\r\n$-1\r\n*-1\r\n$0\r\n\r\n" },
  {
    name: "values back to back are separate frames",
    input: "+OK\r\n:1\r\n$1\r\na\r\n*1\r\n+x\r\n$-1\r\n",
    frames: ["+OK\r\n", ":1\r\n", "$1\r\na\r\n", "*1\r\n+x\r\n", "$-1\r\n"],
  },
  { name: "an incomplete array is pending", input: "*2\r\n$3\r\nGET\r\n", frames: [], rest: "*2\r\n$3\r\nGET\r\n" },
  { name: "an incomplete bulk is pending", input: "+OK\r\n$5\r\nhel", frames: ["+OK\r\n"], rest: "$5\r\nhel" },
  { name: "a bulk without its CR LF yet is pending", input: "$2\r\nhi", frames: [], rest: "$2\r\nhi" },
]);

specify("replies: RESP3 values", replies, [
  { name: "null", input: "_\r\n" },
  { name: "double", input: ",3.14159\r\n" },
  { name: "double with exponent", input: ",-1.5e-3\r\n" },
  { name: "double infinity", input: ",-inf\r\n" },
  { name: "double nan", input: ",nan\r\n" },
  { name: "boolean true", input: "#t\r\n" },
  { name: "boolean false", input: "#f\r\n" },
  { name: "blob error", input: "!21\r\nSYNTAX invalid syntax\r\n" },
  { name: "verbatim string", input: "=15\r\ntxt:Some string\r\n" },
  { name: "big number", input: "(3492890328409238509324850943850943825024385\r\n" },
  { name: "negative big number", input: "(-3492890328409238509324850943850943825024385\r\n" },
  { name: "map", input: "%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n" },
  { name: "empty map", input: "%0\r\n" },
  { name: "set", input: "~3\r\n+a\r\n+b\r\n+c\r\n" },
  { name: "push", input: ">3\r\n+message\r\n+chan\r\n$5\r\nhello\r\n" },
  {
    name: "attribute belongs to the frame of the value after it",
    input: "|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n*2\r\n:2039123\r\n:9543892\r\n",
  },
  { name: "empty attribute before a value", input: "|0\r\n+v\r\n" },
  { name: "attribute on an array element", input: "*2\r\n|1\r\n+ttl\r\n:3600\r\n+v\r\n:2\r\n" },
  { name: "nested aggregates of every kind", input: "%1\r\n~1\r\n>1\r\n*1\r\n_\r\n#t\r\n" },
  { name: "streamed string", input: "$?\r\n;4\r\nHell\r\n;5\r\no wor\r\n;2\r\nd!\r\n;0\r\n" },
  { name: "streamed string with no chunks", input: "$?\r\n;0\r\n" },
  { name: "streamed array", input: "*?\r\n:1\r\n:2\r\n.\r\n" },
  { name: "streamed map", input: "%?\r\n+a\r\n:1\r\n.\r\n" },
  { name: "empty streamed set", input: "~?\r\n.\r\n" },
  { name: "streamed aggregates nested, with a streamed string inside", input: "*?\r\n*?\r\n$?\r\n;1\r\nx\r\n;0\r\n.\r\n:1\r\n.\r\n" },
  { name: "streamed array inside a counted one", input: "*2\r\n*?\r\n.\r\n+x\r\n" },
]);

specify("replies: invalid RESP", replies, [
  { name: "non-numeric length $abc", input: "$abc\r\n", frames: [], invalid: true },
  { name: "negative length other than -1", input: "$-2\r\n", frames: [], invalid: true },
  { name: "-1 followed by more digits", input: "$-10\r\n", frames: [], invalid: true },
  { name: "minus zero", input: "$-0\r\n", frames: [], invalid: true },
  { name: "length beyond 2^53", input: "$99999999999999999999\r\n", frames: [], invalid: true },
  { name: "leading zero", input: "$01\r\nx\r\n", frames: [], invalid: true },
  { name: "empty length", input: "$\r\n", frames: [], invalid: true },
  { name: "space in a length", input: "$ 1\r\nx\r\n", frames: [], invalid: true },
  { name: "plus sign in a length", input: "*+1\r\n:1\r\n", frames: [], invalid: true },
  { name: "length line with LF but no CR", input: "$1\na\r\n", frames: [], invalid: true },
  { name: "bulk longer than its length (CR LF missing)", input: "$1\r\nab\r\n", frames: [], invalid: true },
  { name: "bulk followed by LF without CR", input: "$1\r\na\n", frames: [], invalid: true },
  { name: "simple string ended by LF alone", input: "+OK\n", frames: [], invalid: true },
  { name: "CR not followed by LF", input: "+OK\rX\n", frames: [], invalid: true },
  { name: "integer with a letter", input: ":12a\r\n", frames: [], invalid: true },
  { name: "integer without digits", input: ":-\r\n", frames: [], invalid: true },
  { name: "empty integer", input: ":\r\n", frames: [], invalid: true },
  { name: "sign after digits", input: ":1-\r\n", frames: [], invalid: true },
  { name: "boolean other than t or f", input: "#x\r\n", frames: [], invalid: true },
  { name: "boolean with two letters", input: "#tt\r\n", frames: [], invalid: true },
  { name: "empty boolean", input: "#\r\n", frames: [], invalid: true },
  { name: "null with content", input: "_x\r\n", frames: [], invalid: true },
  { name: "empty double", input: ",\r\n", frames: [], invalid: true },
  { name: "double with a stray letter", input: ",1.0x\r\n", frames: [], invalid: true },
  { name: "map with -1 (only $ and * have RESP2 nulls)", input: "%-1\r\n", frames: [], invalid: true },
  { name: "blob error cannot be streamed", input: "!?\r\n", frames: [], invalid: true },
  { name: "push cannot be streamed", input: ">?\r\n", frames: [], invalid: true },
  { name: "? followed by digits", input: "*?1\r\n", frames: [], invalid: true },
  { name: "verbatim string shorter than its format prefix", input: "=3\r\ntxt\r\n", frames: [], invalid: true },
  { name: "streamed string chunk without ;", input: "$?\r\n:1\r\n", frames: [], invalid: true },
  { name: "negative streamed chunk length", input: "$?\r\n;-1\r\n", frames: [], invalid: true },
  { name: "end marker inside a counted array", input: "*1\r\n.\r\n", frames: [], invalid: true },
  { name: "end marker with content", input: "*?\r\n.x\r\n", frames: [], invalid: true },
  { name: "end marker outside any aggregate", input: ".\r\n", frames: [], invalid: true },
  { name: "inline command inside an array", input: "*1\r\nPING\r\n", frames: [], invalid: true },
  { name: "an inline command", input: "PING\r\n", frames: [], invalid: true },
  { name: "a blank line", input: "\r\n", frames: [], invalid: true },
  { name: "valid frames, then garbage", input: "+OK\r\n:1\r\n$x\r\n", frames: ["+OK\r\n", ":1\r\n"], invalid: true },
]);

specify("replies with maxDepth: 3", resp({ inline: false, maxDepth: 3 }), [
  { name: "3 levels are allowed", input: "*1\r\n*1\r\n*1\r\n:1\r\n" },
  { name: "4 levels are too deep", input: "*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n", frames: [], invalid: true },
  { name: "an attribute counts as a level", input: "*1\r\n*1\r\n|0\r\n*1\r\n:1\r\n", frames: [], invalid: true },
  { name: "streamed aggregates count too", input: "*?\r\n*?\r\n*?\r\n*?\r\n", frames: [], invalid: true },
]);

specify("replies with maxFrameBytes: 16", resp({ inline: false, maxFrameBytes: 16 }), [
  { name: "a frame of exactly 16 bytes", input: "+1234567890123\r\n" },
  { name: "a 17-byte simple string", input: "+12345678901234\r\n", frames: [], invalid: true },
  { name: "a bulk whose header announces too much", input: "$20\r\n", frames: [], invalid: true },
  { name: "an array that cannot fit its count", input: "*5\r\n", frames: [], invalid: true },
  { name: "16 bytes that do not end the frame", input: "*2\r\n$2\r\nab\r\n$1\r\n", frames: [], invalid: true },
  { name: "the limit is per frame", input: "$6\r\nabcdef\r\n$6\r\nabcdef\r\n", frames: ["$6\r\nabcdef\r\n", "$6\r\nabcdef\r\n"] },
]);

specify("replies with maxBulkBytes: 4", resp({ inline: false, maxBulkBytes: 4 }), [
  { name: "a 4-byte bulk", input: "$4\r\nabcd\r\n" },
  { name: "a 5-byte bulk", input: "$5\r\nabcde\r\n", frames: [], invalid: true },
  { name: "a 5-byte streamed chunk", input: "$?\r\n;5\r\nabcde\r\n;0\r\n", frames: [], invalid: true },
]);

specify("replies with maxLineBytes: 8", resp({ inline: false, maxLineBytes: 8 }), [
  { name: "an 8-byte simple string", input: "+12345678\r\n" },
  { name: "a 9-byte simple string", input: "+123456789\r\n", frames: [], invalid: true },
]);

describe("large bulk strings", () => {
  const size = 1024 * 1024;
  const payload = new Uint8Array(size);
  for (let i = 0; i < size; i++) payload[i] = "\r\n*$+"[i % 5]!.charCodeAt(0); // protocol bytes must not confuse the count
  const header = bytes(`$${size}\r\n`);
  const stream = new Uint8Array(header.length + size + 2 + 5);
  stream.set(header, 0);
  stream.set(payload, header.length);
  stream.set(bytes("\r\n+OK\r\n"), header.length + size);
  const expected = { ends: [header.length + size + 2, stream.length], invalid: false, pending: 0 };

  test("a 1 MiB bulk string split into 64 KiB chunks is one frame", () => {
    expect(scanCuts(replies, stream, everyBytes(stream.length, 64 * 1024))).toEqual(expected);
  });

  test("the same stream whole, and in odd-sized chunks, gives the same frames", () => {
    expect(scanCuts(replies, stream, whole(stream.length))).toEqual(expected);
    expect(scanCuts(replies, stream, everyBytes(stream.length, 65537))).toEqual(expected);
    expect(scanCuts(replies, stream, everyBytes(stream.length, 7))).toEqual(expected);
  });

  test("a 100 MB reply with maxFrameBytes: Infinity is counted through 64 KiB chunks", () => {
    const s = resp({ inline: false, maxFrameBytes: Infinity }).create();
    const total = 100_000_000;
    const head = bytes(`$${total}\r\n`);
    expect(s.feed(head, 0, head.length)).toBe(NEED_MORE);
    const chunk = new Uint8Array(64 * 1024).fill(0x0d); // every byte a CR: only counting gets this right
    let left = total;
    while (left > chunk.length) {
      expect(s.feed(chunk, 0, chunk.length)).toBe(NEED_MORE);
      left -= chunk.length;
    }
    const tail = new Uint8Array(left + 2).fill(0x0d);
    tail[left + 1] = 0x0a;
    expect(s.feed(tail, 0, tail.length)).toBe(tail.length);
    expect(s.pending).toBe(0);
  });

  test("a bulk over the default maxBulkBytes (512 MiB) is invalid at its header", () => {
    const head = bytes(`$${512 * 1024 * 1024 + 1}\r\n`);
    expect(resp({ inline: false, maxFrameBytes: Infinity }).create().feed(head, 0, head.length)).toBe(INVALID);
  });
});

describe("respFramer options", () => {
  test("a bad option is returned as a FramerError naming it", () => {
    const error = respFramer({ maxDepth: 0 });
    expect(error).toBeInstanceOf(FramerError);
    expect(error).toMatchObject({ code: "FRAMER_OPTION_INVALID", message: "maxDepth: expected an integer 1..1024, got 0" });
  });

  test("a misspelt option gets a hint instead of silently taking its default", () => {
    expect(respFramer({ maxFrameByte: 10 } as Partial<RespFramerOptions>)).toMatchObject({
      message: 'maxFrameByte: unknown option, did you mean "maxFrameBytes"?',
    });
  });
});

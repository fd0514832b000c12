import { describe, expect, test } from "bun:test";
import { respCommandName, respFramer } from "../../../src/framing/resp.ts";
import { FramerError } from "../../../src/framing/errors.ts";
import { bytes, scanCuts, whole } from "./harness.ts";

function name(frame: string): string | null {
  const b = bytes(frame);
  return respCommandName(b, 0, b.length);
}

describe("respCommandName", () => {
  const cases: [string, string, string | null][] = [
    ["the first bulk string of an array", "*2\r\n$3\r\nget\r\n$1\r\na\r\n", "GET"],
    ["a one-element array", "*1\r\n$5\r\nmulti\r\n", "MULTI"],
    ["mixed case", "*1\r\n$9\r\nSubScribe\r\n", "SUBSCRIBE"],
    ["lines ended by CR and any byte, as Redis reads them", "*1\rX$5\r.multi..", "MULTI"],
    ["the first word of an inline command", "subscribe news sport\r\n", "SUBSCRIBE"],
    ["an inline command ended by LF alone", "exec\n", "EXEC"],
    ["an inline command after blank lines the scanner folded in", "\r\n \x0b\r\n  ping\r\n", "PING"],
    ["an array after a folded blank line", "\r\n*1\r\n$4\r\nping\r\n", "PING"],
    ["a quoted inline command", '"watch" k\r\n', "WATCH"],
    ["an inline name with a quoted part, as Redis decodes it", 'SEL"ECT" 5\r\n', "SELECT"],
    ["an inline name with a hex escape", '"MUL\\x54I"\r\n', "MULTI"],
    ["an inline name in single quotes", "'exec'\r\n", "EXEC"],
    ["a command after an empty array the scanner folded in", "*0\r\n*1\r\n$4\r\nping\r\n", "PING"],
    ["a command after a null array the scanner folded in", "*-1\r\nmulti\r\n", "MULTI"],
    ["after any negative count, ended by CR and any byte", "*-42\rX*1\r\n$4\r\nping\r\n", "PING"],
    ["any first byte but * starts an inline command, as in Redis", "+PING\r\n", "+PING"],
    ["an empty array alone has none", "*0\r\n", null],
    ["a null array alone has none", "*-1\r\n", null],
    ["an inline command with unbalanced quotes has none", 'MULTI "x\r\n', null],
    ["an array whose first element is not a bulk string", "*1\r\n:1\r\n", null],
    ["a name longer than 64 bytes", `*1\r\n$65\r\n${"x".repeat(65)}\r\n`, null],
    ["an inline name longer than 64 bytes", `${"x".repeat(65)}\r\n`, null],
    ["a bulk string that does not fit in the frame", "*1\r\n$9\r\nGET\r\n", null],
  ];
  for (const [title, frame, expected] of cases) test(title, () => expect(name(frame)).toBe(expected));

  test("names each frame of a pipelined buffer, at any offset", () => {
    const factory = respFramer();
    if (factory instanceof FramerError) throw factory;
    const stream = bytes('*1\r\n$4\r\nPING\r\nget a\r\n\r\n*0\r\n*2\r\n$4\r\necho\r\n$1\r\nx\r\nsel"ect" 1\r\n');
    const { ends } = scanCuts(factory, stream, whole(stream.length));
    const names = ends.map((end, k) => respCommandName(stream, ends[k - 1] ?? 0, end));
    expect(names).toEqual(["PING", "GET", "ECHO", "SELECT"]);
  });
});

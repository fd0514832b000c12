import { describe, expect, test } from "bun:test";
import { encodeCommand, parseInlineFrame } from "../../../src/framing/resp-inline.ts";
import { bytes, text } from "./harness.ts";

/**
 * parseInlineFrame's specification: Redis 7.0's sdssplitargs (sds.c) rule by rule,
 * on frames as RespRequestScanner delimits them. null means Redis replies
 * "Protocol error: unbalanced quotes in request" and closes.
 */

function args(frame: string): string[] | null {
  const b = bytes(frame);
  return parseInlineFrame(b, 0, b.length)?.map(text) ?? null;
}

function specify(title: string, cases: [string, string, string[] | null][]): void {
  describe(title, () => {
    for (const [name, frame, expected] of cases) test(name, () => expect(args(frame)).toEqual(expected));
  });
}

specify("words", [
  ["one word", "PING\r\n", ["PING"]],
  ["words split at spaces", "SET key value\r\n", ["SET", "key", "value"]],
  ["runs of blanks, leading and trailing", "  SET \t key  \r\n", ["SET", "key"]],
  ["a line ended by LF alone", "GET k\n", ["GET", "k"]],
  ["one CR before the LF is dropped, another is a blank", "GET k\r\r\n", ["GET", "k"]],
  ["a CR inside the line splits words", "GET a\rb\r\n", ["GET", "a", "b"]],
  ["\\v and \\f are blanks between words", "GET\x0b\x0ck\r\n", ["GET\x0b\x0ck"]],
  [
    "but part of a word once it has started: an unquoted word ends only at space, tab, CR, LF",
    "ECHO a\x0bb\x0c\r\n",
    ["ECHO", "a\x0bb\x0c"],
  ],
  ["leading \\v and \\f are skipped", "ECHO \x0b\x0ca\r\n", ["ECHO", "a"]],
  ["bytes above 127 are word bytes", "ECHO \xff\x80\r\n", ["ECHO", "\xff\x80"]],
  ["a backslash outside quotes is a plain byte", "ECHO a\\nb\r\n", ["ECHO", "a\\nb"]],
  ["a blank line has no arguments", " \t\r\n", []],
]);

specify("double quotes", [
  ["a quoted word keeps its spaces", 'SET k "a b"\r\n', ["SET", "k", "a b"]],
  ["an empty quoted word is an empty argument", 'SET k ""\r\n', ["SET", "k", ""]],
  ['a quote inside a word opens a quoted part: SEL"ECT" is SELECT', 'SEL"ECT" 5\r\n', ["SELECT", "5"]],
  ['\\xHH escapes: "MUL\\x54I" is MULTI', '"MUL\\x54I"\r\n', ["MULTI"]],
  ["\\x with upper and lower case hex", '"\\xfF\\x00\\xAb"\r\n', ["\xff\x00\xab"]],
  ["\\x without two hex digits is an x", '"\\x4g\\xZZ\\x"\r\n', ["x4gxZZx"]],
  ["\\n \\r \\t \\b \\a", '"\\n\\r\\t\\b\\a"\r\n', ["\n\r\t\b\x07"]],
  ["a backslash before any other byte stands for that byte", '"\\q\\"\\\\\\ "\r\n', ['q"\\ ']],
  ["a raw CR, tab or high byte inside quotes is kept", '"a\rb\tc\xff"\r\n', ["a\rb\tc\xff"]],
  ["a closing quote followed by a blank, \\v included", '"a"\x0bb\r\n', ["a", "b"]],
  ["a closing quote at the end of the line, its CR dropped", 'ECHO "a"\r\n', ["ECHO", "a"]],
  ["a closing quote followed by more word is refused", 'ECHO "a"b\r\n', null],
  ["so is a quote after a quote", 'ECHO "a""b"\r\n', null],
  ["an unterminated quote is refused", 'GET "x\r\n', null],
  ["a backslash just before the end leaves the quote open", 'ECHO "a\\\r\n', null],
  ["an escaped closing quote leaves it open", 'ECHO "a\\"\r\n', null],
]);

specify("single quotes", [
  ["a single-quoted word keeps its spaces", "ECHO 'a b'\r\n", ["ECHO", "a b"]],
  ["\\' is a quote", "ECHO 'a\\'b'\r\n", ["ECHO", "a'b"]],
  ["any other backslash is a plain byte", "ECHO 'a\\nb\\\\x'\r\n", ["ECHO", "a\\nb\\\\x"]],
  ["hence '\\\\' leaves the quote open", "ECHO '\\\\'\r\n", null],
  ["a quote inside a word opens a single-quoted part", "ECHO a'b c'\r\n", ["ECHO", "ab c"]],
  ["double quotes inside single ones are plain", "ECHO '\"'\r\n", ["ECHO", '"']],
  ["a closing quote followed by more word is refused", "ECHO 'a'b\r\n", null],
  ["an unterminated quote is refused", "ECHO 'a\r\n", null],
]);

specify("frames as the scanner delimits them", [
  ["folded blank lines are skipped", "\r\n \r\nECHO a\r\n", ["ECHO", "a"]],
  ["so are folded no-op counts, ended by CR and any byte", "*0\r\n*-1\rXECHO a\r\n", ["ECHO", "a"]],
  ["a NUL ends the line, as in C", "ECHO a\0b\r\n", ["ECHO", "a"]],
]);

describe("parseInlineFrame on a larger buffer", () => {
  test("reads only buf[start, end) and returns arguments that outlive it", () => {
    const buf = bytes('xxECHO "a b" c\r\nyy');
    const result = parseInlineFrame(buf, 2, buf.length - 2)!;
    buf.fill(0);
    expect(result.map(text)).toEqual(["ECHO", "a b", "c"]);
  });
});

describe("encodeCommand", () => {
  test("encodes arguments as a RESP array of bulk strings", () => {
    expect(text(encodeCommand([bytes("SET"), bytes("k"), bytes("")]))).toBe("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
  });
  test("keeps binary arguments byte for byte", () => {
    expect(text(encodeCommand([bytes("ECHO"), bytes("\r\n\0\xff")]))).toBe("*2\r\n$4\r\nECHO\r\n$4\r\n\r\n\0\xff\r\n");
  });
  test("re-encodes what parseInlineFrame read", () => {
    const frame = bytes('SEL"ECT" "\\x35"\r\n');
    expect(text(encodeCommand(parseInlineFrame(frame, 0, frame.length)!))).toBe("*2\r\n$6\r\nSELECT\r\n$1\r\n5\r\n");
  });
  test("an empty command is an empty array", () => {
    expect(text(encodeCommand([]))).toBe("*0\r\n");
  });
});

/**
 * The tests' RESP decoder (test/helpers/redis.ts): every RESP2 and RESP3 type
 * decodes to the value the isolation tests compare against, and the index it
 * returns is just past the frame.
 */
import { expect, test } from "bun:test";
import { type Reply, RespDouble, RespError, RespMap, RespPush, RespSet, RespVerbatim, decode } from "../../helpers/redis.ts";

const cases: [string, Reply][] = [
  ["+OK\r\n", "OK"],
  ["-ERR warren: pool queue full\r\n", new RespError("ERR warren: pool queue full")],
  [":-42\r\n", -42],
  ["$5\r\nhe\r\no\r\n", "he\r\no"],
  ["$-1\r\n", null],
  ["*-1\r\n", null],
  ["*2\r\n$1\r\na\r\n:1\r\n", ["a", 1]],
  ["_\r\n", null],
  ["#t\r\n", true],
  ["#f\r\n", false],
  [",3.5\r\n", new RespDouble(3.5)],
  [",inf\r\n", new RespDouble(Infinity)],
  ["(12345678901234567890\r\n", 12345678901234567890n],
  ["=7\r\ntxt:abc\r\n", new RespVerbatim("txt", "abc")],
  ["!9\r\nERR nope!\r\n", new RespError("ERR nope!")],
  [
    "%2\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\ng\r\n_\r\n",
    new RespMap([
      ["f", "v"],
      ["g", null],
    ]),
  ],
  ["~2\r\n:1\r\n:2\r\n", new RespSet([1, 2])],
  [">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n", new RespPush(["message", "ch", "hi"])],
  ["|1\r\n$3\r\nttl\r\n:5\r\n$1\r\nx\r\n", "x"],
];

test.each(cases)("%j decodes to its value, and the next index is the frame's end", (wire, want) => {
  const buf = Buffer.from(`${wire}+NEXT\r\n`, "latin1");
  const [value, next] = decode(buf, 0);
  expect(value).toEqual(want);
  expect(next).toBe(Buffer.byteLength(wire, "latin1"));
});

test("RespMap.get finds a value by its key", () => {
  const [map] = decode(Buffer.from("%2\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:7\r\n"), 0);
  expect((map as RespMap).get("proto")).toBe(3);
  expect((map as RespMap).get("missing")).toBeUndefined();
});

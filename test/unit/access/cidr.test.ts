import { describe, expect, test } from "bun:test";
import { AccessList, contains, parseCidr, parseIp } from "../../../src/access/cidr.ts";

const range = (t: string) => {
  const r = parseCidr(t);
  if (r === null) throw new Error(`bad range ${t}`);
  return r;
};
const ip = (t: string) => {
  const a = parseIp(t);
  if (a === null) throw new Error(`bad ip ${t}`);
  return a;
};

describe("CIDR ranges", () => {
  test.each([
    ["10.0.0.0/8", "10.255.1.2", true],
    ["10.0.0.0/8", "11.0.0.1", false],
    ["192.168.1.0/24", "192.168.1.77", true],
    ["192.168.1.0/24", "192.168.2.1", false],
    ["127.0.0.1", "127.0.0.1", true],
    ["127.0.0.1", "127.0.0.2", false],
    ["0.0.0.0/0", "8.8.8.8", true],
    ["10.0.0.0/8", "::ffff:10.1.2.3", true],
    ["2001:db8::/32", "2001:db8:1::5", true],
    ["2001:db8::/32", "2001:db9::1", false],
    ["::1", "::1", true],
    ["::1/128", "::2", false],
    ["fe80::/10", "fe80::1%eth0", true],
    ["::/0", "1.2.3.4", true],
    ["::ffff:0:0/96", "1.2.3.4", true],
    ["2001:db8::1:0:0:1/128", "2001:0db8:0:0:1:0:0:1", true],
  ] as const)("%s contains %s: %p", (r, a, expected) => {
    expect(contains(range(r), ip(a))).toBe(expected);
  });

  test.each(["10.0.0.0/33", "10.0.0/8", "256.0.0.1", "1.2.3.4/x", "2001:db8::/129", ":::1", "1:2:3:4:5:6:7:8:9", "", "abc"])(
    "rejects %p",
    (t) => {
      expect(parseCidr(t)).toBeNull();
    },
  );
});

describe("AccessList", () => {
  const list = (allow: string[], deny: string[]) => new AccessList(allow.map(range), deny.map(range));

  test("empty lists allow everyone", () => {
    expect(list([], []).permits("203.0.113.9")).toBe(true);
  });
  test("deny wins over allow", () => {
    const l = list(["10.0.0.0/8"], ["10.1.0.0/16"]);
    expect(l.permits("10.2.3.4")).toBe(true);
    expect(l.permits("10.1.3.4")).toBe(false);
    expect(l.permits("192.0.2.1")).toBe(false);
  });
  test("deny-only lists allow the rest", () => {
    const l = list([], ["192.0.2.0/24", "2001:db8::/32"]);
    expect(l.permits("192.0.2.9")).toBe(false);
    expect(l.permits("2001:db8::7")).toBe(false);
    expect(l.permits("198.51.100.1")).toBe(true);
    expect(l.permits("::1")).toBe(true);
  });
  test("an unparsable client address is denied when any rule exists", () => {
    expect(list([], ["10.0.0.0/8"]).permits("not-an-ip")).toBe(false);
  });
});

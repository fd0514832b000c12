import { describe, expect, test } from "bun:test";
import { hostKind, hostProblem } from "../../../src/config/host.ts";
import { formatHostPort, parseHostPort } from "../../../src/config/host-port.ts";

describe("parseHostPort", () => {
  test.each([
    ["127.0.0.1:80", { host: "127.0.0.1", port: 80 }],
    ["localhost:65535", { host: "localhost", port: 65535 }],
    ["db.internal:1", { host: "db.internal", port: 1 }],
    ["db.example.com.:1", { host: "db.example.com.", port: 1 }],
    ["redis_cache:6379", { host: "redis_cache", port: 6379 }],
    ["[::1]:80", { host: "::1", port: 80 }],
    ["[fe80::1%eth0]:6379", { host: "fe80::1%eth0", port: 6379 }],
    ["[::ffff:10.0.0.1]:6379", { host: "::ffff:10.0.0.1", port: 6379 }],
    ["host:080", { host: "host", port: 80 }],
  ])("reads %p", (text, expected) => {
    expect(parseHostPort(text, false)).toEqual(expected);
  });

  // [text, what it is, the whole message]
  test.each([
    ["::1:6379", "a bare IPv6 address and port", `expected HOST:PORT, got "::1:6379": IPv6 addresses go in brackets: [::1]:6379`],
    [
      "fe80::1",
      "a bare IPv6 address without a port",
      `expected HOST:PORT, got "fe80::1": IPv6 addresses go in brackets, with a port: [fe80::1]:PORT`,
    ],
    ["1::2::3:80", "colons that make no IPv6 address", `expected HOST:PORT, got "1::2::3:80"`],
    ["127.0.0.1:99999", "a port above 65535", `expected HOST:PORT, got "127.0.0.1:99999": port must be 0..65535 (0 picks a free port)`],
    ["localhost:123456", "a port of six digits", `expected HOST:PORT, got "localhost:123456": port must be 0..65535 (0 picks a free port)`],
    [
      "localhost:80a",
      "a port with letters",
      `expected HOST:PORT, got "localhost:80a": port must be a number 0..65535 (0 picks a free port)`,
    ],
    ["localhost:-1", "a negative port", `expected HOST:PORT, got "localhost:-1": port must be a number 0..65535 (0 picks a free port)`],
    ["localhost:+80", "a signed port", `expected HOST:PORT, got "localhost:+80": port must be a number 0..65535 (0 picks a free port)`],
    [
      "localhost: 80",
      "a space before the port",
      `expected HOST:PORT, got "localhost: 80": port must be a number 0..65535 (0 picks a free port)`,
    ],
    ["localhost:80 ", "a trailing space", `expected HOST:PORT, got "localhost:80 ": port must be a number 0..65535 (0 picks a free port)`],
    ["localhost:", "no port", `expected HOST:PORT, got "localhost:": no port after the ":"`],
    ["localhost", "no colon", `expected HOST:PORT, got "localhost": no ":PORT"`],
    [":80", "no host", `expected HOST:PORT, got ":80": no host before the ":"`],
    ["[]:80", "empty brackets", `expected HOST:PORT, got "[]:80": no address between the brackets`],
    ["[::1]80", "no colon after the bracket", `expected HOST:PORT, got "[::1]80": a port must follow, as in [::1]:6379`],
    ["[::1]", "brackets and no port", `expected HOST:PORT, got "[::1]": a port must follow, as in [::1]:6379`],
    ["[::1:80", "an unclosed bracket", `expected HOST:PORT, got "[::1:80": no "]" closes the IPv6 address`],
    ["[::1]:80:90", "two ports", `expected HOST:PORT, got "[::1]:80:90": port must be a number 0..65535 (0 picks a free port)`],
    ["[db]:80", "a name in brackets", `expected HOST:PORT, got "[db]:80": "db" in brackets is not an IPv6 address`],
    ["", "nothing", `expected HOST:PORT, got "": no ":PORT"`],
    [
      "local host:80",
      "a space in the host",
      `expected HOST:PORT, got "local host:80": "local host" is not a valid host name: labels are letters, digits and hyphens (not first or last)`,
    ],
    [
      "256.0.0.1:80",
      "an IPv4 number above 255",
      `expected HOST:PORT, got "256.0.0.1:80": "256.0.0.1" is not an IPv4 address: each of its 4 numbers must be 0..255`,
    ],
  ])("rejects %p: %s", (text, _what, message) => {
    expect(parseHostPort(text, true)).toBe(message);
  });

  test("port 0 only where allowed (a listen address, not a backend)", () => {
    expect(parseHostPort("127.0.0.1:0", true)).toEqual({ host: "127.0.0.1", port: 0 });
    expect(parseHostPort("127.0.0.1:0", false)).toBe(
      `expected HOST:PORT, got "127.0.0.1:0": port must be 1..65535 (port 0 is only for listen addresses)`,
    );
    expect(parseHostPort("[::1]:0", true)).toEqual({ host: "::1", port: 0 });
    expect(parseHostPort("127.0.0.1:65536", false)).toBe(`expected HOST:PORT, got "127.0.0.1:65536": port must be 1..65535`);
  });

  test("a very long value is cut short in the message, with its length", () => {
    const text = `${"a".repeat(100_000)}:80`;
    expect(parseHostPort(text, false)).toBe(
      `expected HOST:PORT, got "${"a".repeat(60)}…" (100003 characters): a host name is at most 253 characters, this one is 100000`,
    );
  });
});

describe("hostProblem: IPv4 and IPv6 literals, and host names as RFC 1123 has them", () => {
  test.each([
    ["127.0.0.1", "ipv4"],
    ["0.0.0.0", "ipv4"],
    ["255.255.255.255", "ipv4"],
    ["::", "ipv6"],
    ["::1", "ipv6"],
    ["2001:db8::8a2e:370:7334", "ipv6"],
    ["fe80::1%eth0", "ipv6"],
    ["localhost", "name"],
    ["db-1.internal", "name"],
    ["1password.com", "name"],
    ["x", "name"],
    [`${"a".repeat(63)}.example`, "name"],
    [Array.from({ length: 4 }, () => "a".repeat(61)).join(".") + ".ab", "name"], // 249 + 3 = 252 characters
  ])("accepts %p (%s)", (host, kind) => {
    expect(hostProblem(host)).toBeNull();
    expect(hostKind(host)).toBe(kind as ReturnType<typeof hostKind>);
  });

  test.each([
    ["256.0.0.1", `"256.0.0.1" is not an IPv4 address: each of its 4 numbers must be 0..255`],
    ["1.2.3", `"1.2.3" is not an IPv4 address: expected 4 numbers 0..255 separated by dots`],
    ["127.1", `"127.1" is not an IPv4 address: expected 4 numbers 0..255 separated by dots`],
    ["010.0.0.1", `"010.0.0.1" is not an IPv4 address: leading zeros are not allowed (some systems read them as octal)`],
    ["1::2::3", `"1::2::3" is not an IPv6 address`],
    ["-db", `"-db" is not a valid host name: labels are letters, digits and hyphens (not first or last)`],
    ["db-", `"db-" is not a valid host name: labels are letters, digits and hyphens (not first or last)`],
    ["db..internal", `"db..internal" is not a valid host name: empty label (two dots in a row, or a leading dot)`],
    [".db", `".db" is not a valid host name: empty label (two dots in a row, or a leading dot)`],
    ["db!", `"db!" is not a valid host name: labels are letters, digits and hyphens (not first or last)`],
    ["db.123", `"db.123" is not a valid host name: its last label is all digits`],
    [`${"a".repeat(64)}.example`, `"${"a".repeat(48)}…" is not a valid host name: a label is at most 63 characters`],
    ["a".repeat(254), `a host name is at most 253 characters, this one is 254`],
  ])("rejects %p", (host, message) => {
    expect(hostProblem(host)).toBe(message);
  });
});

describe("formatHostPort", () => {
  test("brackets IPv6 hosts and is the inverse of parseHostPort", () => {
    for (const text of ["127.0.0.1:80", "localhost:65535", "[::1]:80", "[fe80::1%eth0]:0"]) {
      const hp = parseHostPort(text, true);
      expect(typeof hp).toBe("object");
      expect(formatHostPort(hp as Exclude<typeof hp, string>)).toBe(text);
    }
  });
});

describe("unix: addresses", () => {
  test('unix:/PATH reads as the path, with host "" and port 0, and formats back', () => {
    expect(parseHostPort("unix:/run/warren.sock", false)).toEqual({ host: "", port: 0, unix: "/run/warren.sock" });
    expect(parseHostPort("unix:/tmp/a b/c.sock", true)).toEqual({ host: "", port: 0, unix: "/tmp/a b/c.sock" });
    expect(formatHostPort({ host: "", port: 0, unix: "/run/warren.sock" })).toBe("unix:/run/warren.sock");
  });

  test.each([
    ["unix:", `expected unix:/PATH, got "unix:": no path after "unix:"`],
    ["unix:run/warren.sock", `expected unix:/PATH, got "unix:run/warren.sock": the path must be absolute, as in unix:/run/warren.sock`],
    ["unix:/run/", `expected unix:/PATH, got "unix:/run/": the path names a directory, not a socket file`],
    [
      `unix:/${"a".repeat(107)}`,
      `expected unix:/PATH, got "unix:/${"a".repeat(54)}…" (113 characters): the path is 108 bytes, and a unix socket address holds at most 107`,
    ],
    ["unix:/a\0b", `expected unix:/PATH, got "unix:/a\\u0000b": a NUL byte in the path`],
    ["/run/warren.sock", `expected HOST:PORT, got "/run/warren.sock": a unix socket is written unix:/run/warren.sock`],
  ])("refuses %p, saying why", (text, message) => {
    expect(parseHostPort(text, false)).toBe(message);
  });

  test("a 107-byte path is the longest that fits", () => {
    expect(parseHostPort(`unix:/${"a".repeat(106)}`, false)).toEqual({ host: "", port: 0, unix: `/${"a".repeat(106)}` });
  });
});

import { describe, expect, test } from "bun:test";
import { formatHostPort, parseHostPort } from "../../../src/config/host-port.ts";

describe("parseHostPort", () => {
  test.each([
    ["127.0.0.1:80", { host: "127.0.0.1", port: 80 }],
    ["localhost:65535", { host: "localhost", port: 65535 }],
    ["db.internal:1", { host: "db.internal", port: 1 }],
    ["[::1]:80", { host: "::1", port: 80 }],
    ["[fe80::1%eth0]:6379", { host: "fe80::1%eth0", port: 6379 }],
    ["host:080", { host: "host", port: 80 }],
  ])("reads %p", (text, expected) => {
    expect(parseHostPort(text, false)).toEqual(expected);
  });

  test.each([
    ["::1:80", "a bare IPv6 address (must be bracketed)"],
    ["localhost:80a", "a port with letters"],
    ["localhost:65536", "a port above 65535"],
    ["localhost:123456", "a port of six digits"],
    ["localhost:-1", "a negative port"],
    ["localhost:+80", "a signed port"],
    ["localhost: 80", "a space before the port"],
    ["localhost:80 ", "a trailing space"],
    ["local host:80", "a space in the host"],
    ["localhost:", "no port"],
    ["localhost", "no colon"],
    [":80", "no host"],
    ["[]:80", "empty brackets"],
    ["[::1]80", "no colon after the bracket"],
    ["[::1]", "brackets and no port"],
    ["[::1:80", "an unclosed bracket"],
    ["[::1]:80:90", "two ports"],
    ["", "nothing"],
  ])("rejects %p: %s", (text) => {
    expect(parseHostPort(text, true)).toBeNull();
  });

  test("port 0 only where allowed (a listen address, not a backend)", () => {
    expect(parseHostPort("127.0.0.1:0", true)).toEqual({ host: "127.0.0.1", port: 0 });
    expect(parseHostPort("127.0.0.1:0", false)).toBeNull();
    expect(parseHostPort("[::1]:0", true)).toEqual({ host: "::1", port: 0 });
    expect(parseHostPort("[::1]:0", false)).toBeNull();
  });
});

describe("formatHostPort", () => {
  test("brackets IPv6 hosts and is the inverse of parseHostPort", () => {
    for (const text of ["127.0.0.1:80", "localhost:65535", "[::1]:80", "[fe80::1%eth0]:0"]) {
      const hp = parseHostPort(text, true);
      expect(hp).not.toBeNull();
      expect(formatHostPort(hp!)).toBe(text);
    }
  });
});

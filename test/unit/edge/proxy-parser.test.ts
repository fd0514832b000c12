/**
 * ProxyParser against proxy-protocol.txt: every valid header whole, byte by byte and split at every
 * index, with stream bytes after it in the same chunk; every kind of invalid header failing with its own
 * code, as early as its bytes allow, however it is cut.
 */
import { describe, expect, test } from "bun:test";
import { crc32c } from "../../../src/edge/crc32c.ts";
import type { ProxyAccept, ProxyFailure } from "../../../src/edge/proxy-header.ts";
import { ProxyParser } from "../../../src/edge/proxy-parser.ts";
import { bytes, concat, everyCut, feedCuts, ipv4Body, SIG, tlv, v2, whole } from "./harness.ts";

const STREAM = bytes("GET / HTTP/1.1\r\n\r\n\r\nPROXY TCP4 ");
const NONE = { alpn: null, authority: null, uniqueId: null, ssl: null, netns: null };

const V6_SRC = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const V6_DST = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 9];

/** A v2 header with a CRC32C TLV whose value is the checksum of the header with that value zeroed. */
function withCrc(verCmd: number, fam: number, body: number[]): Uint8Array {
  const h = v2(verCmd, fam, concat(body, tlv(0x03, [0, 0, 0, 0])));
  const crc = crc32c(h);
  h.set([crc >>> 24, (crc >>> 16) & 0xff, (crc >>> 8) & 0xff, crc & 0xff], h.byteLength - 4);
  return h;
}

const SSL = tlv(
  0x20,
  concat(
    [0x07, 0, 0, 0, 0],
    tlv(0x21, "TLSv1.3"),
    tlv(0x22, "client.example"),
    tlv(0x23, "TLS_AES_128_GCM_SHA256"),
    tlv(0x25, "RSA2048"),
    tlv(0x28, [0x30, 0x82]),
  ),
);

const VALID: { name: string; header: Uint8Array; expect: Record<string, unknown> }[] = [
  {
    name: "v1 TCP4 (the spec's example)",
    header: bytes("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n"),
    expect: {
      version: 1,
      family: "tcp4",
      source: { address: "192.168.0.1", port: 56324 },
      destination: { address: "192.168.0.11", port: 443 },
    },
  },
  {
    name: "v1 TCP4 at its longest, ports 0 and 65535",
    header: bytes("PROXY TCP4 255.255.255.255 255.255.255.255 0 65535\r\n"),
    expect: { source: { address: "255.255.255.255", port: 0 }, destination: { address: "255.255.255.255", port: 65535 } },
  },
  {
    name: "v1 TCP6, full groups in upper case, read back in RFC 5952 form",
    header: bytes("PROXY TCP6 2001:0DB8:0000:0000:0000:0000:0000:0001 FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF 65535 65535\r\n"),
    expect: {
      family: "tcp6",
      source: { address: "2001:db8::1", port: 65535 },
      destination: { address: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", port: 65535 },
    },
  },
  {
    name: "v1 TCP6 shortened as inet_ntop writes it, IPv4-mapped too",
    header: bytes("PROXY TCP6 ::ffff:10.0.0.9 fe80::1:2 1 2\r\n"),
    expect: { source: { address: "::ffff:10.0.0.9", port: 1 }, destination: { address: "fe80::1:2", port: 2 } },
  },
  {
    name: "v1 UNKNOWN, short form",
    header: bytes("PROXY UNKNOWN\r\n"),
    expect: { version: 1, family: "unspec", source: null, destination: null },
  },
  {
    name: "v1 UNKNOWN at the longest legal line (107 bytes): the rest is ignored",
    header: bytes(`PROXY UNKNOWN ${"f".repeat(39)} ${"f".repeat(39)} 65535 65535\r\n`),
    expect: { source: null, length: 107 },
  },
  {
    name: "v2 PROXY TCP4",
    header: v2(0x21, 0x11, ipv4Body([10, 1, 2, 3], [192, 0, 2, 1], 4567, 443)),
    expect: {
      version: 2,
      command: "proxy",
      family: "tcp4",
      source: { address: "10.1.2.3", port: 4567 },
      destination: { address: "192.0.2.1", port: 443 },
      tlvs: NONE,
    },
  },
  {
    name: "v2 PROXY TCP6",
    header: v2(0x21, 0x21, [...V6_SRC, ...V6_DST, 0x12, 0x34, 0, 80]),
    expect: { family: "tcp6", source: { address: "2001:db8::1", port: 0x1234 }, destination: { address: "::ffff:10.0.0.9", port: 80 } },
  },
  {
    name: "v2 PROXY UDP4 (addresses read; the stream is warren's TCP)",
    header: v2(0x21, 0x12, ipv4Body([1, 2, 3, 4], [5, 6, 7, 8], 1, 2)),
    expect: { family: "udp4", source: { address: "1.2.3.4", port: 1 } },
  },
  {
    name: "v2 LOCAL with an address block and garbage: all of its length is skipped",
    header: v2(0x20, 0x11, [...ipv4Body([1, 2, 3, 4], [5, 6, 7, 8], 1, 2), 0xff, 0xff, 0xff]),
    expect: { command: "local", source: null, destination: null, length: 31 },
  },
  { name: "v2 LOCAL with an undefined family byte (ignored for LOCAL)", header: v2(0x20, 0xff), expect: { command: "local", length: 16 } },
  {
    name: "v2 PROXY UNSPEC: the real addresses are used",
    header: v2(0x21, 0x00, [1, 2, 3]),
    expect: { command: "proxy", family: "unspec", source: null },
  },
  {
    name: "v2 PROXY UNIX stream: no client address, TLVs after the 216 address bytes",
    header: v2(0x21, 0x31, concat(new Uint8Array(216).fill(0x2f), tlv(0x02, "unix.example"))),
    expect: { family: "unix", source: null, tlvs: { ...NONE, authority: "unix.example" } },
  },
  {
    name: "v2 TLVs kept: ALPN, AUTHORITY, UNIQUE_ID, NETNS, SSL with sub-TLVs; NOOP and custom types skipped",
    header: v2(
      0x21,
      0x11,
      concat(
        ipv4Body([10, 0, 0, 1], [10, 0, 0, 2], 1000, 2000),
        tlv(0x04, []),
        tlv(0x01, "h2"),
        tlv(0x02, "api.example.com"),
        tlv(0xe0, [1, 2, 3]),
        tlv(0x05, "req-42"),
        tlv(0x30, "blue"),
        SSL,
      ),
    ),
    expect: {
      tlvs: {
        alpn: "h2",
        authority: "api.example.com",
        uniqueId: bytes("req-42"),
        netns: "blue",
        ssl: {
          client: 7,
          verify: 0,
          version: "TLSv1.3",
          cn: "client.example",
          cipher: "TLS_AES_128_GCM_SHA256",
          sigAlg: null,
          keyAlg: "RSA2048",
          group: null,
          sigScheme: null,
          clientCert: Uint8Array.from([0x30, 0x82]),
        },
      },
    },
  },
  {
    name: "v2 with a correct CRC32C",
    header: withCrc(0x21, 0x11, ipv4Body([1, 1, 1, 1], [2, 2, 2, 2], 3, 4)),
    expect: { source: { address: "1.1.1.1", port: 3 } },
  },
  {
    name: "v2 at warren's size limit (16 KiB, padded with NOOP)",
    header: v2(0x21, 0x11, concat(ipv4Body([1, 1, 1, 1], [2, 2, 2, 2], 3, 4), tlv(0x04, new Uint8Array(16 * 1024 - 16 - 12 - 3)))),
    expect: { length: 16 * 1024 },
  },
];

describe("valid headers", () => {
  for (const c of VALID) {
    test(`${c.name}: whole, byte by byte and split at every index, stream bytes intact`, () => {
      const input = concat(c.header, STREAM);
      const cuts =
        c.header.byteLength > 1000
          ? [whole(input.length), [0, 1, 15, 16, 17, 5000, input.length], [0, c.header.byteLength - 1, input.length]]
          : everyCut(input.length);
      for (const cut of cuts) {
        const out = feedCuts(input, cut);
        expect({ cut, failure: out.failure }).toEqual({ cut, failure: null });
        expect(out.header).toMatchObject({ length: c.header.byteLength, ...c.expect });
        expect(out.streamAt).toBe(c.header.byteLength);
      }
    });
  }

  test("a header that ends exactly with its chunk leaves nothing for the stream (offset = chunk length)", () => {
    const h = bytes("PROXY UNKNOWN\r\n");
    const p = new ProxyParser();
    expect(p.feed(h)).toBe(h.byteLength);
  });

  test("a header split across chunks is gathered in a buffer sized for that header, not for the chunks", () => {
    const big = concat(bytes("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n"), new Uint8Array(100_000));
    const p = new ProxyParser();
    p.feed(big.subarray(0, 5));
    expect(p.feed(big.subarray(5))).toBe(32 - 5);
    const q = new ProxyParser();
    const h = v2(0x21, 0x11, concat(ipv4Body([1, 2, 3, 4], [5, 6, 7, 8], 1, 2), tlv(0x04, new Uint8Array(200))));
    q.feed(h.subarray(0, 3));
    expect((q as unknown as { held: Uint8Array }).held.byteLength).toBe(16);
    q.feed(h.subarray(3, 20));
    expect((q as unknown as { held: Uint8Array }).held.byteLength).toBe(h.byteLength);
    expect(q.feed(concat(h.subarray(20), new Uint8Array(100_000)))).toBe(h.byteLength - 20);
  });
});

const v1Line = (s: string): Uint8Array => bytes(s);

const INVALID: { name: string; input: Uint8Array; code: ProxyFailure; accept?: ProxyAccept }[] = [
  { name: "no header: an HTTP request", input: bytes("GET / HTTP/1.1\r\n\r\n"), code: "PROXY_MISSING" },
  { name: "no header: a TLS ClientHello", input: Uint8Array.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]), code: "PROXY_MISSING" },
  { name: "lower-case proxy", input: bytes("proxy TCP4 1.2.3.4 1.2.3.4 1 2\r\n"), code: "PROXY_MISSING" },
  { name: "PROXY without its space", input: bytes("PROXYTCP4 1.2.3.4 1.2.3.4 1 2\r\n"), code: "PROXY_MISSING" },
  {
    name: "a v2 signature that diverges",
    input: Uint8Array.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x55, 0x0a, 0x21, 0x11, 0, 0]),
    code: "PROXY_MISSING",
  },
  { name: "v1: unknown protocol", input: v1Line("PROXY UDP4 1.2.3.4 1.2.3.4 1 2\r\n"), code: "PROXY_MALFORMED" },
  { name: "v1: UNKNOWNX is no protocol", input: v1Line("PROXY UNKNOWNX\r\n"), code: "PROXY_MALFORMED" },
  { name: "v1: TCP4 with nothing after", input: v1Line("PROXY TCP4\r\n"), code: "PROXY_MALFORMED" },
  { name: "v1: LF without CR", input: v1Line("PROXY TCP4 1.2.3.4 1.2.3.4 1 2\n"), code: "PROXY_MALFORMED" },
  { name: "v1: CR without LF", input: v1Line("PROXY TCP4 1.2.3.4 1.2.3.4 1 2\rX"), code: "PROXY_MALFORMED" },
  { name: "v1: a lone LF inside an UNKNOWN line", input: v1Line("PROXY UNKNOWN a\nb\r\n"), code: "PROXY_MALFORMED" },
  { name: "v1: a leading zero in an octet", input: v1Line("PROXY TCP4 192.168.0.01 1.2.3.4 1 2\r\n"), code: "PROXY_MALFORMED" },
  { name: "v1: an octet over 255", input: v1Line("PROXY TCP4 256.1.1.1 1.2.3.4 1 2\r\n"), code: "PROXY_MALFORMED" },
  { name: "v1: three octets", input: v1Line("PROXY TCP4 1.2.3 1.2.3.4 1 2\r\n"), code: "PROXY_MALFORMED" },
  { name: "v1: a leading zero in a port", input: v1Line("PROXY TCP4 1.2.3.4 1.2.3.4 080 2\r\n"), code: "PROXY_MALFORMED" },
  { name: "v1: a port over 65535", input: v1Line("PROXY TCP4 1.2.3.4 1.2.3.4 65536 2\r\n"), code: "PROXY_MALFORMED" },
  { name: "v1: two spaces between fields", input: v1Line("PROXY TCP4 1.2.3.4  1.2.3.4 1 2\r\n"), code: "PROXY_MALFORMED" },
  { name: "v1: a field missing", input: v1Line("PROXY TCP4 1.2.3.4 1.2.3.4 1\r\n"), code: "PROXY_MALFORMED" },
  { name: "v1: a field too many", input: v1Line("PROXY TCP4 1.2.3.4 1.2.3.4 1 2 3\r\n"), code: "PROXY_MALFORMED" },
  { name: "v1: a trailing space", input: v1Line("PROXY TCP4 1.2.3.4 1.2.3.4 1 2 \r\n"), code: "PROXY_MALFORMED" },
  { name: "v1: an IPv6 address in a TCP4 line", input: v1Line("PROXY TCP4 ::1 ::1 1 2\r\n"), code: "PROXY_MALFORMED" },
  { name: "v1: an IPv4 address in a TCP6 line", input: v1Line("PROXY TCP6 1.2.3.4 ::1 1 2\r\n"), code: "PROXY_MALFORMED" },
  { name: "v1: two ::", input: v1Line("PROXY TCP6 1::2::3 ::1 1 2\r\n"), code: "PROXY_MALFORMED" },
  { name: "v1: nine IPv6 groups", input: v1Line("PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\r\n"), code: "PROXY_MALFORMED" },
  { name: "v1: a five-digit IPv6 group", input: v1Line("PROXY TCP6 12345::1 ::1 1 2\r\n"), code: "PROXY_MALFORMED" },
  { name: "v1: an IPv6 zone id", input: v1Line("PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n"), code: "PROXY_MALFORMED" },
  { name: "v1: a control byte in a TCP4 line", input: v1Line("PROXY TCP4 1.2.3.4\t1.2.3.4 1 2\r\n"), code: "PROXY_MALFORMED" },
  { name: "v1: no CRLF in 107 bytes", input: bytes(`PROXY UNKNOWN ${"x".repeat(200)}\r\n`), code: "PROXY_TOO_LARGE" },
  {
    name: "v1: a 108-byte line",
    input: bytes(`PROXY UNKNOWN ${"f".repeat(40)} ${"f".repeat(39)} 65535 65535\r\n`),
    code: "PROXY_TOO_LARGE",
  },
  { name: "v1 when only v2 is accepted", input: v1Line("PROXY TCP4 1.2.3.4 1.2.3.4 1 2\r\n"), code: "PROXY_VERSION", accept: "v2" },
  {
    name: "v2 when only v1 is accepted",
    input: v2(0x21, 0x11, ipv4Body([1, 2, 3, 4], [1, 2, 3, 4], 1, 2)),
    code: "PROXY_VERSION",
    accept: "v1",
  },
  { name: "v2 signature with version 1", input: v2(0x11, 0x11, ipv4Body([1, 2, 3, 4], [1, 2, 3, 4], 1, 2)), code: "PROXY_VERSION" },
  { name: "v2 signature with version 3", input: v2(0x31, 0x11, ipv4Body([1, 2, 3, 4], [1, 2, 3, 4], 1, 2)), code: "PROXY_VERSION" },
  { name: "v2: command 2", input: v2(0x22, 0x11, ipv4Body([1, 2, 3, 4], [1, 2, 3, 4], 1, 2)), code: "PROXY_MALFORMED" },
  { name: "v2: family 4", input: v2(0x21, 0x41, ipv4Body([1, 2, 3, 4], [1, 2, 3, 4], 1, 2)), code: "PROXY_MALFORMED" },
  { name: "v2: protocol 3", input: v2(0x21, 0x13, ipv4Body([1, 2, 3, 4], [1, 2, 3, 4], 1, 2)), code: "PROXY_MALFORMED" },
  {
    name: "v2: TCP4 with a length too short for its addresses",
    input: v2(0x21, 0x11, [1, 2, 3, 4, 5, 6, 7, 8, 0, 1]),
    code: "PROXY_MALFORMED",
  },
  { name: "v2: TCP6 with a TCP4-sized block", input: v2(0x21, 0x21, ipv4Body([1, 2, 3, 4], [1, 2, 3, 4], 1, 2)), code: "PROXY_MALFORMED" },
  {
    name: "v2: a TLV cut off after its type",
    input: v2(0x21, 0x11, [...ipv4Body([1, 2, 3, 4], [1, 2, 3, 4], 1, 2), 0x01]),
    code: "PROXY_MALFORMED",
  },
  {
    name: "v2: a TLV longer than the header",
    input: v2(0x21, 0x11, [...ipv4Body([1, 2, 3, 4], [1, 2, 3, 4], 1, 2), 0x01, 0, 9, 0x68]),
    code: "PROXY_MALFORMED",
  },
  {
    name: "v2: a CRC32C TLV of 3 bytes",
    input: v2(0x21, 0x11, concat(ipv4Body([1, 2, 3, 4], [1, 2, 3, 4], 1, 2), tlv(0x03, [1, 2, 3]))),
    code: "PROXY_MALFORMED",
  },
  {
    name: "v2: a CRC32C that does not match",
    input: v2(0x21, 0x11, concat(ipv4Body([1, 2, 3, 4], [1, 2, 3, 4], 1, 2), tlv(0x03, [1, 2, 3, 4]))),
    code: "PROXY_MALFORMED",
  },
  {
    name: "v2: a UNIQUE_ID over 128 bytes",
    input: v2(0x21, 0x11, concat(ipv4Body([1, 2, 3, 4], [1, 2, 3, 4], 1, 2), tlv(0x05, new Uint8Array(129)))),
    code: "PROXY_MALFORMED",
  },
  {
    name: "v2: an AUTHORITY over 255 bytes",
    input: v2(0x21, 0x11, concat(ipv4Body([1, 2, 3, 4], [1, 2, 3, 4], 1, 2), tlv(0x02, "a".repeat(256)))),
    code: "PROXY_MALFORMED",
  },
  {
    name: "v2: an SSL TLV shorter than 5 bytes",
    input: v2(0x21, 0x11, concat(ipv4Body([1, 2, 3, 4], [1, 2, 3, 4], 1, 2), tlv(0x20, [1, 0, 0]))),
    code: "PROXY_MALFORMED",
  },
  {
    name: "v2: an SSL sub-TLV running past the SSL TLV",
    input: v2(0x21, 0x11, concat(ipv4Body([1, 2, 3, 4], [1, 2, 3, 4], 1, 2), tlv(0x20, [1, 0, 0, 0, 0, 0x21, 0, 5, 0x41]))),
    code: "PROXY_MALFORMED",
  },
  {
    name: "v2: a length of 65535 (over 16 KiB)",
    input: v2(0x21, 0x11, ipv4Body([1, 2, 3, 4], [1, 2, 3, 4], 1, 2), 0xffff),
    code: "PROXY_TOO_LARGE",
  },
];

describe("invalid headers", () => {
  for (const c of INVALID) {
    test(`${c.name}: ${c.code}, whole, byte by byte and split at every index`, () => {
      for (const cut of everyCut(c.input.length)) {
        const out = feedCuts(c.input, cut, c.accept ?? "any");
        expect({ cut, failure: out.failure, header: out.header }).toEqual({ cut, failure: c.code, header: null });
      }
    });
  }

  test("a failed parser stays failed", () => {
    const p = new ProxyParser();
    expect(p.feed(bytes("GET"))).toBe(-2);
    expect(p.feed(bytes("PROXY UNKNOWN\r\n"))).toBe(-2);
    expect(p.failure).toBe("PROXY_MISSING");
  });
});

describe("failing early: as soon as the bytes so far cannot begin a valid header", () => {
  const failsAfter = (input: Uint8Array, accept: ProxyAccept = "any"): number =>
    feedCuts(
      input,
      Array.from({ length: input.length + 1 }, (_, i) => i),
      accept,
    ).failedAfter;

  test("a first byte that is neither P nor CR: after 1 byte", () => {
    expect(failsAfter(bytes("GET / HTTP/1.1\r\n"))).toBe(1);
    expect(failsAfter(Uint8Array.from([0x16, 3, 1]))).toBe(1);
  });

  test("a diverging prefix or signature: at the byte that diverges", () => {
    expect(failsAfter(bytes("PRIX TCP4"))).toBe(3);
    expect(failsAfter(Uint8Array.from([0x0d, 0x0a, 0x0d, 0x0b]))).toBe(4);
  });

  test("a wrong version: after the prefix or the version byte", () => {
    expect(failsAfter(bytes("PROXY TCP4 1.2.3.4"), "v2")).toBe(6);
    expect(failsAfter(v2(0x21, 0x11, ipv4Body([1, 2, 3, 4], [1, 2, 3, 4], 1, 2)), "v1")).toBe(13);
    expect(failsAfter(v2(0x11, 0x11))).toBe(13);
  });

  test("a bad protocol or byte in a v1 line: at that byte, long before 107 bytes or the CRLF", () => {
    expect(failsAfter(bytes("PROXY TCP5 1.2.3.4 1.2.3.4 1 2\r\n"))).toBe(10);
    expect(failsAfter(bytes("PROXY TCP4 1.2.3.4 1.2.3.4 1 2 HELLO WORLD"))).toBe(32);
  });

  test("a v2 length over the limit: after the 16 fixed bytes, without waiting for the rest", () => {
    expect(failsAfter(v2(0x21, 0x11, [], 0xffff))).toBe(16);
    expect(feedCuts(v2(0x21, 0x11, ipv4Body([1, 2, 3, 4], [1, 2, 3, 4], 1, 2)), whole(28), "any", 27).failure).toBe("PROXY_TOO_LARGE");
  });
});

test("the v2 signature is what the spec says", () => {
  expect(Buffer.from(SIG).toString("latin1")).toBe("\r\n\r\n\0\r\nQUIT\n");
});

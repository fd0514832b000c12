/**
 * The headers warren sends (src/edge/proxy-encode.ts): byte-exact against the spec's layout, one family
 * for both addresses, and read back by warren's own parser to the same addresses.
 */
import { describe, expect, test } from "bun:test";
import { encodeProxyV1, encodeProxyV2, probeHeader, PROXY_V1_UNKNOWN, PROXY_V2_LOCAL } from "../../../src/edge/proxy-encode.ts";
import { ProxyParser } from "../../../src/edge/proxy-parser.ts";
import { concat, ipv4Body, SIG, tlv, v2 } from "./harness.ts";

const text = (b: Uint8Array): string => Buffer.from(b).toString("latin1");
const ep = (address: string, port: number) => ({ address, port });

function parse(b: Uint8Array) {
  const p = new ProxyParser();
  expect(p.feed(b)).toBe(b.byteLength);
  return p.header!;
}

describe("v1", () => {
  test("IPv4 both sides: TCP4", () => {
    expect(text(encodeProxyV1(ep("192.0.2.1", 5555), ep("10.0.0.1", 443)))).toBe("PROXY TCP4 192.0.2.1 10.0.0.1 5555 443\r\n");
  });

  test("IPv4-mapped addresses (a dual-stack listener's IPv4 clients) go as TCP4", () => {
    expect(text(encodeProxyV1(ep("::ffff:192.0.2.1", 1), ep("::ffff:127.0.0.1", 2)))).toBe("PROXY TCP4 192.0.2.1 127.0.0.1 1 2\r\n");
  });

  test("IPv6, or one side IPv6: TCP6 with the IPv4 side mapped, in RFC 5952 form", () => {
    expect(text(encodeProxyV1(ep("2001:DB8:0:0:0:0:0:1", 1), ep("::1", 2)))).toBe("PROXY TCP6 2001:db8::1 ::1 1 2\r\n");
    expect(text(encodeProxyV1(ep("10.1.2.3", 1), ep("::1", 2)))).toBe("PROXY TCP6 ::ffff:10.1.2.3 ::1 1 2\r\n");
  });

  test("an address that is neither (a unix socket's peer): UNKNOWN", () => {
    expect(text(encodeProxyV1(ep("", 0), ep("127.0.0.1", 2)))).toBe("PROXY UNKNOWN\r\n");
    expect(text(encodeProxyV1(ep("/run/x.sock", 0), ep("127.0.0.1", 2)))).toBe("PROXY UNKNOWN\r\n");
  });

  test("read back by the parser", () => {
    expect(parse(encodeProxyV1(ep("fe80::1:2", 65535), ep("::ffff:10.0.0.9", 0)))).toMatchObject({
      version: 1,
      source: ep("fe80::1:2", 65535),
      destination: ep("::ffff:10.0.0.9", 0),
    });
  });
});

describe("v2", () => {
  test("TCP4 with AUTHORITY and UNIQUE_ID: byte-exact", () => {
    const got = encodeProxyV2(ep("10.1.2.3", 4567), ep("192.0.2.1", 443), { uniqueId: "42", authority: "a.example" });
    expect(got).toEqual(
      v2(0x21, 0x11, concat(ipv4Body([10, 1, 2, 3], [192, 0, 2, 1], 4567, 443), tlv(0x02, "a.example"), tlv(0x05, "42"))),
    );
  });

  test("TCP6 (an IPv4 side mapped), and no TLVs when nothing is known", () => {
    const got = encodeProxyV2(ep("2001:db8::1", 1), ep("10.0.0.9", 80), { uniqueId: null, authority: null });
    expect(got.byteLength).toBe(16 + 36);
    expect([got[12], got[13], got[14], got[15]]).toEqual([0x21, 0x21, 0, 36]);
    expect(parse(got)).toMatchObject({ family: "tcp6", source: ep("2001:db8::1", 1), destination: ep("::ffff:10.0.0.9", 80) });
  });

  test("an address that is neither: AF_UNSPEC with no address block, TLVs still sent", () => {
    const got = encodeProxyV2(ep("", 0), ep("127.0.0.1", 2), { uniqueId: "9", authority: null });
    expect(got).toEqual(v2(0x21, 0x00, tlv(0x05, "9")));
  });

  test("TLVs longer than the spec allows are cut to it (UNIQUE_ID 128 bytes, AUTHORITY 255)", () => {
    const h = parse(encodeProxyV2(ep("1.2.3.4", 1), ep("1.2.3.4", 2), { uniqueId: "u".repeat(300), authority: "a".repeat(300) }));
    expect(h.tlvs.uniqueId!.byteLength).toBe(128);
    expect(h.tlvs.authority!.length).toBe(255);
  });
});

test("health probes: v2 LOCAL and v1 UNKNOWN, byte-exact; none without sendProxy", () => {
  expect(PROXY_V2_LOCAL).toEqual(Uint8Array.from([...SIG, 0x20, 0x00, 0x00, 0x00]));
  expect(text(PROXY_V1_UNKNOWN)).toBe("PROXY UNKNOWN\r\n");
  expect(probeHeader("v2")).toBe(PROXY_V2_LOCAL);
  expect(probeHeader("v1")).toBe(PROXY_V1_UNKNOWN);
  expect(probeHeader(null)).toBeNull();
  expect(parse(PROXY_V2_LOCAL)).toMatchObject({ command: "local", source: null });
  expect(parse(PROXY_V1_UNKNOWN)).toMatchObject({ version: 1, source: null });
});

test("CRC32C is Castagnoli's (RFC 3720's check value for \"123456789\")", async () => {
  const { crc32c } = await import("../../../src/edge/crc32c.ts");
  expect(crc32c(new TextEncoder().encode("123456789"))).toBe(0xe3069283);
});

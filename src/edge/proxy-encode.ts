import { addressBytes, formatIpv4, formatIpv6 } from "./ip.ts";
import {
  type Endpoint,
  PP2_TYPE_AUTHORITY,
  PP2_TYPE_UNIQUE_ID,
  MAX_AUTHORITY_BYTES,
  MAX_UNIQUE_ID_BYTES,
  V2_SIGNATURE,
} from "./proxy-header.ts";

const encoder = new TextEncoder();

/** What a v2 header warren sends may carry besides the addresses. */
export interface ProxyV2Extras {
  /** PP2_TYPE_UNIQUE_ID: warren's session id, so both sides' logs name the same connection. */
  readonly uniqueId: string | null;
  /** PP2_TYPE_AUTHORITY: the host name the client asked for (TLS SNI, or an AUTHORITY warren received). */
  readonly authority: string | null;
}

/**
 * encodeProxyV1 writes "PROXY TCP4|TCP6 src dst sport dport\r\n" for a relayed connection. Both addresses
 * must be of one family: IPv4 (or IPv4-mapped IPv6, as a dual-stack listener reports IPv4 clients) goes
 * as TCP4; if either is IPv6, both go as TCP6 (an IPv4 one mapped). An address that is neither (a unix
 * socket's peer) gives "PROXY UNKNOWN\r\n": the receiver then uses the connection's own addresses.
 */
export function encodeProxyV1(source: Endpoint, destination: Endpoint): Uint8Array {
  const src = addressBytes(source.address);
  const dst = addressBytes(destination.address);
  if (src === null || dst === null) return PROXY_V1_UNKNOWN;
  const v4 = src.byteLength === 4 && dst.byteLength === 4;
  const text = v4
    ? `PROXY TCP4 ${formatIpv4(src, 0)} ${formatIpv4(dst, 0)} ${source.port} ${destination.port}\r\n`
    : `PROXY TCP6 ${formatIpv6(asV6(src), 0)} ${formatIpv6(asV6(dst), 0)} ${source.port} ${destination.port}\r\n`;
  return encoder.encode(text);
}

/**
 * encodeProxyV2 writes a v2 PROXY-command header for a relayed connection: TCP over IPv4 when both
 * addresses are IPv4, over IPv6 otherwise (an IPv4 one mapped), AF_UNSPEC with no addresses when either
 * is neither; then the UNIQUE_ID and AUTHORITY TLVs that are known (each cut to the spec's limit).
 */
export function encodeProxyV2(source: Endpoint, destination: Endpoint, extras: ProxyV2Extras): Uint8Array {
  const src = addressBytes(source.address);
  const dst = addressBytes(destination.address);
  const family = src === null || dst === null ? 0x00 : src.byteLength === 4 && dst.byteLength === 4 ? 0x11 : 0x21;
  const addrBytes = family === 0x11 ? 12 : family === 0x21 ? 36 : 0;
  const id = extras.uniqueId === null ? null : encoder.encode(extras.uniqueId).subarray(0, MAX_UNIQUE_ID_BYTES);
  const authority = extras.authority === null ? null : encoder.encode(extras.authority).subarray(0, MAX_AUTHORITY_BYTES);
  const tlvBytes = (id === null ? 0 : 3 + id.byteLength) + (authority === null ? 0 : 3 + authority.byteLength);
  const out = new Uint8Array(16 + addrBytes + tlvBytes);
  out.set(V2_SIGNATURE, 0);
  out[12] = 0x21; // version 2, PROXY
  out[13] = family;
  out[14] = (addrBytes + tlvBytes) >> 8;
  out[15] = (addrBytes + tlvBytes) & 0xff;
  let at = 16;
  if (addrBytes > 0) {
    const width = addrBytes === 12 ? 4 : 16;
    out.set(width === 4 ? src! : asV6(src!), at);
    out.set(width === 4 ? dst! : asV6(dst!), at + width);
    at += 2 * width;
    out[at++] = source.port >> 8;
    out[at++] = source.port & 0xff;
    out[at++] = destination.port >> 8;
    out[at++] = destination.port & 0xff;
  }
  if (authority !== null) at = putTlv(out, at, PP2_TYPE_AUTHORITY, authority);
  if (id !== null) putTlv(out, at, PP2_TYPE_UNIQUE_ID, id);
  return out;
}

function putTlv(out: Uint8Array, at: number, type: number, value: Uint8Array): number {
  out[at] = type;
  out[at + 1] = value.byteLength >> 8;
  out[at + 2] = value.byteLength & 0xff;
  out.set(value, at + 3);
  return at + 3 + value.byteLength;
}

/** asV6 maps 4 IPv4 bytes into ::ffff:0:0/96; 16 bytes pass unchanged. */
function asV6(b: Uint8Array): Uint8Array {
  if (b.byteLength === 16) return b;
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out.set(b, 12);
  return out;
}

/**
 * What a health probe sends first when the backends expect a header: a v2 LOCAL (the connection is the
 * proxy's own: the receiver uses its real endpoints), or v1 UNKNOWN, v1's only way to say the same.
 */
export const PROXY_V2_LOCAL = Uint8Array.from([...V2_SIGNATURE, 0x20, 0x00, 0x00, 0x00]);
export const PROXY_V1_UNKNOWN = encoder.encode("PROXY UNKNOWN\r\n");

/** probeHeader is the bytes a probe of a backend with `sendProxy` starts with, or null for none. */
export function probeHeader(sendProxy: "v1" | "v2" | null): Uint8Array | null {
  return sendProxy === "v2" ? PROXY_V2_LOCAL : sendProxy === "v1" ? PROXY_V1_UNKNOWN : null;
}

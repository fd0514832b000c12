import { crc32cFinish, crc32cUpdate, crc32cZeros } from "./crc32c.ts";
import { formatIpv4, formatIpv6 } from "./ip.ts";
import {
  CMD_LOCAL,
  CMD_PROXY,
  MAX_AUTHORITY_BYTES,
  MAX_UNIQUE_ID_BYTES,
  NO_TLVS,
  PP2_SUBTYPE_SSL_CIPHER,
  PP2_SUBTYPE_SSL_CLIENT_CERT,
  PP2_SUBTYPE_SSL_CN,
  PP2_SUBTYPE_SSL_GROUP,
  PP2_SUBTYPE_SSL_KEY_ALG,
  PP2_SUBTYPE_SSL_SIG_ALG,
  PP2_SUBTYPE_SSL_SIG_SCHEME,
  PP2_SUBTYPE_SSL_VERSION,
  PP2_TYPE_ALPN,
  PP2_TYPE_AUTHORITY,
  PP2_TYPE_CRC32C,
  PP2_TYPE_NETNS,
  PP2_TYPE_SSL,
  PP2_TYPE_UNIQUE_ID,
  type ProxyHeader,
  type ProxySsl,
  type ProxyTlvs,
  V2_FIXED_BYTES,
  V2_SIGNATURE,
} from "./proxy-header.ts";
import { PP_FAILED, PP_NEED_MORE, type ScanSink } from "./scan.ts";

/** Non-fatal: a bad UTF-8 sequence becomes U+FFFD rather than an exception (the parser never throws). */
const utf8 = new TextDecoder("utf-8", { fatal: false });

/**
 * scanV2 reads a v2 header from buf[0, len), which starts with CR: the header's length once all of it is
 * in, PP_NEED_MORE, or PP_FAILED (through `sink`). The fixed 16 bytes are checked as they arrive; the
 * address block and TLVs only once the whole header is in (proxy-protocol.txt: never parse a partial
 * address block). A length beyond `sink.maxV2Bytes` fails at once, before its bytes are waited for.
 */
export function scanV2(buf: Uint8Array, len: number, sink: ScanSink): number {
  const sig = len < V2_SIGNATURE.length ? len : V2_SIGNATURE.length;
  for (let i = 0; i < sig; i++) {
    if (buf[i] !== V2_SIGNATURE[i]) return sink.fail("PROXY_MISSING", "the connection does not start with a PROXY header");
  }
  if (len <= 12) return PP_NEED_MORE;
  const verCmd = buf[12]!;
  if (verCmd >> 4 !== 2) return sink.fail("PROXY_VERSION", `v2 signature with version ${verCmd >> 4}`);
  if (sink.accept === "v1") return sink.fail("PROXY_VERSION", "a v2 header, but this listener accepts only v1");
  const command = verCmd & 0x0f;
  if (command !== CMD_LOCAL && command !== CMD_PROXY)
    return sink.fail("PROXY_MALFORMED", `v2: command ${command} is neither LOCAL nor PROXY`);
  if (len <= 13) return PP_NEED_MORE;
  const fam = buf[13]!;
  // A LOCAL header's family is ignored (the spec: discard the protocol block); a relayed one must be valid.
  if (command === CMD_PROXY && (fam >> 4 > 3 || (fam & 0x0f) > 2))
    return sink.fail("PROXY_MALFORMED", `v2: family/protocol byte 0x${fam.toString(16)} is not defined`);
  if (len < V2_FIXED_BYTES) return PP_NEED_MORE;
  const total = V2_FIXED_BYTES + ((buf[14]! << 8) | buf[15]!);
  if (total > sink.maxV2Bytes)
    return sink.fail("PROXY_TOO_LARGE", `v2: a ${total}-byte header, over the ${sink.maxV2Bytes} bytes accepted`);
  if (len < total) return PP_NEED_MORE;
  if (command === CMD_LOCAL) return sink.done(local(total));
  return parseProxy(buf, fam, total, sink);
}

/** Length in bytes of the address block of each family/protocol byte (0: none, or unknown to warren). */
function addressBytesOf(fam: number): number {
  if ((fam & 0x0f) === 0) return 0; // UNSPEC protocol: ignore any address information
  switch (fam >> 4) {
    case 1:
      return 12;
    case 2:
      return 36;
    case 3:
      return 216;
    default:
      return 0;
  }
}

function local(total: number): ProxyHeader {
  return { version: 2, command: "local", family: "unspec", source: null, destination: null, tlvs: NO_TLVS, length: total };
}

/** parseProxy decodes a complete PROXY-command header buf[0, total). */
function parseProxy(buf: Uint8Array, fam: number, total: number, sink: ScanSink): number {
  const addrBytes = addressBytesOf(fam);
  if (V2_FIXED_BYTES + addrBytes > total)
    return sink.fail("PROXY_MALFORMED", `v2: ${total - V2_FIXED_BYTES} bytes cannot hold the ${addrBytes}-byte address block`);
  const kind = fam >> 4;
  const dgram = (fam & 0x0f) === 2;
  let family: ProxyHeader["family"] = "unspec";
  let source: ProxyHeader["source"] = null;
  let destination: ProxyHeader["destination"] = null;
  const a = V2_FIXED_BYTES;
  if (addrBytes === 12) {
    family = dgram ? "udp4" : "tcp4";
    source = { address: formatIpv4(buf, a), port: (buf[a + 8]! << 8) | buf[a + 9]! };
    destination = { address: formatIpv4(buf, a + 4), port: (buf[a + 10]! << 8) | buf[a + 11]! };
  } else if (addrBytes === 36) {
    family = dgram ? "udp6" : "tcp6";
    source = { address: formatIpv6(buf, a), port: (buf[a + 32]! << 8) | buf[a + 33]! };
    destination = { address: formatIpv6(buf, a + 16), port: (buf[a + 34]! << 8) | buf[a + 35]! };
  } else if (kind === 3 && addrBytes > 0) {
    family = "unix"; // a unix path is no client address: the connection's own is used
  }
  // With an UNSPEC family or protocol the layout after the 16 bytes is unknown: skip it all, TLVs too.
  if (addrBytes === 0)
    return sink.done({ version: 2, command: "proxy", family: "unspec", source: null, destination: null, tlvs: NO_TLVS, length: total });
  const tlvs = parseTlvs(buf, a + addrBytes, total, sink);
  if (tlvs === null) return PP_FAILED;
  return sink.done({ version: 2, command: "proxy", family, source, destination, tlvs, length: total });
}

/** ProxyTlvs while the walk fills it in. */
interface MutableTlvs {
  alpn: string | null;
  authority: string | null;
  uniqueId: Uint8Array | null;
  ssl: ProxySsl | null;
  netns: string | null;
}

/** parseTlvs walks buf[from, total): each TLV must fit exactly; a bad one fails the header (null). */
function parseTlvs(buf: Uint8Array, from: number, total: number, sink: ScanSink): ProxyTlvs | null {
  if (from === total) return NO_TLVS;
  let out: MutableTlvs | null = null;
  let at = from;
  while (at < total) {
    if (at + 3 > total) return failed(sink, "v2: a TLV header is cut off by the header's end");
    const type = buf[at]!;
    const len = (buf[at + 1]! << 8) | buf[at + 2]!;
    const value = at + 3;
    at = value + len;
    if (at > total) return failed(sink, `v2: TLV 0x${type.toString(16)} runs past the header's end`);
    switch (type) {
      case PP2_TYPE_ALPN:
        (out ??= empty()).alpn = utf8.decode(buf.subarray(value, at));
        break;
      case PP2_TYPE_AUTHORITY:
        if (len > MAX_AUTHORITY_BYTES) return failed(sink, `v2: AUTHORITY of ${len} bytes, over ${MAX_AUTHORITY_BYTES}`);
        (out ??= empty()).authority = utf8.decode(buf.subarray(value, at));
        break;
      case PP2_TYPE_CRC32C: {
        if (len !== 4) return failed(sink, `v2: CRC32C TLV of ${len} bytes, not 4`);
        const sent = ((buf[value]! << 24) | (buf[value + 1]! << 16) | (buf[value + 2]! << 8) | buf[value + 3]!) >>> 0;
        // The checksum is of the whole header with its own 4 bytes taken as zero: no copy needed.
        const crc = crc32cFinish(crc32cUpdate(crc32cZeros(crc32cUpdate(0xffffffff, buf, 0, value), 4), buf, at, total));
        if (crc !== sent) return failed(sink, "v2: CRC32C mismatch");
        break;
      }
      case PP2_TYPE_UNIQUE_ID:
        if (len > MAX_UNIQUE_ID_BYTES) return failed(sink, `v2: UNIQUE_ID of ${len} bytes, over ${MAX_UNIQUE_ID_BYTES}`);
        (out ??= empty()).uniqueId = buf.slice(value, at);
        break;
      case PP2_TYPE_SSL: {
        const ssl = parseSsl(buf, value, at, sink);
        if (ssl === null) return null;
        (out ??= empty()).ssl = ssl;
        break;
      }
      case PP2_TYPE_NETNS:
        (out ??= empty()).netns = utf8.decode(buf.subarray(value, at));
        break;
      default:
        break; // NOOP, custom and unknown types are skipped
    }
  }
  return out ?? NO_TLVS;
}

function empty(): MutableTlvs {
  return { alpn: null, authority: null, uniqueId: null, ssl: null, netns: null };
}

function failed(sink: ScanSink, reason: string): null {
  sink.fail("PROXY_MALFORMED", reason);
  return null;
}

/** parseSsl reads PP2_TYPE_SSL's value buf[from, to): client (1 byte), verify (4 bytes), sub-TLVs. */
function parseSsl(buf: Uint8Array, from: number, to: number, sink: ScanSink): ProxySsl | null {
  if (to - from < 5) return failed(sink, "v2: SSL TLV shorter than its 5 fixed bytes");
  const ssl = {
    client: buf[from]!,
    verify: ((buf[from + 1]! << 24) | (buf[from + 2]! << 16) | (buf[from + 3]! << 8) | buf[from + 4]!) >>> 0,
    version: null as string | null,
    cn: null as string | null,
    cipher: null as string | null,
    sigAlg: null as string | null,
    keyAlg: null as string | null,
    group: null as string | null,
    sigScheme: null as string | null,
    clientCert: null as Uint8Array | null,
  };
  let at = from + 5;
  while (at < to) {
    if (at + 3 > to) return failed(sink, "v2: an SSL sub-TLV header is cut off");
    const type = buf[at]!;
    const value = at + 3;
    at = value + ((buf[at + 1]! << 8) | buf[at + 2]!);
    if (at > to) return failed(sink, `v2: SSL sub-TLV 0x${type.toString(16)} runs past its TLV`);
    const text = (): string => utf8.decode(buf.subarray(value, at));
    if (type === PP2_SUBTYPE_SSL_VERSION) ssl.version = text();
    else if (type === PP2_SUBTYPE_SSL_CN) ssl.cn = text();
    else if (type === PP2_SUBTYPE_SSL_CIPHER) ssl.cipher = text();
    else if (type === PP2_SUBTYPE_SSL_SIG_ALG) ssl.sigAlg = text();
    else if (type === PP2_SUBTYPE_SSL_KEY_ALG) ssl.keyAlg = text();
    else if (type === PP2_SUBTYPE_SSL_GROUP) ssl.group = text();
    else if (type === PP2_SUBTYPE_SSL_SIG_SCHEME) ssl.sigScheme = text();
    else if (type === PP2_SUBTYPE_SSL_CLIENT_CERT) ssl.clientCert = buf.slice(value, at);
  }
  return ssl;
}

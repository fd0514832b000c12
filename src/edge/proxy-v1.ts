import { parseV1Ipv4, parseV1Ipv6, parseV1Port, formatIpv6 } from "./ip.ts";
import { NO_TLVS, type ProxyHeader, V1_MAX_BYTES, V1_PREFIX } from "./proxy-header.ts";
import { PP_FAILED, PP_NEED_MORE, type ScanSink } from "./scan.ts";

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;

/**
 * scanV1 reads a v1 line from buf[0, len), which starts with "P": the header's length once its CRLF is
 * in, PP_NEED_MORE, or PP_FAILED (through `sink`). It fails as soon as the bytes so far cannot begin a
 * valid line (proxy-protocol.txt: abort as soon as possible, so the sender sees the anomaly), and never
 * looks past the 107 bytes the longest line takes.
 */
export function scanV1(buf: Uint8Array, len: number, sink: ScanSink): number {
  const n = len < V1_MAX_BYTES ? len : V1_MAX_BYTES;
  const prefix = n < V1_PREFIX.length ? n : V1_PREFIX.length;
  for (let i = 0; i < prefix; i++) {
    if (buf[i] !== V1_PREFIX[i]) return sink.fail("PROXY_MISSING", "the connection does not start with a PROXY header");
  }
  if (n < V1_PREFIX.length) return PP_NEED_MORE;
  if (sink.accept === "v2") return sink.fail("PROXY_VERSION", "a v1 header, but this listener accepts only v2");
  const kind = protocolOf(buf, n);
  if (kind === BAD) return sink.fail("PROXY_MALFORMED", "v1: the protocol is not TCP4, TCP6 or UNKNOWN");
  for (let i = V1_PREFIX.length; i < n; i++) {
    const c = buf[i]!;
    if (c === CR) {
      if (i + 2 > V1_MAX_BYTES) break;
      if (i + 1 >= len) return PP_NEED_MORE;
      if (buf[i + 1] !== LF) return sink.fail("PROXY_MALFORMED", "v1: a CR not followed by LF");
      return parseLine(buf, i, kind, sink);
    }
    if (c === LF) return sink.fail("PROXY_MALFORMED", "v1: a LF without its CR");
    // Only digits, dots, hex, colons and spaces can make a TCP4/TCP6 line: fail early on anything else.
    if ((kind === TCP4 || kind === TCP6) && i >= ADDRESSES_AT && !addressByte(c))
      return sink.fail("PROXY_MALFORMED", `v1: byte 0x${c.toString(16)} in a ${kind === TCP4 ? "TCP4" : "TCP6"} line`);
  }
  if (n === V1_MAX_BYTES) return sink.fail("PROXY_TOO_LARGE", `v1: no CRLF in the first ${V1_MAX_BYTES} bytes`);
  return PP_NEED_MORE;
}

const PENDING = 0;
const TCP4 = 1;
const TCP6 = 2;
const UNKNOWN = 3;
const BAD = 4;
/** Where a TCP4/TCP6 line's addresses begin: after "PROXY " and "TCP4 ". */
const ADDRESSES_AT = 11;
const TOKENS: readonly [string, number][] = [
  ["TCP4 ", TCP4],
  ["TCP6 ", TCP6],
  ["UNKNOWN", UNKNOWN],
];

/** protocolOf says which protocol the line names, PENDING while too few bytes are in to tell, or BAD. */
function protocolOf(buf: Uint8Array, n: number): number {
  const at = V1_PREFIX.length;
  for (const [token, kind] of TOKENS) {
    let i = 0;
    while (i < token.length && at + i < n && buf[at + i] === token.charCodeAt(i)) i++;
    if (at + i === n && i < token.length) return PENDING;
    if (i < token.length) continue;
    // "UNKNOWN" ends at a space (the ignored rest) or the CRLF; "UNKNOWNX" is not a protocol.
    if (kind === UNKNOWN && at + i < n && buf[at + i] !== SP && buf[at + i] !== CR) return BAD;
    return kind;
  }
  return BAD;
}

function addressByte(c: number): boolean {
  return (c >= 0x30 && c <= 0x3a) || c === 0x2e || c === SP || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** parseLine decodes the complete line buf[0, crAt) (CRLF follows) of the given protocol. */
function parseLine(buf: Uint8Array, crAt: number, kind: number, sink: ScanSink): number {
  const length = crAt + 2;
  if (kind === UNKNOWN) {
    // The receiver must ignore anything before the CRLF and use the connection's own addresses.
    return sink.done({ version: 1, command: "proxy", family: "unspec", source: null, destination: null, tlvs: NO_TLVS, length });
  }
  if (kind === PENDING) return sink.fail("PROXY_MALFORMED", "v1: the line ends before its protocol");
  const line = String.fromCharCode.apply(null, buf.subarray(ADDRESSES_AT, crAt) as unknown as number[]);
  const fields = line.split(" ");
  if (fields.length !== 4) return sink.fail("PROXY_MALFORMED", "v1: expected source, destination and two ports, each after one space");
  const [srcText, dstText, sportText, dportText] = fields as [string, string, string, string];
  const sport = parseV1Port(sportText);
  const dport = parseV1Port(dportText);
  if (sport < 0 || dport < 0) return sink.fail("PROXY_MALFORMED", "v1: a port is not a decimal 0..65535 without leading zeroes");
  const src = kind === TCP4 ? parseV1Ipv4(srcText) : ipv6Text(srcText);
  const dst = kind === TCP4 ? parseV1Ipv4(dstText) : ipv6Text(dstText);
  if (src === null || dst === null) {
    return sink.fail(
      "PROXY_MALFORMED",
      kind === TCP4 ? "v1: an address is not a dotted IPv4 without leading zeroes" : "v1: an address is not an IPv6 address",
    );
  }
  const header: ProxyHeader = {
    version: 1,
    command: "proxy",
    family: kind === TCP4 ? "tcp4" : "tcp6",
    source: { address: src, port: sport },
    destination: { address: dst, port: dport },
    tlvs: NO_TLVS,
    length,
  };
  return sink.done(header);
}

function ipv6Text(text: string): string | null {
  const bytes = parseV1Ipv6(text);
  return bytes === null ? null : formatIpv6(bytes, 0);
}

/**
 * The PROXY protocol's shapes and constants (HAProxy's doc/proxy-protocol.txt, versions 1 and 2): what a
 * parsed header says, and the numbers both the parser and the encoder use.
 */

/** An address and port as warren reports them everywhere (IPv6 in RFC 5952 text). */
export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

/**
 * ProxyHeader is one parsed header. `source` is null when the receiver must use the connection's own
 * addresses: a v2 LOCAL (a health check by the proxy itself), v1 UNKNOWN, or a family warren cannot
 * use as a client address (AF_UNIX, AF_UNSPEC).
 */
export interface ProxyHeader {
  readonly version: 1 | 2;
  /** "local": v2 LOCAL (the proxy's own connection); "proxy": relayed on behalf of a client. */
  readonly command: "local" | "proxy";
  readonly family: "tcp4" | "tcp6" | "udp4" | "udp6" | "unix" | "unspec";
  readonly source: Endpoint | null;
  readonly destination: Endpoint | null;
  readonly tlvs: ProxyTlvs;
  /** The header's length in bytes, CRLF or TLVs included. */
  readonly length: number;
}

/** The v2 TLVs warren keeps (each copied out of the header, so no received chunk is held by it). */
export interface ProxyTlvs {
  /** PP2_TYPE_ALPN: the protocol the client negotiated (e.g. "h2"). */
  readonly alpn: string | null;
  /** PP2_TYPE_AUTHORITY: the host name the client asked for (TLS SNI), UTF-8. */
  readonly authority: string | null;
  /** PP2_TYPE_UNIQUE_ID: the upstream proxy's opaque id of the connection (≤ 128 bytes). */
  readonly uniqueId: Uint8Array | null;
  /** PP2_TYPE_SSL and its sub-TLVs. */
  readonly ssl: ProxySsl | null;
  /** PP2_TYPE_NETNS: the network namespace's name. */
  readonly netns: string | null;
}

/** ProxySsl is PP2_TYPE_SSL: client flags, the verify result and the string sub-TLVs. */
export interface ProxySsl {
  /** PP2_CLIENT_SSL (1), PP2_CLIENT_CERT_CONN (2), PP2_CLIENT_CERT_SESS (4). */
  readonly client: number;
  /** 0 when the client presented a certificate and it verified. */
  readonly verify: number;
  readonly version: string | null;
  readonly cn: string | null;
  readonly cipher: string | null;
  readonly sigAlg: string | null;
  readonly keyAlg: string | null;
  readonly group: string | null;
  readonly sigScheme: string | null;
  /** PP2_SUBTYPE_SSL_CLIENT_CERT: the client certificate, DER. */
  readonly clientCert: Uint8Array | null;
}

export const NO_TLVS: ProxyTlvs = Object.freeze({ alpn: null, authority: null, uniqueId: null, ssl: null, netns: null });

/** Which versions a listener accepts. */
export type ProxyAccept = "v1" | "v2" | "any";

/** How a header can fail: each is an end code of its own (src/errors.ts). */
export type ProxyFailure = "PROXY_MISSING" | "PROXY_MALFORMED" | "PROXY_TOO_LARGE" | "PROXY_VERSION";

/** The v1 line's longest legal form, CRLF included ("PROXY UNKNOWN" with two full IPv6 addresses). */
export const V1_MAX_BYTES = 107;
export const V1_PREFIX = Uint8Array.from([0x50, 0x52, 0x4f, 0x58, 0x59, 0x20]); // "PROXY "

/** The 12-byte v2 signature; the 13th byte is version (high nibble, 2) and command (low nibble). */
export const V2_SIGNATURE = Uint8Array.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
export const V2_FIXED_BYTES = 16;
/**
 * The largest v2 header warren reads: HAProxy reads a header into one buffer of tune.bufsize (16 KiB by
 * default), so no header larger than that works with HAProxy either; the 16-bit length field alone
 * would allow 64 KiB per connection held before admission.
 */
export const V2_MAX_BYTES = 16 * 1024;

export const CMD_LOCAL = 0x0;
export const CMD_PROXY = 0x1;

export const PP2_TYPE_ALPN = 0x01;
export const PP2_TYPE_AUTHORITY = 0x02;
export const PP2_TYPE_CRC32C = 0x03;
export const PP2_TYPE_NOOP = 0x04;
export const PP2_TYPE_UNIQUE_ID = 0x05;
export const PP2_TYPE_SSL = 0x20;
export const PP2_SUBTYPE_SSL_VERSION = 0x21;
export const PP2_SUBTYPE_SSL_CN = 0x22;
export const PP2_SUBTYPE_SSL_CIPHER = 0x23;
export const PP2_SUBTYPE_SSL_SIG_ALG = 0x24;
export const PP2_SUBTYPE_SSL_KEY_ALG = 0x25;
export const PP2_SUBTYPE_SSL_GROUP = 0x26;
export const PP2_SUBTYPE_SSL_SIG_SCHEME = 0x27;
export const PP2_SUBTYPE_SSL_CLIENT_CERT = 0x28;
export const PP2_TYPE_NETNS = 0x30;

/** HAProxy refuses an AUTHORITY longer than a DNS name may be, and the spec caps UNIQUE_ID at 128 bytes. */
export const MAX_AUTHORITY_BYTES = 255;
export const MAX_UNIQUE_ID_BYTES = 128;

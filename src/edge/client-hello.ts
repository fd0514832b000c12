/**
 * The TLS ClientHello reader: what SNI routing needs from a connection's first bytes (the server name and
 * the ALPN protocols the client offers), read without terminating TLS. Every byte it reads is still
 * forwarded to the backend as it came: the reader only looks.
 *
 * The wire format (RFC 8446 §5.1 and §4.1.2, RFC 6066 §3, RFC 7301 §3.1): TLS records of 5 header bytes
 * (content type 22 = handshake, legacy version 3.x, 2-byte length of at most 2^14), whose payloads
 * together carry handshake messages; the first is the ClientHello (type 1, 3-byte length), which may be
 * split across several records, and each record across several reads.
 */

/** The reader's answers; `feed` returns one of them. */
export const CH_OK = 0;
export const CH_NEED_MORE = -1;
/** The first bytes are not a TLS handshake record (another protocol, or an SSLv2-format hello). */
export const CH_NOT_TLS = -2;
/** TLS records, but not a ClientHello that follows the RFCs. */
export const CH_MALFORMED = -3;
/** The ClientHello (its records' bytes, headers included) would be over the reader's maxBytes. */
export const CH_TOO_LARGE = -4;
export type ClientHelloStatus = typeof CH_OK | typeof CH_NEED_MORE | typeof CH_NOT_TLS | typeof CH_MALFORMED | typeof CH_TOO_LARGE;

const RECORD_HEADER_BYTES = 5;
/** RFC 8446 §5.1: a TLSPlaintext fragment MUST NOT exceed 2^14 bytes. */
const MAX_RECORD_PAYLOAD = 1 << 14;
const CONTENT_HANDSHAKE = 22;
const HANDSHAKE_CLIENT_HELLO = 1;
const EXT_SERVER_NAME = 0;
const EXT_ALPN = 16;
/** RFC 1035 §2.3.4: a name is at most 255 octets. */
const MAX_HOST_NAME = 255;

/**
 * ClientHelloReader reads one connection's ClientHello from its first chunks. `feed(chunk)` returns
 * CH_NEED_MORE, CH_OK (then `serverName`, `alpn` and `length` hold what was read), or a failure
 * (CH_NOT_TLS, CH_MALFORMED, CH_TOO_LARGE; `reason` says why, in words). It never throws, whatever the
 * bytes, and once it has answered anything but CH_NEED_MORE it keeps that answer.
 *
 * A chunk that holds the whole ClientHello (the usual case: clients write it at once) is read in place.
 * Otherwise the bytes so far are gathered into one buffer, never larger than maxBytes, which `held()`
 * returns so the caller can forward them: they are the connection's first bytes, untouched. Each record
 * header is checked as soon as its 5 bytes are in, so a stream that is not TLS or announces more than
 * maxBytes is refused at its first bytes, not after the reader has waited for it.
 */
export class ClientHelloReader {
  /** The SNI host_name, lower-cased (DNS names are case-insensitive), or null if the client sent none. */
  serverName: string | null = null;
  /** The ALPN protocol names offered, in the client's order (empty: no ALPN extension). */
  alpn: string[] = [];
  /** Bytes from the start of the stream to the end of the record that completes the ClientHello. */
  length = 0;
  reason = "";
  private status: ClientHelloStatus = CH_NEED_MORE;
  /** The bytes so far when they span chunks; null while nothing is held. */
  private buf: Uint8Array | null = null;
  private bufBytes = 0;
  /** How far earlier scans got: the records before `scanAt` are complete and checked. */
  private scanAt = 0;
  private scanPayload = 0;
  private scanFirst = -1;
  private scanRecords = 0;
  private scanHello = -1;

  constructor(readonly maxBytes: number) {}

  /**
   * held is every byte fed so far as one view, or null if the first chunk settled it (then that chunk is
   * all there is). After CH_OK or CH_NOT_TLS it holds everything, the deciding chunk's tail included, so
   * a caller that forwards the stream forwards held() (or the one chunk); while more is needed it holds
   * at most maxBytes + 1 bytes.
   */
  held(): Uint8Array | null {
    return this.buf === null ? null : this.buf.subarray(0, this.bufBytes);
  }

  feed(chunk: Uint8Array): ClientHelloStatus {
    if (this.status !== CH_NEED_MORE) return this.status;
    if (chunk.byteLength === 0) return CH_NEED_MORE;
    if (this.bufBytes === 0) {
      const r = this.scan(chunk, chunk.byteLength);
      if (r === CH_NEED_MORE) this.hold(chunk);
      return r;
    }
    // No more than maxBytes + 1 bytes are ever needed to decide: keep only what can still matter.
    const room = this.maxBytes + 1 - this.bufBytes;
    this.hold(room < chunk.byteLength ? chunk.subarray(0, room) : chunk);
    const r = this.scan(this.buf!, this.bufBytes);
    // Once it is decided that the stream goes on to a backend, held() must be all of it: the rest of this chunk too.
    if ((r === CH_OK || r === CH_NOT_TLS) && room < chunk.byteLength) this.hold(chunk.subarray(room), true);
    return r;
  }

  /** hold appends a chunk to the held bytes; past maxBytes + 1 only for the tail of the deciding chunk (`tail`). */
  private hold(chunk: Uint8Array, tail = false): void {
    const need = this.bufBytes + chunk.byteLength;
    let buf = this.buf;
    if (buf === null || buf.byteLength < need) {
      // Double as it grows, up to maxBytes + 1: a ClientHello trickled byte by byte is copied O(n) times, not O(n²).
      const cap = tail ? need : this.maxBytes + 1;
      const next = new Uint8Array(Math.min(cap, Math.max(need, 2 * (buf?.byteLength ?? 0), 512)));
      if (buf !== null) next.set(buf.subarray(0, this.bufBytes));
      this.buf = buf = next;
    }
    buf.set(chunk, this.bufBytes);
    this.bufBytes = need;
  }

  private end(status: ClientHelloStatus, reason: string): ClientHelloStatus {
    this.status = status;
    this.reason = reason;
    return status;
  }

  /**
   * scan walks the records in buf[0, len): it checks each header as soon as it is in, and once the
   * records' payloads hold the whole ClientHello message, parses it. Each call starts after the last
   * complete record an earlier call saw (a chunk that is held keeps its offsets), so a hello trickled
   * in tiny records costs O(n) in all, not O(n²).
   */
  private scan(buf: Uint8Array, len: number): ClientHelloStatus {
    let at = this.scanAt;
    let payload = this.scanPayload; // handshake bytes in the complete records so far (then the partial one's)
    let firstPayloadAt = this.scanFirst;
    let records = this.scanRecords;
    let helloBytes = this.scanHello; // the ClientHello message's length with its 4-byte header, once known
    while (at < len) {
      // The first byte alone tells TLS from anything else: the content type, then the version's major byte.
      const type = buf[at]!;
      if (type !== CONTENT_HANDSHAKE) {
        if (at === 0)
          return this.end(
            CH_NOT_TLS,
            type >= 0x80 ? "an SSLv2-format hello, or not TLS at all" : "the first byte is not a TLS handshake record",
          );
        return this.end(CH_MALFORMED, `a record of content type ${type} before the ClientHello was complete`);
      }
      if (at + 1 < len && buf[at + 1] !== 3) {
        if (at === 0) return this.end(CH_NOT_TLS, "the record's version is not 3.x");
        return this.end(CH_MALFORMED, `record ${records + 1}'s version is not 3.x`);
      }
      if (at + RECORD_HEADER_BYTES > len) break;
      const size = (buf[at + 3]! << 8) | buf[at + 4]!;
      if (size === 0) return this.end(CH_MALFORMED, "an empty handshake record (RFC 8446 §5.1 forbids them)");
      if (size > MAX_RECORD_PAYLOAD) return this.end(CH_MALFORMED, `a record of ${size} bytes, over the 16384 TLS allows`);
      const recordEnd = at + RECORD_HEADER_BYTES + size;
      if (recordEnd > this.maxBytes) return this.end(CH_TOO_LARGE, `the ClientHello's records go past ${this.maxBytes} bytes`);
      records++;
      const start = at + RECORD_HEADER_BYTES;
      if (firstPayloadAt < 0) firstPayloadAt = start;
      const avail = Math.min(recordEnd, len) - start;
      // The handshake message header (type, 3-byte length) may itself be cut across records.
      if (helloBytes < 0 && payload + avail >= 1) {
        const htype = this.handshakeByte(buf, 0, payload, start, firstPayloadAt);
        if (htype !== HANDSHAKE_CLIENT_HELLO)
          return this.end(CH_MALFORMED, `the first handshake message is of type ${htype}, not a ClientHello`);
      }
      if (helloBytes < 0 && payload + avail >= 4) {
        const l0 = this.handshakeByte(buf, 1, payload, start, firstPayloadAt);
        const l1 = this.handshakeByte(buf, 2, payload, start, firstPayloadAt);
        const l2 = this.handshakeByte(buf, 3, payload, start, firstPayloadAt);
        helloBytes = 4 + ((l0 << 16) | (l1 << 8) | l2);
        // Each record costs 5 more bytes; the fewest records the message fits in is a floor on the total.
        const floor = helloBytes + RECORD_HEADER_BYTES * Math.ceil(helloBytes / MAX_RECORD_PAYLOAD);
        if (floor > this.maxBytes)
          return this.end(CH_TOO_LARGE, `a ClientHello of ${helloBytes} bytes, over the ${this.maxBytes} this listener reads`);
      }
      payload += avail;
      if (recordEnd > len) break;
      at = recordEnd;
      this.scanAt = at;
      this.scanPayload = payload;
      this.scanFirst = firstPayloadAt;
      this.scanRecords = records;
      this.scanHello = helloBytes;
      if (helloBytes >= 0 && payload >= helloBytes) {
        this.length = recordEnd;
        const msg = records === 1 ? buf.subarray(firstPayloadAt, firstPayloadAt + helloBytes) : gatherHandshake(buf, recordEnd, helloBytes);
        const problem = this.parseHello(msg);
        if (problem !== null) return this.end(CH_MALFORMED, problem);
        return this.end(CH_OK, "");
      }
    }
    if (len > this.maxBytes) return this.end(CH_TOO_LARGE, `no complete ClientHello in ${this.maxBytes} bytes`);
    return CH_NEED_MORE;
  }

  /**
   * handshakeByte is byte k of the handshake stream, where `payload` bytes came before the record whose
   * payload starts at `start`. Only called for k < 4, so only the first record or two are walked.
   */
  private handshakeByte(buf: Uint8Array, k: number, payload: number, start: number, firstPayloadAt: number): number {
    if (k >= payload) return buf[start + (k - payload)]!;
    // The byte is in an earlier record: walk the records from the first.
    let p = firstPayloadAt;
    for (;;) {
      const size = (buf[p - 2]! << 8) | buf[p - 1]!;
      if (k < size) return buf[p + k]!;
      k -= size;
      p += size + RECORD_HEADER_BYTES;
    }
  }

  /** parseHello reads the ClientHello message (its 4-byte header included); returns a problem, or null. */
  private parseHello(m: Uint8Array): string | null {
    const end = m.byteLength;
    let p = 4;
    if (end < p + 2 + 32 + 1) return "a ClientHello too short for its version and random";
    if (m[p] !== 3) return "the ClientHello's legacy_version is not 3.x";
    p += 2 + 32;
    const sessionId = m[p]!;
    if (sessionId > 32) return `a session id of ${sessionId} bytes (at most 32)`;
    p += 1 + sessionId;
    if (p + 2 > end) return "the ClientHello ends before its cipher suites";
    const suites = (m[p]! << 8) | m[p + 1]!;
    if (suites < 2 || suites % 2 !== 0) return `a cipher suite list of ${suites} bytes (an even number, at least 2)`;
    p += 2 + suites;
    if (p + 1 > end) return "the ClientHello ends inside its cipher suites";
    const compression = m[p]!;
    if (compression < 1) return "no compression methods (at least the null one is required)";
    p += 1 + compression;
    if (p > end) return "the ClientHello ends inside its compression methods";
    if (p === end) return null; // no extensions: no SNI, no ALPN (TLS 1.2 allows it)
    if (p + 2 > end) return "a ClientHello with one byte where its extensions' length should be";
    const extLen = (m[p]! << 8) | m[p + 1]!;
    p += 2;
    if (p + extLen !== end) return `the extensions' length (${extLen}) does not match the ClientHello's (${end - p} bytes left)`;
    let sawSni = false;
    let sawAlpn = false;
    while (p < end) {
      if (p + 4 > end) return "an extension header cut short";
      const type = (m[p]! << 8) | m[p + 1]!;
      const len = (m[p + 2]! << 8) | m[p + 3]!;
      p += 4;
      if (p + len > end) return `extension ${type} runs past the ClientHello`;
      if (type === EXT_SERVER_NAME) {
        if (sawSni) return "two server_name extensions (RFC 8446 §4.2 allows one of each)";
        sawSni = true;
        const problem = this.readServerName(m, p, p + len);
        if (problem !== null) return problem;
      } else if (type === EXT_ALPN) {
        if (sawAlpn) return "two ALPN extensions (RFC 8446 §4.2 allows one of each)";
        sawAlpn = true;
        const problem = this.readAlpn(m, p, p + len);
        if (problem !== null) return problem;
      }
      p += len;
    }
    return null;
  }

  /** readServerName reads RFC 6066's ServerNameList in m[p, end): the host_name entry, if any. */
  private readServerName(m: Uint8Array, p: number, end: number): string | null {
    if (p + 2 > end) return "a server_name extension without its list length";
    const listLen = (m[p]! << 8) | m[p + 1]!;
    p += 2;
    if (listLen === 0 || p + listLen !== end) return `a server_name list of ${listLen} bytes in an extension of ${end - p + 2}`;
    while (p < end) {
      if (p + 3 > end) return "a server_name entry cut short";
      const nameType = m[p]!;
      const len = (m[p + 1]! << 8) | m[p + 2]!;
      p += 3;
      if (p + len > end) return "a server_name entry runs past its list";
      if (nameType === 0) {
        if (this.serverName !== null) return "two host_name entries (RFC 6066 §3 allows one)";
        const name = hostName(m, p, p + len);
        if (name === null)
          return "a host_name that is not a DNS name (empty, over 255 bytes, or a byte outside letters, digits, '-', '_' and '.')";
        this.serverName = name;
      } // another name_type (none is defined): skipped, as RFC 6066 lets servers do
      p += len;
    }
    return null;
  }

  /** readAlpn reads RFC 7301's ProtocolNameList in m[p, end). */
  private readAlpn(m: Uint8Array, p: number, end: number): string | null {
    if (p + 2 > end) return "an ALPN extension without its list length";
    const listLen = (m[p]! << 8) | m[p + 1]!;
    p += 2;
    if (listLen < 2 || p + listLen !== end) return `an ALPN list of ${listLen} bytes in an extension of ${end - p + 2}`;
    while (p < end) {
      const len = m[p]!;
      p += 1;
      if (len === 0 || p + len > end) return "an empty ALPN protocol name, or one that runs past its list";
      let s = "";
      for (let i = p; i < p + len; i++) s += String.fromCharCode(m[i]!);
      this.alpn.push(s);
      p += len;
    }
    return null;
  }
}

/** gatherHandshake copies the handshake payloads of the records in buf[0, recordsEnd) into one message of `bytes`. */
function gatherHandshake(buf: Uint8Array, recordsEnd: number, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let at = 0;
  let o = 0;
  while (at < recordsEnd && o < bytes) {
    const size = (buf[at + 3]! << 8) | buf[at + 4]!;
    const take = Math.min(size, bytes - o);
    out.set(buf.subarray(at + RECORD_HEADER_BYTES, at + RECORD_HEADER_BYTES + take), o);
    o += take;
    at += RECORD_HEADER_BYTES + size;
  }
  return out;
}

/**
 * hostName reads a host_name as lower-case text, or null when it is no DNS name. One trailing dot is
 * dropped (RFC 6066 says the name is sent without it; a client that sends it means the same name).
 */
function hostName(m: Uint8Array, from: number, to: number): string | null {
  if (to > from && m[to - 1] === 0x2e) to--;
  if (to <= from || to - from > MAX_HOST_NAME) return null;
  let s = "";
  for (let i = from; i < to; i++) {
    let c = m[i]!;
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    else if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0x5f)) return null;
    s += String.fromCharCode(c);
  }
  return s;
}

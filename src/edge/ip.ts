/**
 * Address text for the PROXY protocol: the strict forms a v1 line must use (proxy-protocol.txt §2.1:
 * decimal without leading zeroes, one `::` at most, exactly 128 bits), and the one canonical text warren
 * writes for an address it read as bytes (v2), so the same client is the same string in allow/deny,
 * per-client limits, hash balancing and the access log, whichever version told it.
 */

/** parseV1Ipv4 returns the address if `text` is exactly four decimal octets 0..255 with no leading zero, else null. */
export function parseV1Ipv4(text: string): string | null {
  let octets = 0;
  let i = 0;
  while (i <= text.length) {
    const dot = text.indexOf(".", i);
    const end = dot < 0 ? text.length : dot;
    if (!isDecimal(text, i, end, 3) || Number(text.slice(i, end)) > 255) return null;
    octets++;
    if (dot < 0) break;
    i = dot + 1;
  }
  return octets === 4 ? text : null;
}

/** parseV1Port returns the port if `text` is a decimal 0..65535 with no leading zero, else -1. */
export function parseV1Port(text: string): number {
  if (!isDecimal(text, 0, text.length, 5)) return -1;
  const n = Number(text);
  return n <= 65535 ? n : -1;
}

/** isDecimal: text[from, to) is 1..maxDigits ASCII digits, and "0" is the only form that starts with 0. */
function isDecimal(text: string, from: number, to: number, maxDigits: number): boolean {
  const n = to - from;
  if (n < 1 || n > maxDigits) return false;
  if (n > 1 && text.charCodeAt(from) === 0x30) return false;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/**
 * parseV1Ipv6 reads an IPv6 address as a v1 line may carry it into 16 bytes, or returns null: groups of
 * 1..4 hex digits (the spec says 4, but every sender writes inet_ntop's shortened groups), at most one
 * `::` standing for at least one zero group, an optional dotted IPv4 tail (inet_ntop writes mapped
 * addresses as ::ffff:1.2.3.4), exactly 128 bits. No zone id.
 */
export function parseV1Ipv6(text: string): Uint8Array | null {
  const out = new Uint8Array(16);
  const double = text.indexOf("::");
  if (double >= 0 && text.indexOf("::", double + 1) >= 0) return null;
  const head = double < 0 ? text : text.slice(0, double);
  const tail = double < 0 ? "" : text.slice(double + 2);
  const headGroups = groups(head, double < 0);
  const tailGroups = double < 0 ? [] : groups(tail, true);
  if (headGroups === null || tailGroups === null) return null;
  const total = headGroups.length + tailGroups.length;
  if (double < 0 ? total !== 8 : total > 7) return null;
  let at = 0;
  for (const g of headGroups) {
    out[at++] = g >> 8;
    out[at++] = g & 0xff;
  }
  at = 16 - tailGroups.length * 2;
  for (const g of tailGroups) {
    out[at++] = g >> 8;
    out[at++] = g & 0xff;
  }
  return out;
}

/** groups splits one side of a `::` into 16-bit groups; only the last side may end in a dotted IPv4. */
function groups(side: string, mayEndInIpv4: boolean): number[] | null {
  if (side === "") return [];
  const parts = side.split(":");
  const out: number[] = [];
  for (let k = 0; k < parts.length; k++) {
    const p = parts[k]!;
    if (k === parts.length - 1 && mayEndInIpv4 && p.includes(".")) {
      if (parseV1Ipv4(p) === null) return null;
      const o = p.split(".").map(Number);
      out.push((o[0]! << 8) | o[1]!, (o[2]! << 8) | o[3]!);
      continue;
    }
    if (p.length < 1 || p.length > 4) return null;
    let v = 0;
    for (let i = 0; i < p.length; i++) {
      const d = hexDigit(p.charCodeAt(i));
      if (d < 0) return null;
      v = (v << 4) | d;
    }
    out.push(v);
  }
  return out;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/** formatIpv4 writes the 4 bytes at `at` as dotted decimal. */
export function formatIpv4(b: Uint8Array, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

/**
 * formatIpv6 writes the 16 bytes at `at` as RFC 5952 text (lowercase, no leading zeroes, the longest run
 * of two or more zero groups as `::`, the first on a tie, IPv4-mapped as ::ffff:a.b.c.d): what inet_ntop
 * and Bun's remoteAddress write, so a v6 client reads the same whether it came in a header or directly.
 */
export function formatIpv6(b: Uint8Array, at: number): string {
  // Plain loops and string appends: this runs once per connection whose header is IPv6 (measured in
  // bench/micro/proxy.bench.ts; an array map/join version took 4× as long).
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (group(b, at, i) !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && group(b, at, j) === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestAt === 0 && bestLen === 5 && group(b, at, 5) === 0xffff) return `::ffff:${formatIpv4(b, at + 12)}`;
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (i === bestAt) {
      out += "::";
      i += bestLen - 1;
      continue;
    }
    if (out !== "" && !out.endsWith(":")) out += ":";
    out += hex16(b[at + i * 2]!, b[at + i * 2 + 1]!);
  }
  return out;
}

/** Hex of each byte, without and with its leading zero: a group is hi then lo, trimmed of leading zeroes. */
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16));
const HEX2 = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

function hex16(hi: number, lo: number): string {
  return hi === 0 ? HEX[lo]! : HEX[hi]! + HEX2[lo]!;
}

function group(b: Uint8Array, at: number, i: number): number {
  return (b[at + i * 2]! << 8) | b[at + i * 2 + 1]!;
}

/**
 * addressBytes reads an address as Bun reports it (remoteAddress) or a header told it, for a header
 * warren sends: 4 bytes for IPv4, 16 for IPv6 (an IPv4-mapped IPv6 address counts as IPv4, so a
 * dual-stack listener still sends TCP4), or null when it is neither (a unix socket's peer).
 */
export function addressBytes(text: string): Uint8Array | null {
  if (text.includes(":")) {
    const zone = text.indexOf("%");
    const v6 = parseV1Ipv6(zone < 0 ? text : text.slice(0, zone));
    if (v6 === null) return null;
    const mapped = v6[10] === 0xff && v6[11] === 0xff && v6.subarray(0, 10).every((x) => x === 0);
    return mapped ? v6.slice(12) : v6;
  }
  if (parseV1Ipv4(text) === null) return null;
  return Uint8Array.from(text.split(".").map(Number));
}

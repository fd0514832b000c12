/**
 * CIDR ranges for per-listener allow/deny lists, IPv4 and IPv6. Addresses are
 * compared as 128-bit values held in four 32-bit words (IPv4 is mapped into
 * ::ffff:0:0/96, so "10.0.0.0/8" also matches "::ffff:10.1.2.3", which is how
 * a dual-stack listener reports IPv4 clients).
 */
export interface CidrRange {
  readonly text: string;
  readonly words: Uint32Array; // network address, 4 words
  readonly mask: Uint32Array; // 4 words
}

/** parseIp reads an IPv4 or IPv6 address into 4 words, or null. */
export function parseIp(text: string): Uint32Array | null {
  if (text.includes(":")) return parseIpv6(text);
  const v4 = parseIpv4(text);
  if (v4 === null) return null;
  return new Uint32Array([0, 0, 0xffff, v4]);
}

function parseIpv4(text: string): number | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let value = 0;
  for (const p of parts) {
    if (!/^[0-9]{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    value = value * 256 + n;
  }
  return value >>> 0;
}

function parseIpv6(text: string): Uint32Array | null {
  const zone = text.indexOf("%");
  if (zone >= 0) text = text.slice(0, zone);
  let tail: number[] = [];
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two 16-bit groups.
  const lastColon = text.lastIndexOf(":");
  const maybeV4 = text.slice(lastColon + 1);
  if (maybeV4.includes(".")) {
    const v4 = parseIpv4(maybeV4);
    if (v4 === null) return null;
    tail = [v4 >>> 16, v4 & 0xffff];
    text = text.slice(0, lastColon + 1) + (text.endsWith("::" + maybeV4) ? "" : "0");
    if (text.endsWith(":0")) text = text.slice(0, -2);
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const parse = (s: string): number[] | null => {
    if (s === "") return [];
    const out: number[] = [];
    for (const g of s.split(":")) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  if (head === null || rest === null) return null;
  const groups = halves.length === 2 ? [...head, ...rest, ...tail] : [...head, ...tail];
  const missing = 8 - groups.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const full = halves.length === 2 ? [...head, ...new Array<number>(missing).fill(0), ...rest, ...tail] : groups;
  const words = new Uint32Array(4);
  for (let i = 0; i < 4; i++) words[i] = ((full[i * 2]! << 16) | full[i * 2 + 1]!) >>> 0;
  return words;
}

/** parseCidr reads "10.0.0.0/8", "2001:db8::/32" or a bare address (a /32 or /128). */
export function parseCidr(text: string): CidrRange | null {
  const slash = text.indexOf("/");
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const isV4 = !addrText.includes(":");
  const addr = parseIp(addrText);
  if (addr === null) return null;
  let bits = isV4 ? 32 : 128;
  if (slash >= 0) {
    const bitsText = text.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(bitsText)) return null;
    bits = Number(bitsText);
    if (bits > (isV4 ? 32 : 128)) return null;
  }
  const prefix = isV4 ? 96 + bits : bits;
  const mask = new Uint32Array(4);
  for (let i = 0; i < 4; i++) {
    const take = Math.max(0, Math.min(32, prefix - i * 32));
    mask[i] = take === 0 ? 0 : (0xffffffff << (32 - take)) >>> 0;
  }
  const words = new Uint32Array(4);
  for (let i = 0; i < 4; i++) words[i] = (addr[i]! & mask[i]!) >>> 0;
  return { text, words, mask };
}

/** contains reports whether the parsed address lies in the range. */
export function contains(range: CidrRange, addr: Uint32Array): boolean {
  for (let i = 0; i < 4; i++) {
    if ((addr[i]! & range.mask[i]!) >>> 0 !== range.words[i]) return false;
  }
  return true;
}

/**
 * AccessList decides whether a client address may connect: denied if it
 * matches any `deny` range; otherwise allowed if `allow` is empty or it
 * matches an `allow` range. An unparsable address is denied.
 */
export class AccessList {
  private readonly allow: readonly CidrRange[];
  private readonly deny: readonly CidrRange[];

  constructor(allow: readonly CidrRange[], deny: readonly CidrRange[]) {
    this.allow = allow;
    this.deny = deny;
  }

  get empty(): boolean {
    return this.allow.length === 0 && this.deny.length === 0;
  }

  permits(address: string): boolean {
    if (this.empty) return true;
    const addr = parseIp(address);
    if (addr === null) return false;
    for (const r of this.deny) if (contains(r, addr)) return false;
    if (this.allow.length === 0) return true;
    for (const r of this.allow) if (contains(r, addr)) return true;
    return false;
  }
}

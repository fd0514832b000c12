/**
 * How a hostile client spells a command on the wire. Redis reads a request as a
 * RESP array of bulk strings, or else as an inline line split by sdssplitargs:
 * words separated by whitespace, "double quotes" with \n \r \t \b \a \\ \" and
 * \xHH escapes, 'single quotes' with only \' escaped, and a quote may open in
 * the middle of a word (SEL"ECT" is SELECT). These encoders produce exactly
 * what Redis will execute, so an attacker can hide a command name from a proxy
 * that only looks at the raw bytes.
 */
import type { Rng } from "./rng.ts";

export function multibulk(args: readonly (string | Uint8Array)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === "string" ? Buffer.from(a, "latin1") : Buffer.from(a);
    parts.push(Buffer.from(`$${b.byteLength}\r\n`), b, Buffer.from("\r\n"));
  }
  return Buffer.concat(parts);
}

/** randomCase changes the case of each ASCII letter at random (Redis command names are case-insensitive). */
export function randomCase(s: string, rng: Rng): string {
  let out = "";
  for (const ch of s) out += rng.chance(0.5) ? ch.toLowerCase() : ch.toUpperCase();
  return out;
}

/** doubleQuoted spells bytes as a "…" token, escaping some bytes at random (\xHH, \n, ...) and the ones that must be. */
export function doubleQuoted(arg: Uint8Array, rng: Rng, escapeAll = false): string {
  let out = '"';
  for (const b of arg) {
    const ch = String.fromCharCode(b);
    if (b === 0x22 || b === 0x5c) out += `\\${ch}`;
    else if (b === 0x0a) out += "\\n";
    else if (b === 0x0d) out += "\\r";
    else if (b === 0x09) out += rng.chance(0.5) ? "\\t" : "\\x09";
    else if (b < 0x20 || b > 0x7e || escapeAll || rng.chance(0.15)) {
      const hex = b.toString(16).padStart(2, "0"); // sdssplitargs wants exactly two hex digits, either case
      out += `\\x${rng.chance(0.5) ? hex.toUpperCase() : hex}`;
    } else out += ch;
  }
  return `${out}"`;
}

/** singleQuoted spells bytes as a '…' token (only ' is escaped); null when a byte cannot be inside one (LF ends the line). */
export function singleQuoted(arg: Uint8Array): string | null {
  // A trailing backslash would turn the closing quote into an escaped one (`\'`): not spellable here.
  if (arg[arg.byteLength - 1] === 0x5c) return null;
  let out = "'";
  for (const b of arg) {
    if (b === 0x0a || b === 0x00) return null;
    out += b === 0x27 ? "\\'" : String.fromCharCode(b);
  }
  return `${out}'`;
}

/** bare spells bytes as an unquoted word, or null when they need quotes. */
export function bare(arg: Uint8Array): string | null {
  if (arg.byteLength === 0) return null;
  for (const b of arg) if (b <= 0x20 || b === 0x22 || b === 0x27 || b > 0x7e) return null;
  return Buffer.from(arg).toString("latin1");
}

/**
 * midWordQuoted spells a word with a quote opened inside it, as sdssplitargs
 * allows: SEL"ECT" is SELECT, G'E'T is... rejected (a closing quote must be
 * followed by a space), so the quote always runs to the word's end.
 */
export function midWordQuoted(arg: Uint8Array, rng: Rng): string | null {
  const plain = bare(arg);
  if (plain === null || plain.length < 2) return null;
  const cut = rng.between(1, plain.length - 1);
  const rest = Buffer.from(plain.slice(cut), "latin1");
  return plain.slice(0, cut) + (rng.chance(0.7) ? doubleQuoted(rest, rng) : singleQuoted(rest)!);
}

/** inline spells a whole command as one inline line, each word in a random spelling Redis reads back to the same bytes. */
export function inline(args: readonly (string | Uint8Array)[], rng: Rng): Buffer {
  const words = args.map((a) => {
    const b = typeof a === "string" ? Buffer.from(a, "latin1") : Buffer.from(a);
    const choice = rng.int(4);
    if (choice === 0) return bare(b) ?? doubleQuoted(b, rng);
    if (choice === 1) return doubleQuoted(b, rng, rng.chance(0.3));
    if (choice === 2) return singleQuoted(b) ?? doubleQuoted(b, rng);
    return midWordQuoted(b, rng) ?? doubleQuoted(b, rng);
  });
  const gap = () => rng.pick([" ", " ", "  ", "\t", " \t "]);
  const lead = rng.chance(0.1) ? gap() : "";
  const eol = rng.pick(["\r\n", "\r\n", "\n", " \r\n"]);
  return Buffer.from(lead + words.join(gap()) + eol, "latin1");
}

/**
 * splitAt returns `bytes` cut into pieces at random byte boundaries (every
 * byte its own piece with `everyByte`).
 */
export function splitAt(bytes: Uint8Array, rng: Rng, everyByte = false): Uint8Array[] {
  if (everyByte) return Array.from({ length: bytes.byteLength }, (_, i) => bytes.subarray(i, i + 1));
  const pieces: Uint8Array[] = [];
  let i = 0;
  while (i < bytes.byteLength) {
    const n = Math.max(1, Math.min(bytes.byteLength - i, rng.chance(0.5) ? rng.between(1, 4) : rng.between(1, bytes.byteLength)));
    pieces.push(bytes.subarray(i, i + n));
    i += n;
  }
  return pieces;
}

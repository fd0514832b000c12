/**
 * Byte constants and lookup tables for the RESP scanners, the inline-command
 * parser and respCommandName, kept apart so each file holds only its algorithm.
 */

export const NUL = 0;
export const CR = 13;
export const LF = 10;
export const PLUS = 0x2b; // +
export const MINUS = 0x2d; // -
export const QUESTION = 0x3f; // ?
export const SEMICOLON = 0x3b; // ;
export const DOT = 0x2e; // .
export const STAR = 0x2a; // *
export const DOLLAR = 0x24; // $
export const DIGIT_0 = 0x30;
export const DIGIT_9 = 0x39;
export const DOUBLE_QUOTE = 0x22; // "
export const SINGLE_QUOTE = 0x27; // '
export const BACKSLASH = 0x5c;

/**
 * What a value's first byte announces; 0 means "not a RESP type byte". Plain
 * numbers rather than an enum so the scanner's comparisons stay on small integers.
 */
// Line types: the whole value is one CRLF-terminated line.
export const K_SIMPLE = 1; // + simple string, - error: any bytes but CR and LF
export const K_INTEGER = 2; // : integer, ( big number: [+-]digits
export const K_DOUBLE = 3; // , double: digits, sign, '.', exponent, inf, nan
export const K_BOOLEAN = 4; // # boolean: t or f
export const K_NULL = 5; // _ null: empty line
export const K_END = 6; // . end of a streamed aggregate: empty line (only valid inside one)
// Length types: a length line, then that many payload bytes and CRLF.
export const K_BULK = 7; // $ bulk string, also $-1 (null) and $? (streamed)
export const K_BLOB_ERROR = 8; // ! blob error
export const K_VERBATIM = 9; // = verbatim string: "txt:" + text, so at least 4 bytes
export const K_CHUNK = 10; // ; one chunk of a streamed string, ;0 ends it
// Aggregate types: a count line, then that many values.
export const K_ARRAY = 11; // * array, also *-1 (null) and *? (streamed)
export const K_SET = 12; // ~ set, also ~? (streamed)
export const K_PUSH = 13; // > push
export const K_MAP = 14; // % map: 2 values per entry, also %? (streamed)
export const K_ATTRIBUTE = 15; // | attribute: 2 values per entry, then the value it annotates

/** KIND_OF maps a value's first byte to its K_* kind; every other byte maps to 0. */
export const KIND_OF: Uint8Array = (() => {
  const table = new Uint8Array(256);
  const types: [string, number][] = [
    ["+", K_SIMPLE],
    ["-", K_SIMPLE],
    [":", K_INTEGER],
    ["(", K_INTEGER],
    [",", K_DOUBLE],
    ["#", K_BOOLEAN],
    ["_", K_NULL],
    ["$", K_BULK],
    ["!", K_BLOB_ERROR],
    ["=", K_VERBATIM],
    ["*", K_ARRAY],
    ["~", K_SET],
    [">", K_PUSH],
    ["%", K_MAP],
    ["|", K_ATTRIBUTE],
  ];
  for (const [ch, kind] of types) table[ch.charCodeAt(0)] = kind;
  return table;
})();

/** DOUBLE_BYTE marks the bytes a RESP3 double may contain: digits, sign, '.', exponent, inf and nan. */
export const DOUBLE_BYTE: Uint8Array = (() => {
  const table = new Uint8Array(256);
  for (const ch of "0123456789+-.eEiInNfFaA") table[ch.charCodeAt(0)] = 1;
  return table;
})();

/** isSpace is C's isspace, which Redis uses to split inline commands into words. */
export function isSpace(b: number): boolean {
  return b === 0x20 || (b >= 0x09 && b <= 0x0d);
}

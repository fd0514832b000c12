/**
 * RESP values for the few replies warren reads or writes as values rather than relaying bytes: the reply
 * to its own HELLO on a new pooled connection, and the replies it makes itself (HELLO, AUTH, CLIENT
 * GETNAME…). None of this runs per request of ordinary traffic, so it may allocate.
 */

/** A decoded RESP2/RESP3 value. Maps keep their order; sets, pushes and attributes read as arrays. */
export type RespValue =
  | { readonly type: "simple"; readonly value: string }
  | { readonly type: "error"; readonly value: string }
  | { readonly type: "integer"; readonly value: number }
  | { readonly type: "bulk"; readonly value: string }
  | { readonly type: "null" }
  | { readonly type: "array"; readonly value: readonly RespValue[] }
  | { readonly type: "map"; readonly value: readonly (readonly [RespValue, RespValue])[] };

export const simple = (value: string): RespValue => ({ type: "simple", value });
export const bulk = (value: string): RespValue => ({ type: "bulk", value });
export const integer = (value: number): RespValue => ({ type: "integer", value });
export const NULL: RespValue = { type: "null" };
export const array = (value: readonly RespValue[]): RespValue => ({ type: "array", value });
export const map = (value: readonly (readonly [RespValue, RespValue])[]): RespValue => ({ type: "map", value });

const encoder = new TextEncoder();

/** encodeValue writes a value in the client's protocol: RESP2 spells maps as flat arrays and null as $-1. */
export function encodeValue(v: RespValue, proto: number): Uint8Array {
  return encoder.encode(text(v, proto));
}

function text(v: RespValue, proto: number): string {
  switch (v.type) {
    case "simple":
      return `+${v.value}\r\n`;
    case "error":
      return `-${v.value}\r\n`;
    case "integer":
      return `:${v.value}\r\n`;
    case "bulk":
      return `$${Buffer.byteLength(v.value)}\r\n${v.value}\r\n`;
    case "null":
      return proto >= 3 ? "_\r\n" : "$-1\r\n";
    case "array":
      return `*${v.value.length}\r\n${v.value.map((x) => text(x, proto)).join("")}`;
    case "map": {
      const body = v.value.map(([k, x]) => text(k, proto) + text(x, proto)).join("");
      return proto >= 3 ? `%${v.value.length}\r\n${body}` : `*${v.value.length * 2}\r\n${body}`;
    }
  }
}

/**
 * decodeValue reads one complete RESP2/RESP3 value at buf[i] (the caller has framed it with the reply
 * scanner, so it is well formed) and returns it with the index after it.
 */
export function decodeValue(buf: Uint8Array, i: number): [RespValue, number] {
  const type = buf[i]!;
  const lf = buf.indexOf(0x0a, i);
  const line = Buffer.from(buf.buffer, buf.byteOffset + i + 1, lf - 1 - (i + 1)).toString("latin1");
  const next = lf + 1;
  switch (String.fromCharCode(type)) {
    case "+":
      return [simple(line), next];
    case "-":
      return [{ type: "error", value: line }, next];
    case ":":
    case "(":
      return [integer(Number(line)), next];
    case ",":
    case "#":
      return [simple(line), next];
    case "_":
      return [NULL, next];
    case "$":
    case "!":
    case "=": {
      const n = Number(line);
      if (n < 0) return [NULL, next];
      const s = Buffer.from(buf.buffer, buf.byteOffset + next, n).toString("utf8");
      return [type === 0x21 ? { type: "error", value: s } : bulk(type === 0x3d ? s.slice(4) : s), next + n + 2];
    }
    case "*":
    case "~":
    case ">": {
      const n = Number(line);
      if (n < 0) return [NULL, next];
      const out: RespValue[] = [];
      let j = next;
      for (let k = 0; k < n; k++) {
        const [v, after] = decodeValue(buf, j);
        out.push(v);
        j = after;
      }
      return [array(out), j];
    }
    case "%":
    case "|": {
      const n = Number(line);
      const out: [RespValue, RespValue][] = [];
      let j = next;
      for (let k = 0; k < n; k++) {
        const [key, a] = decodeValue(buf, j);
        const [v, b] = decodeValue(buf, a);
        out.push([key, v]);
        j = b;
      }
      // An attribute annotates the value that follows it; warren keeps only the value.
      return type === 0x7c ? decodeValue(buf, j) : [map(out), j];
    }
    default:
      return [{ type: "error", value: `warren: cannot decode reply type ${JSON.stringify(String.fromCharCode(type))}` }, buf.byteLength];
  }
}

/** pairs reads a HELLO reply's fields: a RESP3 map, or the flat key/value array RESP2 makes of it. */
export function pairs(v: RespValue): Map<string, RespValue> {
  const out = new Map<string, RespValue>();
  if (v.type === "map") {
    for (const [k, x] of v.value) if (k.type === "bulk" || k.type === "simple") out.set(k.value, x);
  } else if (v.type === "array") {
    for (let i = 0; i + 1 < v.value.length; i += 2) {
      const k = v.value[i]!;
      if (k.type === "bulk" || k.type === "simple") out.set(k.value, v.value[i + 1]!);
    }
  }
  return out;
}

/**
 * CRC32C (Castagnoli, the checksum of RFC 4960 appendix B) for the PROXY v2 PP2_TYPE_CRC32C TLV. A
 * table-driven byte loop: a header is at most a few hundred bytes and is checked once per connection,
 * so a slicing-by-8 variant would buy nothing measurable.
 */
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** crc32cUpdate folds bytes[from, to) into a running CRC (start with 0xffffffff, finish with crc32cFinish). */
export function crc32cUpdate(crc: number, bytes: Uint8Array, from: number, to: number): number {
  for (let i = from; i < to; i++) crc = TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return crc;
}

/** crc32cZeros folds `n` zero bytes in (the checksum field itself, which is computed as zeroes). */
export function crc32cZeros(crc: number, n: number): number {
  for (let i = 0; i < n; i++) crc = TABLE[crc & 0xff]! ^ (crc >>> 8);
  return crc;
}

export function crc32cFinish(crc: number): number {
  return (crc ^ 0xffffffff) >>> 0;
}

/** crc32c of bytes[from, to). */
export function crc32c(bytes: Uint8Array, from = 0, to = bytes.byteLength): number {
  return crc32cFinish(crc32cUpdate(0xffffffff, bytes, from, to));
}

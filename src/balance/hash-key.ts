/**
 * hashKey hashes a string to an unsigned 32-bit integer: FNV-1a over the
 * string's UTF-16 code units, then murmur3's fmix32 finalizer. FNV-1a alone is
 * fast and allocation-free but mixes its last input poorly, and client
 * addresses ("10.0.0.7", "10.0.0.8") differ mostly in their last characters;
 * the finalizer spreads that difference over all 32 bits so neighbouring
 * addresses land far apart on the ring.
 *
 * Not cryptographic: a client who can choose its address can choose its backend,
 * which a hash balancer allows anyway.
 */
export function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/** fmix32 is murmur3's 32-bit finalizer: a bijection with full avalanche. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

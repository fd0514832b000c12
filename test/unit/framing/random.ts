/** Seeded randomness shared by the framing fuzz tests and the Redis differential test, so a printed seed reproduces a run. */

/** mulberry32: a tiny seeded PRNG returning floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** randomCuts splits [0, n) into chunks: byte by byte, or at 1-4 random points (empty chunks allowed). */
export function randomCuts(n: number, random: () => number): number[] {
  if (random() < 0.1) return Array.from({ length: n + 1 }, (_, i) => i);
  const cuts = [0, n];
  const count = 1 + Math.floor(random() * 4);
  for (let k = 0; k < count; k++) cuts.push(Math.floor(random() * (n + 1)));
  return cuts.sort((a, b) => a - b);
}

/** mutate applies 0-3 random edits to s: replace, insert or delete a byte from `alphabet`, repeat a run, or truncate. */
export function mutate(s: string, alphabet: string, random: () => number): string {
  const pick = (): string => alphabet[Math.floor(random() * alphabet.length)]!;
  const mutations = Math.floor(random() * 4);
  for (let k = 0; k < mutations && s.length > 0; k++) {
    const at = Math.floor(random() * s.length);
    const kind = random();
    if (kind < 0.3) s = s.slice(0, at) + pick() + s.slice(at + 1);
    else if (kind < 0.55) s = s.slice(0, at) + pick() + s.slice(at);
    else if (kind < 0.75) s = s.slice(0, at) + s.slice(at + 1);
    else if (kind < 0.9) s = s.slice(0, at) + s.slice(at, at + 8) + s.slice(at);
    else s = s.slice(0, at);
  }
  return s;
}

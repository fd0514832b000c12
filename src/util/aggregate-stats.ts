/**
 * aggregateStats adds up the stats of several workers into one, shaped like one worker's: counters and
 * gauges are summed, histograms bucket by bucket (their counts are numbers too), listeners matched by
 * name and backends by address. A few fields are not sums: the largest queue any one session had, the
 * event loop's delay and a backend's downtime (each worker sees the same outage) are maxima, and a
 * backend is healthy only where every worker finds it healthy.
 */
const MAXIMA = new Set(["peakSessionQueuedBytes", "lastCheckMs", "eventLoopDelayMs", "downtimeMs"]);
/** Booleans that hold for the group only when they hold in every worker. */
const ALL = new Set(["healthy", "accepting"]);

export function aggregateStats<T>(parts: readonly T[]): T {
  if (parts.length === 0) throw new Error("aggregateStats: nothing to add up");
  return parts.slice(1).reduce((a, b) => merge(a, b, "") as T, structuredClone(parts[0]!));
}

function merge(a: unknown, b: unknown, key: string): unknown {
  if (typeof a === "number" && typeof b === "number") return MAXIMA.has(key) ? Math.max(a, b) : a + b;
  if (typeof a === "boolean" && typeof b === "boolean") return ALL.has(key) ? a && b : a || b;
  // A histogram's per-bucket counts add up slot by slot (its bounds, a list of plain values, stay as they are).
  if (key === "counts" && Array.isArray(a) && Array.isArray(b)) return a.map((n: number, i) => n + (b[i] as number));
  if (Array.isArray(a) && Array.isArray(b)) return mergeLists(a, b);
  if (a === null || a === undefined) return b === undefined ? a : structuredClone(b);
  if (b === null || b === undefined) return a;
  if (typeof a === "object" && typeof b === "object") {
    const out = a as Record<string, unknown>;
    for (const [k, v] of Object.entries(b as Record<string, unknown>)) out[k] = k in out ? merge(out[k], v, k) : structuredClone(v);
    return out;
  }
  return a; // strings (names, addresses, reasons): the first worker's
}

/** Lists of records merge by their identity (`name`, else `address`); lists of plain values are a union. */
function mergeLists(a: unknown[], b: unknown[]): unknown[] {
  const idOf = (v: unknown): string | null => {
    if (typeof v !== "object" || v === null) return null;
    const r = v as Record<string, unknown>;
    return typeof r.name === "string" ? `name:${r.name}` : typeof r.address === "string" ? `address:${r.address}` : null;
  };
  if (a.length > 0 && idOf(a[0]) === null) return [...new Set([...a, ...b])];
  const byId = new Map(a.map((v) => [idOf(v), v] as const));
  for (const v of b) {
    const id = idOf(v);
    const mine = byId.get(id);
    if (mine === undefined) {
      const copy = structuredClone(v);
      a.push(copy);
      byId.set(id, copy);
    } else merge(mine, v, "");
  }
  return a;
}

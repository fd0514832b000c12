/** What both bench commands' flag parsers share: the error they throw, and comma-separated lists. */

/** UsageError is a bad flag or value; the parsers turn it into a message with the usage text (exit code 2). */
export class UsageError extends Error {}

/** list reads "a,b,c" as names from `allowed`, in order, each once. */
export function list<T extends string>(flag: string, raw: string, allowed: readonly T[]): T[] {
  const out: T[] = [];
  for (const item of raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")) {
    if (!(allowed as readonly string[]).includes(item))
      throw new UsageError(`${flag}: unknown "${item}", expected one of ${allowed.join(", ")}`);
    if (!out.includes(item as T)) out.push(item as T);
  }
  if (out.length === 0) throw new UsageError(`${flag}: expected at least one of ${allowed.join(", ")}`);
  return out;
}

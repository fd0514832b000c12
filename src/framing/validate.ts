import { didYouMean } from "../util/did-you-mean.ts";
import { describeValue, FramerError } from "./errors.ts";

/**
 * Option checks shared by the framers. Each returns null when the value is
 * acceptable, or a FramerError whose message names the option, the expected
 * range and the value found.
 */

/** checkInteger accepts a safe integer in [min, max]. */
export function checkInteger(name: string, value: unknown, min: number, max: number): FramerError | null {
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= min && value <= max) return null;
  const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `${min}..${max}`;
  return invalidOption(name, `an integer ${range}`, value);
}

/** checkSize accepts a byte count >= min, or Infinity for "no limit". */
export function checkSize(name: string, value: unknown, min: number): FramerError | null {
  if (value === Number.POSITIVE_INFINITY) return null;
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= min) return null;
  return invalidOption(name, `an integer >= ${min} or Infinity`, value);
}

/** checkOneOf accepts one of a fixed list of values. */
export function checkOneOf(name: string, value: unknown, allowed: readonly unknown[]): FramerError | null {
  if (allowed.includes(value)) return null;
  const list = allowed.map(describeValue);
  const expected = list.length > 1 ? `${list.slice(0, -1).join(", ")} or ${list.at(-1)}` : String(list[0]);
  return invalidOption(name, expected, value);
}

/** invalidOption builds the standard "name: expected X, got Y" error. */
export function invalidOption(name: string, expected: string, value: unknown): FramerError {
  return new FramerError("FRAMER_OPTION_INVALID", `${name}: expected ${expected}, got ${describeValue(value)}`);
}

/** firstError returns the first non-null check result, so callers can list checks in order. */
export function firstError(...results: (FramerError | null)[]): FramerError | null {
  for (const r of results) if (r !== null) return r;
  return null;
}

/** dropUndefined lets `{ maxFrameBytes: undefined }` mean "use the default", as zero values should. */
export function dropUndefined<T extends object>(options: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(options) as (keyof T)[]) if (options[key] !== undefined) out[key] = options[key];
  return out;
}

/**
 * checkKnownKeys rejects option names the framer does not have, with a "did you
 * mean" hint, because a misspelt option would otherwise silently take its default.
 */
export function checkKnownKeys(options: object, known: readonly string[]): FramerError | null {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const best = didYouMean(key, known, 2); // suggest only names within two edits
    const hint = best === null ? `known options: ${known.join(", ")}` : `did you mean "${best}"?`;
    return new FramerError("FRAMER_OPTION_INVALID", `${key}: unknown option, ${hint}`);
  }
  return null;
}

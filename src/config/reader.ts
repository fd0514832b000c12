import { ConfigError } from "../errors.ts";
import { didYouMean } from "../util/did-you-mean.ts";

/**
 * Reader walks untrusted config input and collects every problem with its key
 * path instead of stopping at the first, so one run shows the user all fixes.
 * Each method returns a usable value (the default) even after an error.
 */
export class Reader {
  readonly errors: ConfigError[] = [];

  fail(path: string, problem: string): void {
    this.errors.push(new ConfigError(path, problem));
  }

  /** object checks that `value` is a table and that it has no keys outside `known`. */
  object(value: unknown, path: string, known: readonly string[]): Record<string, unknown> | undefined {
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      this.fail(path, `expected a table/object, got ${describe(value)}`);
      return undefined;
    }
    const obj = value as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      if (known.includes(key)) continue;
      const hint = didYouMean(key, known);
      this.fail(join(path, key), `unknown key${hint === null ? "" : `, did you mean "${hint}"?`}`);
    }
    return obj;
  }

  /**
   * int accepts a number that is exactly an integer in min..max. How it was written is gone by
   * now: Bun.TOML.parse returns the JS number 1000 for `1000`, `1000.0`, `1e3` and `1_000` alike
   * (test/unit/config/validate.test.ts pins this), and JSON has a single number type, so JSON's
   * `1000.0` is 1000 by definition. Telling TOML's float 1000.0 apart would take a second TOML
   * tokenizer beside Bun's, able to disagree with it; the value is the integer written, so it is
   * taken. Fractions, NaN and ±Infinity fail Number.isInteger; TOML integers beyond 2^53 are
   * already a parse error; strings of digits are refused.
   */
  int(obj: Record<string, unknown>, key: string, path: string, fallback: number, min: number, max: number): number {
    const v = obj[key];
    if (v === undefined) return fallback;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      this.fail(join(path, key), `expected an integer ${min}..${max}, got ${describe(v)}`);
      return fallback;
    }
    return v;
  }

  bool(obj: Record<string, unknown>, key: string, path: string, fallback: boolean): boolean {
    const v = obj[key];
    if (v === undefined) return fallback;
    if (typeof v !== "boolean") {
      this.fail(join(path, key), `expected true or false, got ${describe(v)}`);
      return fallback;
    }
    return v;
  }

  string(obj: Record<string, unknown>, key: string, path: string, fallback: string): string {
    const v = obj[key];
    if (v === undefined) return fallback;
    if (typeof v !== "string" || v === "") {
      this.fail(join(path, key), `expected a non-empty string, got ${describe(v)}`);
      return fallback;
    }
    return v;
  }

  oneOf<T extends string>(obj: Record<string, unknown>, key: string, path: string, fallback: T, choices: readonly T[]): T {
    const v = obj[key];
    if (v === undefined) return fallback;
    if (typeof v !== "string" || !(choices as readonly string[]).includes(v)) {
      const hint = typeof v === "string" ? didYouMean(v, choices) : null;
      this.fail(
        join(path, key),
        `expected one of ${choices.map((c) => `"${c}"`).join(", ")}, got ${describe(v)}${hint === null ? "" : ` (did you mean "${hint}"?)`}`,
      );
      return fallback;
    }
    return v as T;
  }
}

/** join builds "listeners[0].backends" style key paths. */
export function join(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return path === "" ? key : `${path}.${key}`;
}

/** describe renders a found value for an error message: strings quoted, others by kind. */
export function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  // A very long string (a 100,000-character host name) is cut short, with its length.
  if (typeof v === "string")
    return v.length > 80 ? `${JSON.stringify(v.slice(0, 60)).slice(0, -1)}…" (${v.length} characters)` : JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  // "list", as the expectations say it ("expected a list of at least one backend"); empty is called out.
  if (Array.isArray(v)) return v.length === 0 ? "an empty list" : "a list";
  return `a ${typeof v === "object" ? "table" : typeof v}`;
}

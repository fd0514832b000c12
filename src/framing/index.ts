/**
 * Framing for warren's pooled n:1 mode: boundary scanners that say where each
 * request and reply ends without copying or decoding it. A FramerConfig picks one
 * of the built-in framers or a custom module; createFramerFactory validates it.
 */
import { loadCustomFramer } from "./custom.ts";
import { type DelimiterFramerOptions, delimiterFramer } from "./delimiter.ts";
import { FramerError } from "./errors.ts";
import type { FramerFactory } from "./framer.ts";
import { type LengthFramerOptions, lengthFramer } from "./length.ts";
import { type RespFramerOptions, respFramer } from "./resp.ts";
import { invalidOption } from "./validate.ts";

export { FramerError, type FramerErrorCode } from "./errors.ts";
export { type FrameScanner, type FramerFactory, INVALID, NEED_MORE } from "./framer.ts";
export { type LengthFramerOptions, LengthScanner, lengthFramer } from "./length.ts";
export { type DelimiterFramerOptions, DelimiterScanner, delimiterFramer } from "./delimiter.ts";
export {
  type RespFramerOptions,
  RespRequestScanner,
  RespScanner,
  UNBALANCED_QUOTES,
  encodeCommand,
  parseInlineFrame,
  respCommandName,
  respFramer,
} from "./resp.ts";
export { type CreateFramer, GuardedScanner, loadCustomFramer } from "./custom.ts";

/**
 * FramerConfig selects a framer by `kind`; every option left out takes its value
 * from DEFAULTS.framer[kind]. A custom module receives `options` unchanged.
 */
export type FramerConfig =
  | ({ kind: "length" } & Partial<LengthFramerOptions>)
  | ({ kind: "delimiter" } & Partial<DelimiterFramerOptions>)
  | ({ kind: "resp" } & Partial<RespFramerOptions>)
  | { kind: "custom"; module: string; options?: unknown };

export const FRAMER_KINDS = ["length", "delimiter", "resp", "custom"] as const;

/** BuiltinFramerKind is a framer kind warren ships (built synchronously; "custom" is imported). */
export type BuiltinFramerKind = Exclude<(typeof FRAMER_KINDS)[number], "custom">;

/**
 * BUILTIN_FRAMERS is the one table from a built-in kind to the function that validates its options and
 * makes its factory: createFramerFactory, the pool's framersFor and the config reader all build through it.
 */
const BUILTIN_FRAMERS: { readonly [K in BuiltinFramerKind]: (options: Record<string, unknown>) => FramerFactory | FramerError } = {
  length: (o) => lengthFramer(o as Partial<LengthFramerOptions>),
  delimiter: (o) => delimiterFramer(o as Partial<DelimiterFramerOptions>),
  resp: (o) => respFramer(o as Partial<RespFramerOptions>),
};

/** builtinFramer builds the factory of a built-in kind from its options (every option left out takes its default). */
export function builtinFramer(kind: BuiltinFramerKind, options: Record<string, unknown>): FramerFactory | FramerError {
  return BUILTIN_FRAMERS[kind](options);
}

/**
 * createFramerFactory validates a FramerConfig and returns the factory that makes
 * one scanner per stream direction per connection, or a FramerError (never thrown).
 * baseDir resolves a relative custom module path (default: the working directory).
 */
export async function createFramerFactory(config: FramerConfig, baseDir?: string): Promise<FramerFactory | FramerError> {
  if (config.kind === "custom") return loadCustomFramer(config.module, config.options, baseDir);
  if (!Object.hasOwn(BUILTIN_FRAMERS, config.kind)) {
    return invalidOption("kind", `one of ${FRAMER_KINDS.map((k) => `"${k}"`).join(", ")}`, (config as { kind?: unknown }).kind);
  }
  const { kind, ...options } = config;
  return builtinFramer(kind, options);
}

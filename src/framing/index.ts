/**
 * Framing for warren's pooled n:1 mode: boundary scanners that say where each
 * request and reply ends without copying or decoding it. A FramerConfig picks one
 * of the built-in framers or a custom module; createFramerFactory validates it.
 */
import { loadCustomFramer } from "./custom.ts";
import { type DelimiterFramerOptions, delimiterFramer } from "./delimiter.ts";
import type { FramerError } from "./errors.ts";
import type { FramerFactory } from "./framer.ts";
import { type LengthFramerOptions, lengthFramer } from "./length.ts";
import { type RespFramerOptions, respFramer } from "./resp.ts";
import { invalidOption } from "./validate.ts";

export { DEFAULT_FRAMER_OPTIONS } from "./defaults.ts";
export { FramerError, type FramerErrorCode } from "./errors.ts";
export { type FrameScanner, type FramerFactory, INVALID, NEED_MORE } from "./framer.ts";
export { type LengthFramerOptions, LengthScanner, lengthFramer } from "./length.ts";
export { type DelimiterFramerOptions, DelimiterScanner, delimiterFramer } from "./delimiter.ts";
export {
  type RespFramerOptions, RespRequestScanner, RespScanner, UNBALANCED_QUOTES, encodeCommand, parseInlineFrame, respCommandName, respFramer,
} from "./resp.ts";
export { type CreateFramer, GuardedScanner, loadCustomFramer } from "./custom.ts";

/**
 * FramerConfig selects a framer by `kind`; every option left out takes its value
 * from DEFAULT_FRAMER_OPTIONS[kind]. A custom module receives `options` unchanged.
 */
export type FramerConfig =
  | ({ kind: "length" } & Partial<LengthFramerOptions>)
  | ({ kind: "delimiter" } & Partial<DelimiterFramerOptions>)
  | ({ kind: "resp" } & Partial<RespFramerOptions>)
  | { kind: "custom"; module: string; options?: unknown };

export const FRAMER_KINDS = ["length", "delimiter", "resp", "custom"] as const;

/**
 * createFramerFactory validates a FramerConfig and returns the factory that makes
 * one scanner per stream direction per connection, or a FramerError (never thrown).
 * baseDir resolves a relative custom module path (default: the working directory).
 */
export async function createFramerFactory(config: FramerConfig, baseDir?: string): Promise<FramerFactory | FramerError> {
  switch (config.kind) {
    case "length": {
      const { kind: _, ...options } = config;
      return lengthFramer(options);
    }
    case "delimiter": {
      const { kind: _, ...options } = config;
      return delimiterFramer(options);
    }
    case "resp": {
      const { kind: _, ...options } = config;
      return respFramer(options);
    }
    case "custom":
      return loadCustomFramer(config.module, config.options, baseDir);
    default:
      return invalidOption("kind", `one of ${FRAMER_KINDS.map((k) => `"${k}"`).join(", ")}`, (config as { kind?: unknown }).kind);
  }
}

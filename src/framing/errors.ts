/**
 * FramerErrorCode names what went wrong while building a framer. Callers branch on
 * the code; the message is for people.
 */
export type FramerErrorCode =
  | "FRAMER_OPTION_INVALID" // an option has the wrong type or is out of range
  | "FRAMER_MODULE_NOT_FOUND" // a custom framer's module path does not exist
  | "FRAMER_MODULE_LOAD_FAILED" // the module exists but importing it threw
  | "FRAMER_MODULE_NO_EXPORT" // the module exports neither createFramer nor a default function
  | "FRAMER_MODULE_BAD_SHAPE"; // createFramer threw or returned something that is not a FrameScanner

/**
 * FramerError is returned (never thrown) by the framer constructors, so a config
 * loader can collect every problem at once. Option errors name the option as
 * `lengthBytes: expected 1, 2, 4 or 8, got 3`; the loader prefixes its key path.
 */
export class FramerError extends Error {
  override readonly name = "FramerError";
  constructor(
    readonly code: FramerErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** describeValue renders a config value for an error message: strings quoted, the rest as JSON. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || value == null) return String(value);
  if (value instanceof Uint8Array) return `Uint8Array(${value.byteLength})`;
  try {
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return typeof value;
  }
}

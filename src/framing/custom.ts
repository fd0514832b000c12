import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { describeValue, FramerError } from "./errors.ts";
import { type FrameScanner, type FramerFactory, INVALID, NEED_MORE } from "./framer.ts";

/** The function a custom framer module exports, as `createFramer` or as its default export. */
export type CreateFramer = (options: unknown) => FrameScanner;

/**
 * loadCustomFramer imports a user module that exports `createFramer(options)` (or a
 * default function) returning a FrameScanner, and returns a factory for it. A
 * relative path is resolved against baseDir (the config loader should pass the
 * config file's directory). Failures are returned, not thrown, as a FramerError
 * whose code says what was wrong and whose message names the module path.
 *
 * createFramer is called once here as a probe, so a wrong shape is reported at load
 * time instead of on the first pooled connection. Modules are cached by the
 * runtime: loading the same path again does not re-read a changed file.
 */
export async function loadCustomFramer(
  modulePath: string,
  options: unknown,
  baseDir: string = process.cwd(),
): Promise<FramerFactory | FramerError> {
  if (typeof modulePath !== "string" || modulePath === "") {
    const found = describeValue(modulePath);
    return new FramerError("FRAMER_OPTION_INVALID", `module: expected a path to a TypeScript or JavaScript module, got ${found}`);
  }
  const path = resolve(baseDir, modulePath);
  const where = `custom framer module ${path}`;
  if (!existsSync(path)) {
    const how = `module: ${JSON.stringify(modulePath)}, resolved against ${baseDir}`;
    return new FramerError("FRAMER_MODULE_NOT_FOUND", `${where}: file not found (${how})`);
  }
  let exports: Record<string, unknown>;
  try {
    exports = (await import(path)) as Record<string, unknown>;
  } catch (cause) {
    return new FramerError("FRAMER_MODULE_LOAD_FAILED", `${where}: import failed: ${messageOf(cause)}`, { cause });
  }
  const create = typeof exports.createFramer === "function" ? exports.createFramer : exports.default;
  if (typeof create !== "function") {
    const names = Object.keys(exports).join(", ") || "none";
    return new FramerError(
      "FRAMER_MODULE_NO_EXPORT",
      `${where}: expected an exported function createFramer(options) or a default export function, found exports: ${names}`,
    );
  }
  const probe = instantiate(create as CreateFramer, options);
  if (typeof probe === "string") {
    return new FramerError("FRAMER_MODULE_BAD_SHAPE", `${where}: createFramer(options) ${probe}`);
  }
  return new CustomFramerFactory(create as CreateFramer, options);
}

/** CustomFramerFactory wraps every scanner it makes in a GuardedScanner. */
class CustomFramerFactory implements FramerFactory {
  constructor(
    private readonly createFramer: CreateFramer,
    private readonly options: unknown,
  ) {}

  create(): FrameScanner {
    const made = instantiate(this.createFramer, this.options);
    // A scanner that cannot be made answers INVALID and keeps the reason, rather than throwing into the pool.
    if (typeof made === "string") return new GuardedScanner(null, new Error(`createFramer(options) ${made}`));
    return new GuardedScanner(made, null);
  }
}

/** instantiate calls createFramer and returns the scanner, or a description of what was wrong with it. */
function instantiate(create: CreateFramer, options: unknown): FrameScanner | string {
  let scanner: unknown;
  try {
    scanner = create(options);
  } catch (cause) {
    return `threw: ${messageOf(cause)}`;
  }
  if (typeof scanner !== "object" || scanner === null) return `returned ${describeValue(scanner)}, expected a FrameScanner object`;
  const s = scanner as Record<string, unknown>;
  if (typeof s.then === "function") return "returned a Promise; createFramer must return the scanner synchronously";
  if (typeof s.feed !== "function") return "returned an object without a feed(buf, start, end) method";
  if (typeof s.reset !== "function") return "returned an object without a reset() method";
  if (typeof s.pending !== "number") return `returned an object whose pending is ${describeValue(s.pending)}, expected a number`;
  return scanner as FrameScanner;
}

/**
 * GuardedScanner holds user code to the FrameScanner contract, because a custom
 * framer's bug must cost one connection, not the proxy: a throw or a return value
 * outside {NEED_MORE, INVALID, start < i <= end} becomes INVALID, and `fault` keeps
 * what happened for the log. The guard costs one call and a try per feed, not per byte.
 */
export class GuardedScanner implements FrameScanner {
  constructor(
    private readonly inner: FrameScanner | null,
    /** What the user's scanner did wrong (an Error it threw or one describing a bad result); null while it behaves. */
    public fault: unknown,
  ) {}

  get pending(): number {
    const p = this.inner === null ? 0 : this.inner.pending;
    return typeof p === "number" && p >= 0 ? p : 0;
  }

  feed(buf: Uint8Array, start: number, end: number): number {
    if (this.fault !== null || this.inner === null) return INVALID;
    let result: unknown;
    try {
      result = this.inner.feed(buf, start, end);
    } catch (cause) {
      this.fault = cause;
      return INVALID;
    }
    if (result === NEED_MORE || result === INVALID) return result;
    if (typeof result === "number" && Number.isInteger(result) && result > start && result <= end) return result;
    this.fault = new Error(`feed(buf, ${start}, ${end}) returned ${describeValue(result)}, outside the FrameScanner contract`);
    return INVALID;
  }

  reset(): void {
    if (this.inner === null) return;
    try {
      this.inner.reset();
      this.fault = null;
    } catch (cause) {
      this.fault = cause;
    }
  }
}

function messageOf(cause: unknown): string {
  return cause instanceof Error ? cause.message : describeValue(cause);
}

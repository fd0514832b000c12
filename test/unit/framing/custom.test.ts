import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { GuardedScanner, loadCustomFramer } from "../../../src/framing/custom.ts";
import { FramerError } from "../../../src/framing/errors.ts";
import { INVALID, type FramerFactory } from "../../../src/framing/framer.ts";
import { framerConformance } from "./conformance.ts";
import { bytes, framing } from "./harness.ts";

const fixtures = join(import.meta.dir, "fixtures");

async function load(module: string, options: unknown = {}): Promise<FramerFactory> {
  const factory = await loadCustomFramer(module, options, fixtures);
  if (factory instanceof FramerError) throw factory;
  return factory;
}

const netstrings = await load("netstring-framer.ts", { maxPayloadBytes: 100 });
const misbehaving = await load("misbehaving-framer.ts");

framerConformance("the netstring example framer, loaded as a custom module", netstrings, {
  frames: ["5:hello,", "0:,", "12:hello world!,"],
  invalid: "5:hello!",
});

describe("the netstring example framer", () => {
  test("netstrings back to back, with a partial one pending", () => {
    expect(framing(netstrings, "5:hello,0:,3:a,b,2:h")).toEqual({ frames: ["5:hello,", "0:,", "3:a,b,"], rest: "2:h" });
  });

  test("a payload over the module's own option is invalid", () => {
    expect(framing(netstrings, "101:")).toEqual({ frames: [], invalid: true });
  });
});

describe("loadCustomFramer", () => {
  test("accepts a module whose only export is a default function", async () => {
    expect(framing(await load("default-export-framer.ts"), "2:hi,")).toEqual({ frames: ["2:hi,"], rest: "" });
  });

  test("accepts an absolute path whatever the base directory", async () => {
    const factory = await loadCustomFramer(join(fixtures, "netstring-framer.ts"), {}, "/nonexistent");
    expect(factory).not.toBeInstanceOf(Error);
  });

  test("a missing file is FRAMER_MODULE_NOT_FOUND, naming the resolved path", async () => {
    const error = await loadCustomFramer("missing-framer.ts", {}, fixtures);
    expect(error).toBeInstanceOf(FramerError);
    expect(error).toMatchObject({ code: "FRAMER_MODULE_NOT_FOUND" });
    expect((error as FramerError).message).toStartWith(`custom framer module ${join(fixtures, "missing-framer.ts")}: file not found`);
  });

  test("a module without createFramer or a default export is FRAMER_MODULE_NO_EXPORT, listing what it exports", async () => {
    expect(await loadCustomFramer("no-export-framer.ts", {}, fixtures)).toMatchObject({
      code: "FRAMER_MODULE_NO_EXPORT",
      message: `custom framer module ${join(fixtures, "no-export-framer.ts")}: expected an exported function createFramer(options) or a default export function, found exports: netstrings`,
    });
  });

  test("a scanner without reset() is FRAMER_MODULE_BAD_SHAPE", async () => {
    expect(await loadCustomFramer("bad-shape-framer.ts", {}, fixtures)).toMatchObject({
      code: "FRAMER_MODULE_BAD_SHAPE",
      message: `custom framer module ${join(fixtures, "bad-shape-framer.ts")}: createFramer(options) returned an object without a reset() method`,
    });
  });

  test("an async createFramer is FRAMER_MODULE_BAD_SHAPE, saying it must be synchronous", async () => {
    expect(await loadCustomFramer("async-framer.ts", {}, fixtures)).toMatchObject({
      code: "FRAMER_MODULE_BAD_SHAPE",
      message: `custom framer module ${join(fixtures, "async-framer.ts")}: createFramer(options) returned a Promise; createFramer must return the scanner synchronously`,
    });
  });

  test("a module that throws while importing is FRAMER_MODULE_LOAD_FAILED, with the cause", async () => {
    const error = await loadCustomFramer("throwing-framer.ts", {}, fixtures);
    expect(error).toMatchObject({ code: "FRAMER_MODULE_LOAD_FAILED" });
    expect((error as FramerError).message).toEndWith("import failed: boom at import");
  });

  test("an empty module path is an option error", async () => {
    expect(await loadCustomFramer("", {})).toMatchObject({ code: "FRAMER_OPTION_INVALID" });
  });
});

describe("GuardedScanner holds custom framers to the contract", () => {
  test("a throw becomes INVALID, and the error is kept as the fault", () => {
    const s = misbehaving.create() as GuardedScanner;
    expect(s.feed(bytes("a!"), 0, 2)).toBe(1);
    expect(s.feed(bytes("a!"), 1, 2)).toBe(INVALID);
    expect(s.fault).toBeInstanceOf(Error);
    expect((s.fault as Error).message).toBe("bang");
  });

  test("an index outside (start, end] becomes INVALID, and reset() clears the fault", () => {
    const s = misbehaving.create() as GuardedScanner;
    expect(s.feed(bytes("?"), 0, 1)).toBe(INVALID);
    expect((s.fault as Error).message).toBe("feed(buf, 0, 1) returned 0, outside the FrameScanner contract");
    expect(s.feed(bytes("a"), 0, 1)).toBe(INVALID); // sticky
    s.reset();
    expect(s.fault).toBeNull();
    expect(s.feed(bytes("a"), 0, 1)).toBe(1);
  });
});

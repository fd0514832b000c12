import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createFramerFactory, type FramerConfig, FramerError } from "../../../src/framing/index.ts";
import { framing } from "./harness.ts";
import { DEFAULTS } from "../../../src/defaults.ts";

describe("createFramerFactory", () => {
  const configs: [FramerConfig, string][] = [
    [{ kind: "length", lengthBytes: 1 }, "\x02hi"],
    [{ kind: "delimiter", delimiter: "\n" }, "line\n"],
    [{ kind: "resp" }, "*1\r\n$4\r\nPING\r\n"],
    [{ kind: "resp", maxFrameBytes: Infinity, inline: false }, "+OK\r\n"],
    [{ kind: "custom", module: join(import.meta.dir, "fixtures", "netstring-framer.ts") }, "2:hi,"],
  ];
  for (const [config, frame] of configs) {
    test(`builds a ${config.kind} framer from ${JSON.stringify(config)}`, async () => {
      const factory = await createFramerFactory(config);
      if (factory instanceof Error) throw factory;
      expect(framing(factory, frame)).toEqual({ frames: [frame], rest: "" });
    });
  }

  test("resolves a relative custom module against baseDir", async () => {
    const factory = await createFramerFactory({ kind: "custom", module: "fixtures/netstring-framer.ts" }, import.meta.dir);
    expect(factory).not.toBeInstanceOf(Error);
  });

  test("returns option errors instead of throwing them", async () => {
    expect(await createFramerFactory({ kind: "delimiter", delimiter: "" })).toBeInstanceOf(FramerError);
  });

  test("rejects an unknown kind, listing the known ones", async () => {
    expect(await createFramerFactory({ kind: "http" } as unknown as FramerConfig)).toMatchObject({
      code: "FRAMER_OPTION_INVALID",
      message: 'kind: expected one of "length", "delimiter", "resp", "custom", got "http"',
    });
  });

  test("every built-in framer accepts its own defaults", async () => {
    for (const kind of ["length", "delimiter", "resp"] as const) {
      const config = { kind, ...DEFAULTS.framer[kind] } as FramerConfig;
      expect(await createFramerFactory(config)).not.toBeInstanceOf(Error);
    }
  });
});

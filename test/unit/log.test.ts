import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigErrors } from "../../src/errors.ts";
import { logFileProblem } from "../../src/log-file.ts";
import { Logger } from "../../src/log.ts";

const dir = mkdtempSync(join(tmpdir(), "warren-log-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const msgs = (path: string) =>
  readFileSync(path, "utf8")
    .trimEnd()
    .split("\n")
    .map((l) => (JSON.parse(l) as { msg: string }).msg);

describe("Logger with a log file", () => {
  test("appends (format auto: JSON, a file is no terminal), keeps what was there, and reopens the path after a rename", () => {
    const path = join(dir, "a.log");
    writeFileSync(path, `{"msg":"old"}\n`);
    const sink: string[] = [];
    const log = new Logger("info", "auto", (l) => sink.push(l), true);
    expect(log.apply({ level: "info", format: "auto", file: path })).toBeNull();
    expect(log.json).toBe(true);
    log.info("one");
    renameSync(path, `${path}.1`);
    log.info("two"); // still the renamed file: it is open
    expect(log.reopen()).toBeNull();
    log.info("three");
    expect(msgs(`${path}.1`)).toEqual(["old", "one", "two"]);
    expect(msgs(path)).toEqual(["three"]);
    expect(sink).toEqual([]);
    log.close();
  });

  test("apply switches files and back to the sink; a file that cannot be opened leaves the output as it was", () => {
    const sink: string[] = [];
    const log = new Logger("info", "json", (l) => sink.push(l), false);
    const a = join(dir, "switch-a.log");
    expect(log.apply({ level: "info", format: "json", file: a })).toBeNull();
    log.info("to a");
    expect(log.apply({ level: "warn", format: "json", file: join(dir, "missing-dir", "b.log") })).toBe(
      `cannot append to "${join(dir, "missing-dir", "b.log")}": ENOENT (no such directory)`,
    );
    log.info("dropped by the level");
    log.warn("still to a");
    expect(log.filePath).toBe(a);
    expect(log.apply({ level: "info", format: "json", file: null })).toBeNull();
    log.info("to the sink");
    expect(msgs(a)).toEqual(["to a", "still to a"]);
    expect(sink.map((l) => JSON.parse(l).msg)).toEqual(["to the sink"]);
  });

  test("a write that fails loses the line and says so once, on the sink, in the configured format", () => {
    const sink: string[] = [];
    const log = new Logger("info", "json", (l) => sink.push(l), false);
    expect(log.apply({ level: "info", format: "json", file: "/dev/full" })).toBeNull(); // every write: ENOSPC
    log.info("lost 1");
    log.info("lost 2");
    expect(sink.map((l) => JSON.parse(l))).toEqual([
      { time: expect.any(String), level: "warn", msg: "cannot write to log file /dev/full (ENOSPC); lines are lost until it works again" },
    ]);
    log.close();
  });

  test("fromConfig throws ConfigErrors naming log.file when the file cannot be opened", () => {
    const path = join(dir, "no", "such", "dir.log");
    expect(() => Logger.fromConfig({ level: "info", format: "auto", file: path }, "w.toml")).toThrow(ConfigErrors);
    try {
      Logger.fromConfig({ level: "info", format: "auto", file: path }, "w.toml");
    } catch (err) {
      expect((err as ConfigErrors).message).toBe(`w.toml: log.file: cannot append to "${path}": ENOENT (no such directory)`);
    }
  });
});

describe("logFileProblem: what --check can tell without creating the file", () => {
  test("a writable file, or a missing one in a writable directory, is fine", () => {
    expect(logFileProblem(join(dir, "a-new.log"))).toBeNull();
    expect(logFileProblem("/dev/null")).toBeNull();
  });

  test.each([
    ["a directory", () => dir, (p: string) => `cannot append to "${p}": it is a directory`],
    ["a missing directory", () => join(dir, "nope", "w.log"), (p: string) => `cannot create "${p}": no directory ${join(dir, "nope")}`],
    [
      "a file as the directory",
      () => join("/dev/null", "w.log"),
      (p: string) => `cannot append to "${p}": ENOTDIR (a part of the path is not a directory)`,
    ],
  ])("%s", (_what, path, message) => {
    expect(logFileProblem(path())).toBe(message(path()));
  });

  test("a read-only file or directory (unless root, who may write anyway)", () => {
    const ro = join(dir, "ro");
    mkdirSync(ro);
    chmodSync(ro, 0o555);
    const expected = process.getuid?.() === 0 ? null : `cannot create "${join(ro, "w.log")}": EACCES (permission denied)`;
    expect(logFileProblem(join(ro, "w.log"))).toBe(expected);
    chmodSync(ro, 0o755);
  });
});

/**
 * Syntax errors name FILE:LINE:COL and show the line with a caret under the
 * column. Neither parser gives a position itself (see src/config/syntax-error.ts);
 * these tests pin where the positions come from, so a Bun upgrade that changes
 * it fails here rather than silently losing positions.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readConfigInput } from "../../../src/config/load.ts";
import { jsonErrorOffset, lineAt } from "../../../src/config/syntax-error.ts";
import { ConfigErrors } from "../../../src/errors.ts";

const dir = mkdtempSync(join(tmpdir(), "warren-syntax-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function messageOf(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await Bun.write(path, text);
  const result = await readConfigInput(path);
  if (!(result instanceof ConfigErrors)) throw new Error("expected a syntax error");
  return result.message.replaceAll(dir, "DIR");
}

describe("TOML", () => {
  test.each([
    [
      "an unterminated string: the caret under its opening quote",
      `[log]\nlevel = "info\n\n[[listeners]]\n`,
      [`DIR/t.toml:2:9: invalid TOML: Unterminated string; newlines must be escaped in basic strings`, `  level = "info`, `          ^`],
    ],
    [
      "a key set twice: the second one",
      `[[listeners]]\nlisten = "127.0.0.1:0"\nlisten = "127.0.0.1:1"\n`,
      [`DIR/t.toml:3:1: invalid TOML: Cannot redefine key 'listen'`, `  listen = "127.0.0.1:1"`, `  ^`],
    ],
    [
      "an unclosed table header",
      `[[listeners]\nbackends = []\n`,
      [
        `DIR/t.toml:1:13: invalid TOML: Expected ']]' to close an array-of-tables header but found (0x0A)`,
        `  [[listeners]`,
        `              ^`,
      ],
    ],
    [
      "a tab before the error keeps the caret aligned",
      `\tport = \n`,
      [`DIR/t.toml:1:8: invalid TOML: Missing value after '='; values must be on the same line`, `  \tport = `, `  \t      ^`],
    ],
    [
      "columns count characters, not UTF-8 bytes",
      `name = "wörld" x = 1\n`,
      [
        `DIR/t.toml:1:15: invalid TOML: Expected a newline or end of file after a key/value pair`,
        `  name = "wörld" x = 1`,
        `                ^`,
      ],
    ],
    [
      "CRLF line ends",
      `[log]\r\nlevel = "info\r\n`,
      [`DIR/t.toml:2:9: invalid TOML: Unterminated string; newlines must be escaped in basic strings`, `  level = "info`, `          ^`],
    ],
  ])("%s", async (_what, text, lines) => {
    expect((await messageOf("t.toml", text)).split("\n")).toEqual(lines);
  });

  test("Bun's TOML loader reports the position on the error it throws (what the caret relies on)", async () => {
    const path = join(dir, "pin.toml");
    await Bun.write(path, `a = 1\nb = "x\n`);
    const err = await import(path, { with: { type: "toml" } }).then(
      () => null,
      (e: unknown) => e,
    );
    expect((err as { position?: unknown }).position).toMatchObject({ line: 2, column: 5, lineText: `b = "x` });
  });

  test("a file whose path cannot be imported still gets its message, without a position", async () => {
    expect(await messageOf("what?.toml", `a = "x\n`)).toBe(
      `DIR/what?.toml: invalid TOML: Unterminated string; newlines must be escaped in basic strings`,
    );
  });
});

describe("JSON", () => {
  test.each([
    [
      "a trailing comma",
      `{\n  "listeners": [\n    {"listen": "a",}\n  ]\n}\n`,
      [`DIR/j.json:3:20: invalid JSON: Property name must be a string literal`, `      {"listen": "a",}`, `                     ^`],
    ],
    [
      "an unterminated string: at its opening quote",
      `{"a": "abc\n}`,
      [`DIR/j.json:1:7: invalid JSON: Unterminated string`, `  {"a": "abc`, `        ^`],
    ],
    [
      "the end of the file: after the last thing written",
      `{"listeners": [\n\n`,
      [`DIR/j.json:1:16: invalid JSON: Unexpected EOF`, `  {"listeners": [`, `                 ^`],
    ],
    ["a leading zero", `{"a": 01}`, [`DIR/j.json:1:8: invalid JSON: Expected '}'`, `  {"a": 01}`, `         ^`]],
  ])("%s", async (_what, text, lines) => {
    expect((await messageOf("j.json", text)).split("\n")).toEqual(lines);
  });

  test("the scanner agrees with JSON.parse on what is valid, for every mutation of a config", () => {
    const base = JSON.stringify(
      {
        log: { level: "info" },
        listeners: [
          { listen: "127.0.0.1:0", backends: ["a:1", { address: "b:2", weight: -1.5e3 }], x: [true, false, null, "\u00e9\\n\\u0041"] },
        ],
      },
      null,
      1,
    );
    const junk = ['"', ",", "}", "]", "{", "[", ":", "0", "-", ".", "e", "\\", "\n", "x", " ", "\u0001", "t", "n"];
    let checked = 0;
    for (let i = 0; i <= base.length; i++) {
      for (const j of [...junk, ""]) {
        for (const text of [base.slice(0, i) + j + base.slice(i), base.slice(0, i) + j + base.slice(i + 1)]) {
          let valid = true;
          try {
            JSON.parse(text);
          } catch {
            valid = false;
          }
          const offset = jsonErrorOffset(text);
          if ((offset === null) !== valid) throw new Error(`disagrees on ${JSON.stringify(text)} (offset ${offset})`);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(5000);
  });

  test("nesting too deep for the scanner's stack gives no position rather than a crash", () => {
    expect(jsonErrorOffset("[".repeat(1_000_000))).toBeNull();
  });
});

test("lineAt: 1-based line and column, the line without its CR", () => {
  expect(lineAt("ab\r\ncd\nef", 5)).toEqual({ line: 2, column: 2, lineText: "cd" });
  expect(lineAt("ab", 0)).toEqual({ line: 1, column: 1, lineText: "ab" });
  expect(lineAt("ab\n", 3)).toEqual({ line: 2, column: 1, lineText: "" });
});

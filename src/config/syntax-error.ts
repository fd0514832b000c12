import { resolve } from "node:path";
import { ConfigError, ConfigErrors } from "../errors.ts";

/**
 * Neither Bun.TOML.parse nor JSON.parse says where a syntax error is: the
 * SyntaxError's `line`/`column` are those of the JavaScript call site. So the
 * position is found separately — for JSON by a small scanner of RFC 8259's
 * grammar, for TOML by asking Bun's module loader, whose TOML parser (the same
 * one, same messages) reports `position` on the error it throws — and printed
 * as FILE:LINE:COL with the offending line and a caret under the column.
 * When no position can be found, the message is printed without one.
 */
export async function syntaxError(path: string, text: string, kind: "TOML" | "JSON", err: unknown): Promise<ConfigErrors> {
  const reason = String((err as Error)?.message ?? err).replace(/^(TOML|JSON) Parse error: /, "");
  const offset = kind === "JSON" ? jsonErrorOffset(text) : await tomlErrorOffset(path, text);
  if (offset === null) return new ConfigErrors([new ConfigError("", `invalid ${kind}: ${reason}`)], path);
  // "Unexpected end" is shown after the last thing written, not on the empty line after it.
  const { line, column, lineText } = lineAt(text, Math.min(offset, text.trimEnd().length));
  const caret = `${lineText.slice(0, column - 1).replace(/[^\t]/g, " ")}^`;
  return new ConfigErrors([new ConfigError("", `invalid ${kind}: ${reason}\n  ${lineText}\n  ${caret}`)], `${path}:${line}:${column}`);
}

/** lineAt turns a character offset into a 1-based line and column, with that line's text. */
export function lineAt(text: string, offset: number): { line: number; column: number; lineText: string } {
  const at = Math.min(Math.max(offset, 0), text.length);
  const start = text.lastIndexOf("\n", at - 1) + 1;
  let end = text.indexOf("\n", at);
  if (end < 0) end = text.length;
  let line = 1;
  for (let i = text.indexOf("\n"); i >= 0 && i < start; i = text.indexOf("\n", i + 1)) line++;
  return { line, column: at - start + 1, lineText: text.slice(start, end).replace(/\r$/, "") };
}

/**
 * tomlErrorOffset imports the file through Bun's TOML loader, which throws a
 * BuildMessage with `position` ({ line, column, lineText }, column 1-based and
 * counted in UTF-8 bytes). Failed imports are not cached, so every call reads
 * the file again. If the file changed in between (its line differs from
 * `text`'s), or the import succeeds, there is no position to give.
 */
async function tomlErrorOffset(path: string, text: string): Promise<number | null> {
  let position: { line?: unknown; column?: unknown; lineText?: unknown } | null | undefined;
  try {
    // Absolute: a relative specifier would be resolved against this module. (A path with "?" in it
    // cannot be imported at all: Bun reads it as a query; such a file gets no position.)
    await import(resolve(path), { with: { type: "toml" } });
    return null;
  } catch (err) {
    position = (err as { position?: typeof position }).position;
  }
  if (position === undefined || position === null || typeof position.line !== "number" || typeof position.column !== "number") return null;
  const lines = text.split("\n");
  const lineText = lines[position.line - 1]?.replace(/\r$/, "");
  if (lineText === undefined || lineText !== position.lineText) return null;
  const bytes = Buffer.from(lineText);
  const column = Buffer.from(bytes.subarray(0, Math.max(0, position.column - 1))).toString().length;
  let offset = 0;
  for (let i = 0; i < position.line - 1; i++) offset += lines[i]!.length + 1;
  return offset + column;
}

/**
 * jsonErrorOffset returns the offset of the first character JSON's grammar
 * does not allow there (the text's length if it ends too soon), or null if the
 * text is valid JSON. An unterminated string is placed at its opening quote.
 */
export function jsonErrorOffset(text: string): number | null {
  try {
    let i = value(text, skip(text, 0));
    i = skip(text, i);
    return i === text.length ? null : i;
  } catch (err) {
    if (err instanceof JsonSyntax) return err.offset;
    return null; // e.g. nesting deep enough to exhaust the stack: no position rather than a crash
  }
}

class JsonSyntax {
  constructor(readonly offset: number) {}
}

function skip(t: string, i: number): number {
  while (i < t.length && (t[i] === " " || t[i] === "\t" || t[i] === "\n" || t[i] === "\r")) i++;
  return i;
}

function value(t: string, i: number): number {
  const c = t[i];
  if (c === "{") return container(t, i, "}", true);
  if (c === "[") return container(t, i, "]", false);
  if (c === '"') return string(t, i);
  for (const word of ["true", "false", "null"]) if (t.startsWith(word, i)) return i + word.length;
  const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(t.slice(i, i + 400));
  if (m === null) throw new JsonSyntax(i);
  return i + m[0].length;
}

function container(t: string, i: number, close: string, object: boolean): number {
  i = skip(t, i + 1);
  if (t[i] === close) return i + 1;
  for (;;) {
    if (object) {
      if (t[i] !== '"') throw new JsonSyntax(i);
      i = skip(t, string(t, i));
      if (t[i] !== ":") throw new JsonSyntax(i);
      i = skip(t, i + 1);
    }
    i = skip(t, value(t, i));
    if (t[i] === close) return i + 1;
    if (t[i] !== ",") throw new JsonSyntax(i);
    i = skip(t, i + 1);
  }
}

function string(t: string, open: number): number {
  for (let i = open + 1; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c < 0x20) throw new JsonSyntax(c === 0x0a ? open : i); // a raw newline: the string was never closed
    if (c === 0x5c) {
      const e = t[i + 1];
      if (e === "u") {
        if (!/^[0-9a-fA-F]{4}$/.test(t.slice(i + 2, i + 6))) throw new JsonSyntax(i);
        i += 5;
      } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i++;
      else throw new JsonSyntax(i);
    }
  }
  throw new JsonSyntax(open);
}

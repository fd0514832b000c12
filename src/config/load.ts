import { type Stats, statSync } from "node:fs";
import { ConfigError, ConfigErrors } from "../errors.ts";
import type { WarrenConfig } from "./schema.ts";
import { syntaxError } from "./syntax-error.ts";
import { validateConfig } from "./validate.ts";
import { DEFAULTS } from "../defaults.ts";

/** The built-in config: one listener on DEFAULTS.listen forwarding to DEFAULTS.backend. */
export function defaultConfigInput(): Record<string, unknown> {
  return { listeners: [{ listen: DEFAULTS.listenAddress, backends: [DEFAULTS.backendAddress] }] };
}

/**
 * loadConfigFile reads a TOML or JSON file (by extension; TOML otherwise) and
 * validates it. Every failure comes back as ConfigErrors naming the file.
 */
export async function loadConfigFile(path: string): Promise<WarrenConfig | ConfigErrors> {
  const input = await readConfigInput(path);
  if (input instanceof ConfigErrors) return input;
  return validateConfig(input, path);
}

/** readConfigInput parses the file without validating it, so flags can be merged in first. */
export async function readConfigInput(path: string): Promise<unknown | ConfigErrors> {
  let text: string;
  try {
    // Only a regular file: reading a FIFO blocks until a writer comes (the start hung), and a
    // device or a directory is never a config.
    const kind = fileKind(statSync(path));
    if (kind !== "file") return new ConfigErrors([new ConfigError("", `not a regular file (${kind}); the config must be a file`)], path);
    text = await Bun.file(path).text();
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why = code === "ENOENT" ? "file not found" : `cannot read file (${code ?? String(err)})`;
    return new ConfigErrors([new ConfigError("", why)], path);
  }
  const kind = path.endsWith(".json") ? "JSON" : "TOML";
  try {
    return kind === "JSON" ? JSON.parse(text) : Bun.TOML.parse(text);
  } catch (err) {
    return syntaxError(path, text, kind, err);
  }
}

function fileKind(st: Stats): string {
  if (st.isFile()) return "file";
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a FIFO";
  if (st.isSocket()) return "a socket";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  return "not a file";
}

import { ConfigError, ConfigErrors } from "../errors.ts";
import type { WarrenConfig } from "./schema.ts";
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
    text = await Bun.file(path).text();
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why = code === "ENOENT" ? "file not found" : `cannot read file (${code ?? String(err)})`;
    return new ConfigErrors([new ConfigError("", why)], path);
  }
  try {
    return path.endsWith(".json") ? JSON.parse(text) : Bun.TOML.parse(text);
  } catch (err) {
    const kind = path.endsWith(".json") ? "JSON" : "TOML";
    return new ConfigErrors([new ConfigError("", `invalid ${kind}: ${(err as Error).message}`)], path);
  }
}

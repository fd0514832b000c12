import { ConfigError, ConfigErrors } from "../errors.ts";
import {
  type BackendTls,
  type BackendTlsConfig,
  loadBackendTls,
  loadServerTls,
  type ServerTls,
  type TlsConfig,
  type TlsProblem,
} from "./tls-context.ts";

/*
 * Validation loads a config's certificates (so --check, a start and a reload catch a bad file with its
 * key path) and keeps what it loaded here, keyed by the config's own table: the listener then uses the
 * very contexts that were checked, and each reload, which validates a freshly read config, reads the
 * files again. A table validation did not see (a worker's copy) is loaded on first use.
 */
const servers = new WeakMap<TlsConfig, ServerTls>();
const backends = new WeakMap<BackendTlsConfig, BackendTls>();

/** checkServerTls loads a listener's `tls` files and keeps them for it; the problems, if any, name their keys. */
export function checkServerTls(cfg: TlsConfig): readonly TlsProblem[] {
  const loaded = loadServerTls(cfg);
  if (Array.isArray(loaded)) return loaded;
  servers.set(cfg, loaded);
  return [];
}

export function checkBackendTls(cfg: BackendTlsConfig): readonly TlsProblem[] {
  const loaded = loadBackendTls(cfg);
  if (Array.isArray(loaded)) return loaded;
  backends.set(cfg, loaded);
  return [];
}

/** serverTlsOf is the loaded certificates of a validated `tls` table; throws ConfigErrors if its files went bad since. */
export function serverTlsOf(cfg: TlsConfig): ServerTls {
  const kept = servers.get(cfg);
  if (kept !== undefined) return kept;
  const loaded = loadServerTls(cfg);
  if (Array.isArray(loaded)) throw problemsError(loaded, "tls");
  servers.set(cfg, loaded);
  return loaded;
}

export function backendTlsOf(cfg: BackendTlsConfig): BackendTls {
  const kept = backends.get(cfg);
  if (kept !== undefined) return kept;
  const loaded = loadBackendTls(cfg);
  if (Array.isArray(loaded)) throw problemsError(loaded, "backendTls");
  backends.set(cfg, loaded);
  return loaded;
}

function problemsError(problems: readonly TlsProblem[], table: string): ConfigErrors {
  return new ConfigErrors(problems.map((p) => new ConfigError(`${table}.${p.key}`, p.problem)));
}

import type { BackendTlsConfig, TlsCertConfig, TlsConfig } from "./schema.ts";
import { describe, join, type Reader } from "./reader.ts";
import { readPattern } from "./validate-routes.ts";
import { checkBackendTls, checkServerTls } from "../edge/tls-load.ts";
import { DEFAULTS } from "../defaults.ts";

/** The listener keys read here: TLS from clients (`tls`) and to backends (`backendTls`). */
export const TLS_LISTENER_KEYS = ["tls", "backendTls"] as const;
const TLS_KEYS = ["cert", "key", "certs", "minVersion", "alpn", "clientCa", "requireClientCert", "handshakeTimeoutMs"] as const;
const CERT_KEYS = ["serverName", "cert", "key"] as const;
const BACKEND_TLS_KEYS = ["enabled", "ca", "serverName", "verify", "cert", "key"] as const;

export interface TlsSettings {
  tls: TlsConfig | null;
  backendTls: BackendTlsConfig | null;
}

/**
 * readTlsSettings validates `tls` and `backendTls`, and loads their certificate files: a file that
 * cannot be read, is not PEM, or a key that is not its certificate's, is a config error with its key
 * path (so `--check`, a start and a SIGHUP all refuse it before anything changes).
 */
export function readTlsSettings(r: Reader, obj: Record<string, unknown>, path: string): TlsSettings {
  return {
    tls: obj.tls === undefined ? null : readTls(r, obj, join(path, "tls")),
    backendTls: obj.backendTls === undefined ? null : readBackendTls(r, obj, join(path, "backendTls")),
  };
}

function readTls(r: Reader, listener: Record<string, unknown>, path: string): TlsConfig | null {
  const T = DEFAULTS.tls;
  const obj = r.object(listener.tls, path, TLS_KEYS);
  if (obj === undefined) return null;
  const before = r.errors.length;
  if (listener.proxyProtocol !== undefined) {
    r.fail(
      path,
      "cannot be combined with proxyProtocol yet: the PROXY header and the ClientHello often arrive in one read, and Bun's upgradeTLS cannot be handed bytes already read, so the start of the handshake would be lost; put the TLS terminator in front (it knows the client address) or drop proxyProtocol",
    );
  }
  const cert = required(r, obj, "cert", path);
  const key = required(r, obj, "key", path);
  const certs: TlsCertConfig[] = [];
  if (obj.certs !== undefined) {
    if (!Array.isArray(obj.certs))
      r.fail(join(path, "certs"), `expected a list of { serverName, cert, key } tables, got ${describe(obj.certs)}`);
    else {
      obj.certs.forEach((value, i) => {
        const p = join(join(path, "certs"), i);
        const c = r.object(value, p, CERT_KEYS);
        if (c === undefined) return;
        const serverName = readPattern(r, c.serverName, join(p, "serverName"));
        const cc = required(r, c, "cert", p);
        const ck = required(r, c, "key", p);
        if (serverName !== undefined && cc !== null && ck !== null) certs.push({ serverName, cert: cc, key: ck });
      });
    }
  }
  const alpn: string[] = [];
  if (obj.alpn !== undefined) {
    if (!Array.isArray(obj.alpn))
      r.fail(join(path, "alpn"), `expected a list of protocol names like ["h2", "http/1.1"], got ${describe(obj.alpn)}`);
    else {
      obj.alpn.forEach((v, i) => {
        if (typeof v !== "string" || v === "" || Buffer.byteLength(v) > 255)
          return r.fail(join(join(path, "alpn"), i), `expected a protocol name of 1..255 bytes like "h2", got ${describe(v)}`);
        alpn.push(v);
      });
    }
  }
  const clientCa = obj.clientCa === undefined ? null : r.string(obj, "clientCa", path, "") || null;
  const requireClientCert = r.bool(obj, "requireClientCert", path, T.requireClientCert);
  if (requireClientCert && obj.clientCa === undefined)
    r.fail(join(path, "requireClientCert"), "needs clientCa: the CA certificates that client certificates must chain to");
  const tls: TlsConfig = {
    cert: cert ?? "",
    key: key ?? "",
    certs,
    minVersion: r.oneOf(obj, "minVersion", path, T.minVersion, ["TLSv1.2", "TLSv1.3"] as const),
    alpn,
    clientCa,
    requireClientCert,
    handshakeTimeoutMs: r.int(obj, "handshakeTimeoutMs", path, T.handshakeTimeoutMs, 1, 600_000),
  };
  // The files are read only once the table itself is sound: each problem names its key.
  if (r.errors.length === before) for (const p of checkServerTls(tls)) r.fail(join(path, p.key), p.problem);
  return tls;
}

function readBackendTls(r: Reader, listener: Record<string, unknown>, path: string): BackendTlsConfig | null {
  const B = DEFAULTS.backendTls;
  const obj = r.object(listener.backendTls, path, BACKEND_TLS_KEYS);
  if (obj === undefined) return null;
  const before = r.errors.length;
  const enabled = r.bool(obj, "enabled", path, B.enabled);
  const optional = (key: string): string | null => (obj[key] === undefined ? null : r.string(obj, key, path, "") || null);
  const cfg: BackendTlsConfig = {
    enabled,
    ca: optional("ca"),
    serverName: optional("serverName"),
    verify: r.bool(obj, "verify", path, B.verify),
    cert: optional("cert"),
    key: optional("key"),
  };
  if ((cfg.cert === null) !== (cfg.key === null))
    r.fail(
      join(path, cfg.cert === null ? "cert" : "key"),
      `needs ${cfg.cert === null ? "cert" : "key"} beside it: a client certificate is a certificate and its key`,
    );
  if (!enabled) return null;
  if (listener.routes !== undefined && listener.tls === undefined) {
    r.fail(
      path,
      "cannot be combined with routes on a listener without tls: routes then pass the client's own TLS through to the backend, which would be wrapped in warren's; terminate here too (tls), or drop backendTls",
    );
  }
  if (r.errors.length === before) for (const p of checkBackendTls(cfg)) r.fail(join(path, p.key), p.problem);
  return cfg;
}

function required(r: Reader, obj: Record<string, unknown>, key: string, path: string): string | null {
  if (obj[key] === undefined) {
    r.fail(join(path, key), `required: the path of a PEM file`);
    return null;
  }
  return r.string(obj, key, path, "") || null;
}

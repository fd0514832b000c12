import { X509Certificate, createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import tls from "node:tls";

/*
 * Certificates and keys as Bun's TLS layer takes them. What Bun 1.4.4 does (pinned in
 * test/integration/bun-tls.test.ts):
 * - `Bun.listen` takes one `tls` object (an array throws); certificates by SNI exist for Bun.serve only.
 *   Warren terminates with `socket.upgradeTLS(...)` on each accepted plain socket instead, so every
 *   connection takes the listener's certificates as they are at accept (a reload rotates them without
 *   rebinding), and picks one by SNI in the undocumented `serverName(data, name, tlsSocket)` socket
 *   handler, whose return value (a native secure context) replaces the default.
 * - A `secureContext` passed to upgradeTLS must be the native `.context` of tls.createSecureContext().
 *   Made once per certificate per load, not per connection (parsing a key costs ~0.1 ms).
 * - ALPN wants the wire format: each name prefixed by its length.
 */

/** The files of a TLS listener (config/schema.ts TlsConfig: the edge reads no config module, so it names the shape). */
export interface TlsConfig {
  readonly cert: string;
  readonly key: string;
  readonly certs: readonly { readonly serverName: string; readonly cert: string; readonly key: string }[];
  readonly minVersion: "TLSv1.2" | "TLSv1.3";
  readonly alpn: readonly string[];
  readonly clientCa: string | null;
  readonly requireClientCert: boolean;
  readonly handshakeTimeoutMs: number;
}

/** The files and checks of TLS to backends (config/schema.ts BackendTlsConfig). */
export interface BackendTlsConfig {
  readonly ca: string | null;
  readonly serverName: string | null;
  readonly verify: boolean;
  readonly cert: string | null;
  readonly key: string | null;
}

/** A native secure context (what tls.createSecureContext(...).context is; opaque to warren). */
export type NativeContext = object;

/** TlsProblem is one certificate file that cannot be used: the config key it came from, and why. */
export interface TlsProblem {
  readonly key: string;
  readonly problem: string;
}

/** ServerTls is a TLS listener's certificates, loaded: what each new connection's upgradeTLS gets. */
export interface ServerTls {
  /** The options for upgradeTLS's `tls` (default context, ALPN, client-certificate request). */
  readonly options: Record<string, unknown>;
  /** Contexts by exact server name, and by wildcard suffix ("example.com" for "*.example.com"). */
  readonly exact: ReadonlyMap<string, NativeContext>;
  readonly wildcard: ReadonlyMap<string, NativeContext>;
  /** Whether client certificates are asked for (clientCa), and whether one is required. */
  readonly verifyClients: boolean;
  readonly requireClientCert: boolean;
  readonly handshakeTimeoutMs: number;
  /** What was loaded, for the log line that confirms a rotation: each certificate's names, serial and expiry. */
  readonly loaded: readonly LoadedCert[];
}

export interface LoadedCert {
  /** "default", or the `certs` entry's serverName. */
  readonly serverName: string;
  readonly subject: string;
  readonly serial: string;
  readonly notAfter: string;
}

/** contextFor picks the certificate for a client's SNI: exact name, then the one-label wildcard; undefined: the default. */
export function contextFor(t: ServerTls, name: string): NativeContext | undefined {
  const n = name.toLowerCase();
  const exact = t.exact.get(n);
  if (exact !== undefined) return exact;
  const dot = n.indexOf(".");
  return dot < 0 ? undefined : t.wildcard.get(n.slice(dot + 1));
}

/** loadServerTls reads and checks a TLS listener's files; every problem is returned, with its key. */
export function loadServerTls(cfg: TlsConfig): ServerTls | TlsProblem[] {
  const problems: TlsProblem[] = [];
  const clientCa = cfg.clientCa === null ? null : readPem(cfg.clientCa, "clientCa", problems, "CERTIFICATE");
  const base = { minVersion: cfg.minVersion, ...(clientCa === null ? {} : { ca: clientCa }) };
  const loaded: LoadedCert[] = [];
  const main = pair(cfg.cert, cfg.key, "cert", "key", base, problems, "default", loaded);
  const exact = new Map<string, NativeContext>();
  const wildcard = new Map<string, NativeContext>();
  cfg.certs.forEach((c, i) => {
    const ctx = pair(c.cert, c.key, `certs[${i}].cert`, `certs[${i}].key`, base, problems, c.serverName, loaded);
    if (ctx === null) return;
    if (c.serverName.startsWith("*.")) wildcard.set(c.serverName.slice(2), ctx);
    else exact.set(c.serverName, ctx);
  });
  if (problems.length > 0 || main === null) return problems;
  const options: Record<string, unknown> = { secureContext: main };
  if (cfg.alpn.length > 0) options.ALPNProtocols = alpnWire(cfg.alpn);
  // Warren checks the client's certificate itself in the handshake handler, so a refusal is counted
  // as TLS_CLIENT_CERT_REJECTED rather than lost in a generic handshake error.
  if (clientCa !== null) Object.assign(options, { requestCert: true, rejectUnauthorized: false, ca: clientCa });
  return {
    options,
    exact,
    wildcard,
    verifyClients: clientCa !== null,
    requireClientCert: cfg.requireClientCert,
    handshakeTimeoutMs: cfg.handshakeTimeoutMs,
    loaded,
  };
}

/** BackendTls is what a TLS connect to a backend passes to node:tls (plus the name to send, per backend). */
export interface BackendTls {
  readonly options: tls.ConnectionOptions;
  /** The configured name, or null: the backend's own host. */
  readonly serverName: string | null;
  readonly verify: boolean;
}

/**
 * bunConnectTls is the `tls` option of a Bun.connect to `host` (pooled connections): the loaded
 * options, and the SNI to send — the configured name, else the host when it is a name (an IP address
 * is no SNI, RFC 6066). Bun reports an unverified chain as a successful handshake with
 * authorized = false, so the caller checks `authorized` itself when `verify` is on.
 */
export function bunConnectTls(bt: BackendTls, host: string | undefined): Record<string, unknown> {
  const name = bt.serverName ?? (host !== undefined && host !== "" && !/^[\d.]+$|:/.test(host) ? host : undefined);
  return { ...(bt.options as Record<string, unknown>), ...(name === undefined ? {} : { serverName: name }) };
}

/** loadBackendTls reads a listener's backendTls files. */
export function loadBackendTls(cfg: BackendTlsConfig): BackendTls | TlsProblem[] {
  const problems: TlsProblem[] = [];
  const options: tls.ConnectionOptions = { rejectUnauthorized: cfg.verify };
  if (cfg.ca !== null) {
    const ca = readPem(cfg.ca, "ca", problems, "CERTIFICATE");
    if (ca !== null) options.ca = ca;
  }
  if (cfg.cert !== null && cfg.key !== null) {
    const cert = readPem(cfg.cert, "cert", problems, "CERTIFICATE");
    const key = readPem(cfg.key, "key", problems, "PRIVATE KEY");
    if (cert !== null && key !== null && checkPair(cert, key, "cert", "key", problems)) Object.assign(options, { cert, key });
  }
  if (problems.length > 0) return problems;
  return { options, serverName: cfg.serverName, verify: cfg.verify };
}

/** alpnWire is ALPN's wire format: each protocol name prefixed by its length in one byte. */
export function alpnWire(names: readonly string[]): Buffer {
  return Buffer.concat(names.map((n) => Buffer.concat([Buffer.from([Buffer.byteLength(n)]), Buffer.from(n)])));
}

function pair(
  certPath: string,
  keyPath: string,
  certKey: string,
  keyKey: string,
  base: tls.SecureContextOptions,
  problems: TlsProblem[],
  serverName = "",
  loaded: LoadedCert[] = [],
): NativeContext | null {
  const cert = readPem(certPath, certKey, problems, "CERTIFICATE");
  const key = readPem(keyPath, keyKey, problems, "PRIVATE KEY");
  if (cert === null || key === null || !checkPair(cert, key, certKey, keyKey, problems)) return null;
  const x509 = new X509Certificate(cert);
  loaded.push({
    serverName,
    subject: x509.subject.replace(/\n/g, ", "),
    serial: x509.serialNumber,
    notAfter: new Date(x509.validTo).toISOString(),
  });
  try {
    return (tls.createSecureContext({ ...base, cert, key }) as unknown as { context: NativeContext }).context;
  } catch (err) {
    problems.push({ key: certKey, problem: `cannot be used with ${keyKey}: ${(err as Error).message}` });
    return null;
  }
}

/** checkPair parses the certificate and key and checks that the key is the certificate's. */
function checkPair(cert: string, key: string, certKey: string, keyKey: string, problems: TlsProblem[]): boolean {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    problems.push({ key: certKey, problem: `not a valid PEM certificate: ${(err as Error).message}` });
    return false;
  }
  let pk: ReturnType<typeof createPrivateKey>;
  try {
    pk = createPrivateKey(key);
  } catch (err) {
    problems.push({ key: keyKey, problem: `not a valid PEM private key (an encrypted key is not supported): ${(err as Error).message}` });
    return false;
  }
  if (!x509.checkPrivateKey(pk)) {
    problems.push({
      key: keyKey,
      problem: `does not match ${certKey} (${x509.subject.replace(/\n/g, ", ")}): the key is another certificate's`,
    });
    return false;
  }
  return true;
}

/** readPem reads a PEM file and checks it holds a block of the expected kind ("CERTIFICATE", "PRIVATE KEY"). */
function readPem(path: string, key: string, problems: TlsProblem[], kind: string): string | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as { code?: string }).code ?? String(err);
    problems.push({ key, problem: `cannot read ${JSON.stringify(path)} (${code})` });
    return null;
  }
  if (!new RegExp(`-----BEGIN [A-Z ]*${kind}-----`).test(text)) {
    problems.push({ key, problem: `${JSON.stringify(path)} holds no PEM ${kind} block ("-----BEGIN ${kind}-----")` });
    return null;
  }
  return text;
}

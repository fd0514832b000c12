/**
 * A certificate authority made with openssl at test time, and the server and client certificates it
 * issues (SANs for DNS names and IP addresses). Everything lives in one temporary directory that
 * dispose removes.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Issued {
  readonly certPath: string;
  readonly keyPath: string;
  readonly cert: string;
  readonly key: string;
  /** The certificate's serial number, hex upper case (as X509Certificate.serialNumber gives it). */
  readonly serial: string;
}

export interface TestCa extends Issued {
  readonly dir: string;
  /** issue signs a certificate for `names` (DNS names or IP addresses; the first is the CN). */
  issue(names: readonly string[], options?: { client?: boolean; file?: string }): Issued;
  [Symbol.dispose](): void;
}

function openssl(args: string[]): void {
  const r = Bun.spawnSync(["openssl", ...args], { stderr: "pipe", stdout: "pipe" });
  if (r.exitCode !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr.toString()}`);
}

let serials = 0x1000;

function issued(certPath: string, keyPath: string, serial: number): Issued {
  return {
    certPath,
    keyPath,
    cert: readFileSync(certPath, "utf8"),
    key: readFileSync(keyPath, "utf8"),
    serial: serial.toString(16).toUpperCase(),
  };
}

/** A self-signed certificate for `names` (the first is the CN), and its key, as PEM; dispose deletes the files. */
export interface TestCert {
  readonly cert: string;
  readonly key: string;
  readonly certPath: string;
  readonly keyPath: string;
  [Symbol.dispose](): void;
}

/** makeCert makes a self-signed EC P-256 certificate for `names`, valid for a day (no CA: for tests that need only one). */
export function makeCert(names: readonly string[]): TestCert {
  const dir = mkdtempSync(join(tmpdir(), "warren-cert-"));
  const certPath = join(dir, "cert.pem");
  const keyPath = join(dir, "key.pem");
  const san = names.map((n) => `DNS:${n}`).join(",");
  openssl(
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"].concat([
      "-subj",
      `/CN=${names[0]}`,
      "-addext",
      `subjectAltName=${san}`,
      "-keyout",
      keyPath,
      "-out",
      certPath,
    ]),
  );
  return {
    cert: readFileSync(certPath, "utf8"),
    key: readFileSync(keyPath, "utf8"),
    certPath,
    keyPath,
    [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** makeCa makes a self-signed CA named `name` (EC P-256 keys throughout: fast to make and to use). */
export function makeCa(name = "warren test CA"): TestCa {
  const dir = mkdtempSync(join(tmpdir(), "warren-ca-"));
  const caCert = join(dir, "ca.pem");
  const caKey = join(dir, "ca-key.pem");
  const caSerial = ++serials;
  openssl([
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-days",
    "2",
    "-subj",
    `/CN=${name}`,
    "-set_serial",
    `0x${caSerial.toString(16)}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
    "-keyout",
    caKey,
    "-out",
    caCert,
  ]);
  const ca = issued(caCert, caKey, caSerial);
  let n = 0;
  return {
    ...ca,
    dir,
    issue(names, options = {}) {
      const base = join(dir, options.file ?? `leaf-${++n}`);
      const key = `${base}-key.pem`;
      const csr = `${base}.csr`;
      const cert = `${base}.pem`;
      const ext = `${base}.ext`;
      const serial = ++serials;
      const san = names.map((x) => (/^[\d.]+$|:/.test(x) ? `IP:${x}` : `DNS:${x}`)).join(",");
      writeFileSync(
        ext,
        `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=${options.client === true ? "clientAuth" : "serverAuth"}\n`,
      );
      openssl([
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-subj",
        `/CN=${names[0]}`,
        "-keyout",
        key,
        "-out",
        csr,
      ]);
      openssl([
        "x509",
        "-req",
        "-in",
        csr,
        "-CA",
        caCert,
        "-CAkey",
        caKey,
        "-set_serial",
        `0x${serial.toString(16)}`,
        "-days",
        "2",
        "-extfile",
        ext,
        "-out",
        cert,
      ]);
      return issued(cert, key, serial);
    },
    [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }),
  };
}

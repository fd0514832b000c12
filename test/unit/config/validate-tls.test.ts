/**
 * The tls and backendTls tables: every problem with its key path, the certificate files read and
 * checked at validation (unreadable, not PEM, a key that is another certificate's), the combinations
 * that are refused with the reason, and `--check` failing with exit 2 exactly as a start would.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { validateConfig } from "../../../src/config/validate.ts";
import { ConfigErrors } from "../../../src/errors.ts";
import { runWarren } from "../../helpers/cli.ts";
import { makeCa, type Issued, type TestCa } from "../../helpers/tls-certs.ts";

let ca: TestCa;
let a: Issued;
let b: Issued;
let notPem: string;
beforeAll(() => {
  ca = makeCa();
  a = ca.issue(["a.test"]);
  b = ca.issue(["b.test"]);
  notPem = join(ca.dir, "not-pem.txt");
  writeFileSync(notPem, "hello\n");
});
afterAll(() => ca[Symbol.dispose]());

const listener = (fields: Record<string, unknown>) => ({ listeners: [{ listen: "127.0.0.1:0", backends: ["127.0.0.1:9501"], ...fields }] });

function errorsOf(input: unknown): string[] {
  const result = validateConfig(input);
  if (!(result instanceof ConfigErrors)) throw new Error("expected the config to be rejected");
  return result.errors.map((e) => e.message);
}

describe("tls", () => {
  test("a valid table gets its defaults", () => {
    const cfg = validateConfig(listener({ tls: { cert: a.certPath, key: a.keyPath } }));
    if (cfg instanceof ConfigErrors) throw cfg;
    expect(cfg.listeners[0]!.tls).toEqual({
      cert: a.certPath,
      key: a.keyPath,
      certs: [],
      minVersion: "TLSv1.2",
      alpn: [],
      clientCa: null,
      requireClientCert: false,
      handshakeTimeoutMs: 10_000,
    });
  });

  test("files: unreadable, not PEM, and a key that is another certificate's, each with its key path", () => {
    const errors = errorsOf(
      listener({
        tls: {
          cert: a.certPath,
          key: b.keyPath,
          certs: [
            { serverName: "x.test", cert: "/nonexistent/cert.pem", key: a.keyPath },
            { serverName: "y.test", cert: notPem, key: notPem },
          ],
        },
      }),
    );
    expect(errors).toEqual([
      `listeners[0].tls.key: does not match cert (CN=a.test): the key is another certificate's`,
      `listeners[0].tls.certs[0].cert: cannot read "/nonexistent/cert.pem" (ENOENT)`,
      `listeners[0].tls.certs[1].cert: "${notPem}" holds no PEM CERTIFICATE block ("-----BEGIN CERTIFICATE-----")`,
      `listeners[0].tls.certs[1].key: "${notPem}" holds no PEM PRIVATE KEY block ("-----BEGIN PRIVATE KEY-----")`,
    ]);
  });

  test("the table's own keys: required files, names, versions, ALPN, requireClientCert without clientCa", () => {
    expect(
      errorsOf(
        listener({
          tls: {
            certs: [{ serverName: "*.*.test", cert: a.certPath, key: a.keyPath }],
            minVersion: "TLSv1.1",
            alpn: [""],
            requireClientCert: true,
            handshakeTimeout: 5,
          },
        }),
      ),
    ).toEqual([
      `listeners[0].tls.handshakeTimeout: unknown key, did you mean "handshakeTimeoutMs"?`,
      "listeners[0].tls.cert: required: the path of a PEM file",
      "listeners[0].tls.key: required: the path of a PEM file",
      `listeners[0].tls.certs[0].serverName: expected a server name like "a.example.com" or a wildcard like "*.example.com", got "*.*.test": "*" may only stand alone as the first label`,
      `listeners[0].tls.alpn[0]: expected a protocol name of 1..255 bytes like "h2", got ""`,
      "listeners[0].tls.requireClientCert: needs clientCa: the CA certificates that client certificates must chain to",
      `listeners[0].tls.minVersion: expected one of "TLSv1.2", "TLSv1.3", got "TLSv1.1" (did you mean "TLSv1.2"?)`,
    ]);
  });

  test("refused beside proxyProtocol, saying why; beside routes it is valid (routes then go by the terminated handshake's SNI)", () => {
    const errors = errorsOf(listener({ tls: { cert: a.certPath, key: a.keyPath }, proxyProtocol: { trusted: ["127.0.0.1/32"] } }));
    expect(errors.map((e) => e.split(":").slice(0, 2).join(":"))).toEqual(["listeners[0].tls: cannot be combined with proxyProtocol yet"]);
    expect(errors.join("\n")).toContain("Bun's upgradeTLS cannot be handed bytes already read");
    const routed = validateConfig(
      listener({ tls: { cert: a.certPath, key: a.keyPath }, routes: [{ sni: "a.test", backends: ["127.0.0.1:1"] }], backendTls: {} }),
    );
    expect(routed).not.toBeInstanceOf(ConfigErrors);
  });
});

describe("backendTls", () => {
  test("defaults: verification on; enabled = false turns the table off", () => {
    const on = validateConfig(listener({ backendTls: { ca: ca.certPath } }));
    const off = validateConfig(listener({ backendTls: { enabled: false, ca: "/nonexistent" } }));
    if (on instanceof ConfigErrors || off instanceof ConfigErrors) throw new Error("expected valid configs");
    expect(on.listeners[0]!.backendTls).toEqual({ enabled: true, ca: ca.certPath, serverName: null, verify: true, cert: null, key: null });
    expect(off.listeners[0]!.backendTls).toBeNull();
  });

  test("problems: a cert without its key, an unreadable CA, routes refused with the reason; sendProxy allowed", () => {
    expect(errorsOf(listener({ backendTls: { ca: "/nonexistent/ca.pem", cert: a.certPath } }))).toEqual([
      "listeners[0].backendTls.key: needs key beside it: a client certificate is a certificate and its key",
    ]);
    expect(errorsOf(listener({ backendTls: { ca: "/nonexistent/ca.pem" } }))).toEqual([
      `listeners[0].backendTls.ca: cannot read "/nonexistent/ca.pem" (ENOENT)`,
    ]);
    expect(errorsOf(listener({ backendTls: {}, routes: [{ sni: "a.test", backends: ["127.0.0.1:1"] }] })).join("\n")).toContain(
      "listeners[0].backendTls: cannot be combined with routes",
    );
    // sendProxy with backendTls is valid: the header goes in plaintext, then TLS (tls-originate.test.ts).
    expect(validateConfig(listener({ backendTls: {}, sendProxy: "v2" }))).not.toBeInstanceOf(ConfigErrors);
  });
});

test("--check: exit 2 with the key path of a key that is not its certificate's", async () => {
  const path = join(ca.dir, "bad-key.json");
  writeFileSync(path, JSON.stringify(listener({ tls: { cert: a.certPath, key: b.keyPath } })));
  expect(await runWarren(["--check", "--config", path])).toEqual({
    code: 2,
    stdout: "",
    stderr: `${path}: listeners[0].tls.key: does not match cert (CN=a.test): the key is another certificate's\n`,
  });
});

/**
 * TLS peers for tests: certificates made with openssl at test time, real ClientHellos captured from
 * `openssl s_client` and Bun's TLS client by a raw Bun.listen, and `openssl s_client` itself as a
 * client that must complete a handshake.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A self-signed certificate for `names` (the first is the CN), and its key, as PEM; remove() deletes the files. */
export interface TestCert {
  readonly cert: string;
  readonly key: string;
  readonly certPath: string;
  readonly keyPath: string;
  [Symbol.dispose](): void;
}

export function makeCert(names: readonly string[]): TestCert {
  const dir = mkdtempSync(join(tmpdir(), "warren-cert-"));
  const certPath = join(dir, "cert.pem");
  const keyPath = join(dir, "key.pem");
  const san = names.map((n) => `DNS:${n}`).join(",");
  const r = Bun.spawnSync(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", `/CN=${names[0]}`, "-addext", `subjectAltName=${san}`, "-keyout", keyPath, "-out", certPath], { stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`openssl req failed: ${r.stderr.toString()}`);
  return { cert: readFileSync(certPath, "utf8"), key: readFileSync(keyPath, "utf8"), certPath, keyPath, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * captureFirstRecords listens on a raw TCP port, runs `connect(port)` (a TLS client), and returns the
 * bytes the client sent up to the end of its first complete TLS record — the ClientHello — then
 * closes the connection, which ends the client's handshake.
 */
export async function captureFirstRecords(connect: (port: number) => { stop(): void }): Promise<Uint8Array> {
  const got = Promise.withResolvers<Uint8Array>();
  let bytes = new Uint8Array(0);
  const server = Bun.listen<undefined>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(socket, chunk) {
        const next = new Uint8Array(bytes.byteLength + chunk.byteLength);
        next.set(bytes);
        next.set(chunk, bytes.byteLength);
        bytes = next;
        if (bytes.byteLength >= 5 && bytes.byteLength >= 5 + ((bytes[3]! << 8) | bytes[4]!)) {
          got.resolve(bytes.slice(0, 5 + ((bytes[3]! << 8) | bytes[4]!)));
          socket.end();
        }
      },
    },
  });
  const client = connect(server.port);
  try {
    const timer = setTimeout(() => got.reject(new Error("no ClientHello within 10 s")), 10_000);
    const hello = await got.promise;
    clearTimeout(timer);
    return hello;
  } finally {
    client.stop();
    server.stop(true);
  }
}

/** opensslClientHello is the ClientHello `openssl s_client -servername NAME [-alpn …]` sends. */
export function opensslClientHello(serverName: string | null, alpn: readonly string[] = [], extra: readonly string[] = []): Promise<Uint8Array> {
  return captureFirstRecords((port) => {
    const args = ["openssl", "s_client", "-connect", `127.0.0.1:${port}`, ...(serverName === null ? ["-noservername"] : ["-servername", serverName]), ...(alpn.length > 0 ? ["-alpn", alpn.join(",")] : []), ...extra];
    const proc = Bun.spawn(args, { stdin: "pipe", stdout: "ignore", stderr: "ignore" });
    return { stop: () => proc.kill() };
  });
}

/** bunClientHello is the ClientHello Bun.connect({ tls: { serverName } }) sends. */
export function bunClientHello(serverName: string, alpn?: readonly string[]): Promise<Uint8Array> {
  return captureFirstRecords((port) => {
    let socket: { end(): void } | null = null;
    let stopped = false;
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      tls: { serverName, rejectUnauthorized: false, ...(alpn === undefined ? {} : { ALPNProtocols: alpnWire(alpn) }) },
      socket: { data() {}, error() {}, connectError() {} },
    }).then(
      (s) => {
        socket = s;
        if (stopped) s.end();
      },
      () => {},
    );
    return {
      stop: () => {
        stopped = true;
        socket?.end();
      },
    };
  });
}

/** alpnWire is an ALPN list in its wire form (each name behind its length byte), as Bun's tls option takes it. */
function alpnWire(protocols: readonly string[]): Buffer {
  return Buffer.concat(protocols.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p, "latin1")])));
}

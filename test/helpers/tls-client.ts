/**
 * A TLS client for tests (Bun.connect with tls): it reports how its handshake went (the server's
 * certificate serial, ALPN), collects what it receives, and tells when the connection closed.
 */
import type { Socket } from "bun";
import { alpnWire } from "../../src/edge/tls-context.ts";

export interface TlsClientOptions {
  serverName?: string;
  /** PEM text of the CA that must vouch for the server (default: none, and no verification). */
  ca?: string;
  cert?: string;
  key?: string;
  alpn?: readonly string[];
}

export interface TlsClient {
  readonly socket: Socket<undefined>;
  /** The server's leaf certificate serial (hex, upper case), its ALPN choice, and whether it was verified. */
  readonly serial: string;
  readonly alpn: string | false | null;
  readonly authorized: boolean;
  received(): Buffer;
  /** send writes all of `bytes`, waiting for drain when the socket takes less. */
  send(bytes: Uint8Array): Promise<void>;
  /** Resolves with the bytes received once at least `n` have arrived. */
  read(n: number, timeoutMs?: number): Promise<Buffer>;
  readonly closed: Promise<void>;
  end(): void;
}

/** tlsConnect connects and completes the handshake; rejects if it fails. */
export async function tlsConnect(port: number, options: TlsClientOptions = {}): Promise<TlsClient> {
  const chunks: Buffer[] = [];
  let total = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  let drained: (() => void) | null = null;
  const closed = Promise.withResolvers<void>();
  const handshake = Promise.withResolvers<{ serial: string; alpn: string | false | null; authorized: boolean }>();
  const socket = await Bun.connect<undefined>({
    hostname: "127.0.0.1",
    port,
    data: undefined,
    tls: {
      rejectUnauthorized: false,
      ...(options.serverName === undefined ? {} : { serverName: options.serverName }),
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      ...(options.cert === undefined ? {} : { cert: options.cert, key: options.key }),
      // Bun wants ALPN in its wire format (length-prefixed names), as a server does.
      ...(options.alpn === undefined ? {} : { ALPNProtocols: alpnWire(options.alpn) }),
    },
    socket: {
      handshake(s, success, err) {
        if (!success) return handshake.reject(err ?? new Error("handshake failed"));
        const peer = (s as unknown as { getPeerCertificate(): { serialNumber?: string } }).getPeerCertificate();
        handshake.resolve({
          serial: (peer?.serialNumber ?? "").toUpperCase(),
          alpn: (s as unknown as { alpnProtocol: string | false | null }).alpnProtocol,
          authorized: s.authorized,
        });
      },
      drain() {
        drained?.();
      },
      data(_s, d) {
        chunks.push(d);
        total += d.byteLength;
        for (const w of waiters.splice(0)) {
          if (total >= w.n) w.resolve();
          else waiters.push(w);
        }
      },
      close() {
        handshake.reject(new Error("closed before the handshake completed"));
        closed.resolve();
      },
      connectError(_s, err) {
        handshake.reject(err);
        closed.resolve();
      },
    },
  });
  const info = await handshake.promise;
  const received = (): Buffer => Buffer.concat(chunks);
  return {
    socket,
    ...info,
    received,
    async send(bytes) {
      let off = 0;
      while (off < bytes.byteLength) {
        const wrote = socket.write(bytes.subarray(off, Math.min(bytes.byteLength, off + 65536)));
        if (wrote < 0) throw new Error("socket closed while sending");
        off += wrote;
        if (wrote === 0) await new Promise<void>((r) => (drained = r));
      }
    },
    read(n, timeoutMs = 5000) {
      if (total >= n) return Promise.resolve(received());
      const { promise, resolve, reject } = Promise.withResolvers<void>();
      const timer = setTimeout(() => reject(new Error(`only ${total} of ${n} bytes within ${timeoutMs} ms`)), timeoutMs);
      waiters.push({ n, resolve: () => (clearTimeout(timer), resolve()) });
      return promise.then(received);
    },
    closed: closed.promise,
    end: () => socket.end(),
  };
}

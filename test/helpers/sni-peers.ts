/**
 * TLS peers for tests: certificates made with openssl at test time, real ClientHellos captured from
 * `openssl s_client` and Bun's TLS client by a raw Bun.listen, and `openssl s_client` itself as a
 * client that must complete a handshake.
 */
import type { TestCert } from "./tls-certs.ts";

export { makeCert, type TestCert } from "./tls-certs.ts";

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
export function opensslClientHello(
  serverName: string | null,
  alpn: readonly string[] = [],
  extra: readonly string[] = [],
): Promise<Uint8Array> {
  return captureFirstRecords((port) => {
    const args = [
      "openssl",
      "s_client",
      "-connect",
      `127.0.0.1:${port}`,
      ...(serverName === null ? ["-noservername"] : ["-servername", serverName]),
      ...(alpn.length > 0 ? ["-alpn", alpn.join(",")] : []),
      ...extra,
    ];
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

/** A TLS server that answers every chunk with `tag` and the chunk (Bun.listen with tls); stop() closes it. */
export function tlsTagServer(
  cert: TestCert,
  tag: string,
): { port: number; address: string; handshakes: number; stop(): void; [Symbol.dispose](): void } {
  const state = { handshakes: 0 };
  const server = Bun.listen<undefined>({
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert: cert.cert, key: cert.key },
    socket: {
      // Bun calls handshake also when one fails (the client left mid-handshake): count the completed ones.
      handshake(_socket, success) {
        if (success) state.handshakes++;
      },
      data(socket, chunk) {
        socket.write(`${tag}:${Buffer.from(chunk).toString("latin1")}`);
      },
    },
  });
  const stop = () => server.stop(true);
  return {
    port: server.port,
    address: `127.0.0.1:${server.port}`,
    get handshakes() {
      return state.handshakes;
    },
    stop,
    [Symbol.dispose]: stop,
  };
}

/**
 * tlsAsk connects with Bun's TLS client (SNI `serverName`, or none for null), sends `message` once the
 * handshake is done, and resolves with the first reply, or rejects when the connection closes first.
 */
export async function tlsAsk(port: number, serverName: string | null, message: string, timeoutMs = 5000): Promise<string> {
  const reply = Promise.withResolvers<string>();
  const timer = setTimeout(() => reply.reject(new Error(`no reply from ${serverName} within ${timeoutMs} ms`)), timeoutMs);
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    tls: { rejectUnauthorized: false, ...(serverName === null ? {} : { serverName }) },
    socket: {
      handshake(s) {
        s.write(message);
      },
      data(_s, chunk) {
        reply.resolve(Buffer.from(chunk).toString("latin1"));
      },
      close() {
        reply.reject(new Error("closed before a reply"));
      },
      error(_s, err) {
        reply.reject(err);
      },
      connectError(_s, err) {
        reply.reject(err);
      },
    },
  });
  try {
    return await reply.promise;
  } finally {
    clearTimeout(timer);
    socket.end();
  }
}

/**
 * Tap is a raw TCP relay to `targetPort` that records the bytes of every connection in each direction,
 * so a test can compare what one side sent with what the other received.
 */
export interface Tap {
  readonly port: number;
  /** Per connection, in accept order: bytes from the connecting side, and from the target. */
  readonly connections: { up: Buffer[]; down: Buffer[]; closed: boolean }[];
  stop(): void;
  [Symbol.dispose](): void;
}

interface TapConn {
  rec: { up: Buffer[]; down: Buffer[]; closed: boolean };
  peer: import("bun").Socket<TapConn> | null;
  queued: Buffer[];
  other: import("bun").Socket<TapConn> | null;
}

export function tap(targetPort: number): Tap {
  const connections: Tap["connections"][number][] = [];
  const server = Bun.listen<TapConn>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(client) {
        const rec = { up: [] as Buffer[], down: [] as Buffer[], closed: false };
        connections.push(rec);
        const conn: TapConn = { rec, peer: null, queued: [], other: client };
        client.data = conn;
        Bun.connect<TapConn>({
          hostname: "127.0.0.1",
          port: targetPort,
          data: conn,
          socket: {
            open(target) {
              conn.peer = target;
              for (const q of conn.queued) target.write(q);
              conn.queued = [];
            },
            data(_t, chunk) {
              rec.down.push(Buffer.from(chunk));
              client.write(chunk);
            },
            close() {
              rec.closed = true;
              client.end();
            },
            connectError() {
              client.end();
            },
          },
        }).catch(() => {});
      },
      data(client, chunk) {
        const c = client.data;
        c.rec.up.push(Buffer.from(chunk));
        if (c.peer === null) c.queued.push(Buffer.from(chunk));
        else c.peer.write(chunk);
      },
      close(client) {
        client.data.rec.closed = true;
        client.data.peer?.end();
      },
    },
  });
  const stop = () => server.stop(true);
  return { port: server.port, connections, stop, [Symbol.dispose]: stop };
}

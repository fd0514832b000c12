/**
 * SNI routing: what reading a ClientHello costs per connection (a fresh ClientHelloReader and its feeds,
 * as the preamble stage does on accept), for real hellos captured at start from Bun's TLS client and
 * from `openssl s_client`: whole in one chunk (how clients send it), cut in two, and trickled in 64-byte
 * pieces.
 * Run: node_modules/.bin/bun bench/micro/client-hello.bench.ts
 */
import { bench, do_not_optimize, group, run, summary } from "mitata";
import { CH_OK, ClientHelloReader } from "../../src/edge/client-hello.ts";

/** capture returns the first TLS record a client started by `connect(port)` sends to a raw listener. */
async function capture(connect: (port: number) => () => void): Promise<Uint8Array> {
  const got = Promise.withResolvers<Uint8Array>();
  let bytes = Buffer.alloc(0);
  const server = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(socket, chunk) {
        bytes = Buffer.concat([bytes, chunk]);
        const need = bytes.byteLength >= 5 ? 5 + bytes.readUInt16BE(3) : Infinity;
        if (bytes.byteLength >= need) {
          got.resolve(new Uint8Array(bytes.subarray(0, need)));
          socket.end();
        }
      },
    },
  });
  const stop = connect(server.port);
  const hello = await got.promise;
  stop();
  server.stop(true);
  return hello;
}

const bunHello = await capture((port) => {
  const s = Bun.connect({
    hostname: "127.0.0.1",
    port,
    tls: { serverName: "api.example.com", rejectUnauthorized: false },
    socket: { data() {}, error() {}, connectError() {} },
  });
  return () =>
    void s.then(
      (x) => x.end(),
      () => {},
    );
});
const opensslHello = await capture((port) => {
  const p = Bun.spawn(["openssl", "s_client", "-connect", `127.0.0.1:${port}`, "-servername", "api.example.com", "-alpn", "h2,http/1.1"], {
    stdin: "pipe",
    stdout: "ignore",
    stderr: "ignore",
  });
  return () => p.kill();
});

function read(chunks: readonly Uint8Array[]): string | null {
  const r = new ClientHelloReader(16384);
  let status = -1;
  for (const c of chunks) status = r.feed(c);
  if (status !== CH_OK) throw new Error(`the hello did not read: ${status} ${r.reason}`);
  return r.serverName;
}

function pieces(h: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < h.byteLength; at += size) out.push(h.subarray(at, at + size));
  return out;
}

for (const [name, hello] of [
  [`Bun.connect (${bunHello.byteLength} B)`, bunHello],
  [`openssl s_client (${opensslHello.byteLength} B)`, opensslHello],
] as const) {
  group(`read a ClientHello: ${name}`, () => {
    summary(() => {
      const whole = [hello];
      const half = [hello.subarray(0, hello.byteLength >> 1), hello.subarray(hello.byteLength >> 1)];
      const trickled = pieces(hello, 64);
      bench("whole, one chunk (read in place)", () => do_not_optimize(read(whole)));
      bench("cut in two (gathered)", () => do_not_optimize(read(half)));
      bench(`64-byte pieces (${trickled.length} feeds)`, () => do_not_optimize(read(trickled)));
    });
  });
}

await run();

/**
 * The TLS bench's load generator, one process per measurement (so it never shares an event loop with
 * a proxy). Prints one JSON line.
 *
 *   bun bench/tls/load.ts handshakes PORT SECONDS CONCURRENCY
 *     loops of: TLS connect (a full handshake: Bun's client does not resume sessions), 64 B echoed, close
 *   bun bench/tls/load.ts bulk PORT MIB
 *     one TLS connection to the sink: an 8-byte length, then MIB MiB; done when the sink answers
 */
import type { Socket } from "bun";

const [mode, portArg, a, b] = process.argv.slice(2);
const port = Number(portArg);
const TLS = { rejectUnauthorized: false, serverName: "localhost" };
const PAYLOAD = Buffer.alloc(64, 0x61);

async function handshakes(seconds: number, concurrency: number): Promise<void> {
  const deadline = performance.now() + seconds * 1000;
  let done = 0;
  let failed = 0;
  const loop = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const ok = await new Promise<boolean>((resolve) => {
        let got = 0;
        Bun.connect({
          hostname: "127.0.0.1",
          port,
          tls: TLS,
          socket: {
            handshake(s, success) {
              if (!success) return resolve(false);
              s.write(PAYLOAD);
            },
            data(s, d) {
              got += d.byteLength;
              if (got >= PAYLOAD.byteLength) {
                s.end();
                resolve(true);
              }
            },
            close: () => resolve(false),
            connectError: () => resolve(false),
          },
        }).catch(() => resolve(false));
      });
      if (ok) done++;
      else failed++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, loop));
  const elapsed = (performance.now() - started) / 1000;
  console.log(JSON.stringify({ handshakesPerSec: done / elapsed, failed }));
}

async function bulk(mib: number): Promise<void> {
  const total = mib * 1024 * 1024;
  const header = Buffer.alloc(8);
  header.writeBigUInt64LE(BigInt(total));
  const block = Buffer.alloc(256 * 1024, 0x62);
  const finished = Promise.withResolvers<void>();
  let sent = 0;
  let pendingHeader = true;
  const pump = (s: Socket<undefined>): void => {
    if (pendingHeader) {
      if (s.write(header) !== 8) return;
      pendingHeader = false;
    }
    while (sent < total) {
      const n = s.write(block, 0, Math.min(block.byteLength, total - sent));
      if (n <= 0) return;
      sent += n;
      if (n < Math.min(block.byteLength, total - sent + n)) return;
    }
  };
  let started = 0;
  let cipher = "";
  await Bun.connect({
    hostname: "127.0.0.1",
    port,
    tls: TLS,
    socket: {
      handshake(s) {
        cipher = `${(s as unknown as { getCipher(): { name: string } }).getCipher().name} ${(s as unknown as { getTLSVersion(): string }).getTLSVersion()}`;
        started = performance.now();
        pump(s);
      },
      drain: pump,
      data(s) {
        finished.resolve();
        s.end();
      },
      close: () => finished.resolve(),
    },
  });
  await finished.promise;
  const elapsed = (performance.now() - started) / 1000;
  console.log(JSON.stringify({ mbPerSec: sent / 1e6 / elapsed, sent, cipher }));
}

if (mode === "handshakes") await handshakes(Number(a), Number(b));
else if (mode === "bulk") await bulk(Number(a));
else {
  console.error("usage: bench/tls/load.ts handshakes PORT SECONDS CONCURRENCY | bulk PORT MIB");
  process.exit(2);
}

/**
 * bulk: one connection streams `totalBytes` to the sink backend (after an
 * 8-byte length header) as fast as the path takes them; the clock stops when
 * the sink confirms it has received everything. Reports MB/s (10^6 bytes).
 */
import type { Socket, SocketHandler } from "bun";
import { cpuNs } from "./cpu.ts";
import type { BulkParams, LoadResult } from "./params.ts";
import { proxyHeaderFor } from "./proxy-header.ts";

/** One write offers 1 MiB: large enough that the client's syscalls are not the limit. */
const CHUNK = new Uint8Array(1 << 20).fill(0x78);

let total = 0;
let sent = 0;
let failed: string | null = null;
let finish: (() => void) | null = null;

function pump(socket: Socket<null>): void {
  while (sent < total) {
    const n = Math.min(CHUNK.byteLength, total - sent);
    const written = socket.write(n === CHUNK.byteLength ? CHUNK : CHUNK.subarray(0, n));
    if (written < 0) {
      failed = "socket closed while sending";
      finish?.();
      return;
    }
    sent += written;
    if (written < n) return; // the drain handler continues
  }
}

function onData(_socket: Socket<null>, chunk: Buffer): void {
  if (chunk.byteLength > 0) finish?.(); // the sink's 8-byte answer
}

function onClose(_socket: Socket<null>, err?: Error): void {
  if (finish === null) return;
  failed ??= `connection closed before the sink answered${err === undefined ? "" : ` (${err.message})`}`;
  finish();
}

const handlers = { data: onData, drain: pump, close: onClose, error: onClose } satisfies SocketHandler<null>;

export async function runBulk(p: BulkParams): Promise<LoadResult> {
  total = p.totalBytes;
  const socket = await Bun.connect<null>({ hostname: "127.0.0.1", port: p.port, data: null, socket: handlers });
  const proxy = proxyHeaderFor(p.proxyHeader, p.port);
  if (proxy !== null && socket.write(proxy) !== proxy.byteLength) return { ok: false, error: "could not write the PROXY header" };
  const header = new Uint8Array(8);
  new DataView(header.buffer).setBigUint64(0, BigInt(total), true);
  const done = new Promise<void>((resolve) => {
    finish = () => {
      finish = null;
      resolve();
    };
  });
  const timer = setTimeout(() => {
    failed = `not finished after ${p.timeoutMs} ms (${sent} of ${total} bytes sent)`;
    finish?.();
  }, p.timeoutMs);
  const cpuStartNs = cpuNs(p.cpuPid);
  const startedAt = performance.now();
  if (socket.write(header) !== 8) return { ok: false, error: "could not write the 8-byte header" };
  pump(socket);
  await done;
  const seconds = (performance.now() - startedAt) / 1000;
  const cpuSeconds = (cpuNs(p.cpuPid) - cpuStartNs) / 1e9;
  clearTimeout(timer);
  socket.end();
  if (failed !== null) return { ok: false, error: failed };
  return { ok: true, metrics: { mbPerSec: total / seconds / 1e6, mbPerCpuSec: total / cpuSeconds / 1e6, seconds } };
}

/**
 * TestClient: a real TCP client that records everything it receives and the
 * order of its events, and can send large payloads with backpressure.
 */
import type { Socket } from "bun";

export interface TestClient {
  readonly socket: Socket<ClientState>;
  /** Everything received so far, concatenated. */
  received(): Buffer;
  readonly receivedBytes: number;
  /** "end" (peer FIN), "close", "close:ECONNRESET" … in order. */
  readonly events: string[];
  /** Resolves when the socket closes; with the error code if any. */
  readonly closed: Promise<string | null>;
  /** Resolves when the peer's FIN arrives (or the socket closes). */
  readonly ended: Promise<void>;
  /** Sends all of `data`, waiting on drain when the kernel buffer is full. */
  send(data: Uint8Array | string): Promise<void>;
  /** Resolves once at least `n` bytes have arrived. */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  pause(): void;
  resume(): void;
}

interface ClientState {
  chunks: Buffer[];
  bytes: number;
  events: string[];
  onDrain: (() => void) | null;
  onBytes: (() => void) | null;
  resolveClosed: (code: string | null) => void;
  resolveEnded: () => void;
}

export async function connectClient(port: number, options: { allowHalfOpen?: boolean } = {}): Promise<TestClient> {
  let resolveClosed!: (code: string | null) => void;
  let resolveEnded!: () => void;
  const closed = new Promise<string | null>((r) => (resolveClosed = r));
  const ended = new Promise<void>((r) => (resolveEnded = r));
  const state: ClientState = { chunks: [], bytes: 0, events: [], onDrain: null, onBytes: null, resolveClosed, resolveEnded };
  const socket = await Bun.connect<ClientState>({
    hostname: "127.0.0.1",
    port,
    data: state,
    allowHalfOpen: options.allowHalfOpen ?? false,
    socket: {
      data(s, chunk) {
        s.data.chunks.push(chunk);
        s.data.bytes += chunk.byteLength;
        s.data.onBytes?.();
      },
      drain(s) {
        s.data.onDrain?.();
      },
      end(s) {
        s.data.events.push("end");
        s.data.resolveEnded();
      },
      close(s, err) {
        const code = err === undefined ? null : ((err as { code?: string }).code ?? "ERROR");
        s.data.events.push(code === null ? "close" : `close:${code}`);
        s.data.resolveEnded();
        s.data.onBytes?.();
        s.data.resolveClosed(code);
      },
    },
  });
  return {
    socket,
    received: () => Buffer.concat(state.chunks),
    get receivedBytes() {
      return state.bytes;
    },
    events: state.events,
    closed,
    ended,
    async send(data) {
      let buf = typeof data === "string" ? Buffer.from(data) : data;
      while (buf.byteLength > 0) {
        const n = socket.write(buf);
        if (n < 0) throw new Error("socket closed while sending");
        buf = buf.subarray(n);
        if (buf.byteLength > 0) await new Promise<void>((r) => (state.onDrain = r));
      }
      state.onDrain = null;
    },
    async waitFor(n, timeoutMs = 10_000) {
      const deadline = performance.now() + timeoutMs;
      while (state.bytes < n) {
        if (state.events.some((e) => e.startsWith("close"))) throw new Error(`closed after ${state.bytes} of ${n} bytes`);
        if (performance.now() > deadline) throw new Error(`timed out with ${state.bytes} of ${n} bytes`);
        await new Promise<void>((r) => {
          state.onBytes = r;
          setTimeout(r, 50);
        });
      }
    },
    pause: () => socket.pause(),
    resume: () => socket.resume(),
  };
}

/** sha256 of bytes, hex. */
export function sha256(data: Uint8Array): string {
  return new Bun.CryptoHasher("sha256").update(data).digest("hex");
}

/** randomBytes makes a deterministic pseudo-random payload (seeded xorshift), fast for MiBs. */
export function randomBytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  const view = new Uint32Array(out.buffer, 0, n >>> 2);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < view.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    view[i] = x >>> 0;
  }
  for (let i = view.length * 4; i < n; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

/**
 * RawConn is a client socket that sends whatever it is given and never parses
 * what comes back: attackers use it. It reads and discards replies, or, as a
 * slow reader, does not read at all (the socket stays paused, so the kernel
 * buffers fill and the peer must hold or drop what it wants to send).
 */
import type { Socket } from "bun";

interface RawState {
  conn: RawConn;
}

export class RawConn {
  bytesIn = 0;
  bytesOut = 0;
  closed = false;
  private socket: Socket<RawState> | null = null;
  private readonly queued: Uint8Array[] = [];
  private readonly closedPromise: Promise<void>;
  private resolveClosed!: () => void;

  private constructor() {
    this.closedPromise = new Promise((r) => (this.resolveClosed = r));
  }

  /** connect opens a connection; `read: false` makes it a slow reader that never reads. */
  static async connect(port: number, options: { read: boolean }): Promise<RawConn> {
    const conn = new RawConn();
    conn.socket = await Bun.connect<RawState>({
      hostname: "127.0.0.1",
      port,
      data: { conn },
      socket: rawHandlers,
    });
    if (!options.read) conn.socket.pause();
    return conn;
  }

  /** write sends bytes in order; what the kernel does not take now goes out on drain. */
  write(bytes: Uint8Array | string): void {
    if (this.closed || this.socket === null) return;
    const b = typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes;
    this.bytesOut += b.byteLength;
    if (this.queued.length > 0) {
      this.queued.push(b);
      return;
    }
    const n = this.socket.write(b);
    if (n >= 0 && n < b.byteLength) this.queued.push(b.subarray(n));
  }

  /** Bytes written but not yet taken by the kernel. */
  get backlog(): number {
    let n = 0;
    for (const b of this.queued) n += b.byteLength;
    return n;
  }

  onDrain(): void {
    const socket = this.socket;
    while (socket !== null && this.queued.length > 0) {
      const b = this.queued[0]!;
      const n = socket.write(b);
      if (n < 0) return;
      if (n < b.byteLength) {
        this.queued[0] = b.subarray(n);
        return;
      }
      this.queued.shift();
    }
  }

  onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.resolveClosed();
  }

  /** FIN: no more requests; the peer may still answer. */
  end(): void {
    this.socket?.end();
  }

  /** RST: gone at once. */
  terminate(): void {
    this.socket?.terminate();
  }

  pause(): void {
    this.socket?.pause();
  }

  resume(): void {
    this.socket?.resume();
  }

  /** Resolves when the socket has closed, or after `ms` (whichever is first); true if closed. */
  async closedWithin(ms: number): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((r) => (timer = setTimeout(r, ms)));
    await Promise.race([this.closedPromise, timeout]);
    clearTimeout(timer);
    return this.closed;
  }
}

const rawHandlers = {
  data(s: Socket<RawState>, chunk: Buffer) {
    s.data.conn.bytesIn += chunk.byteLength;
  },
  drain(s: Socket<RawState>) {
    s.data.conn.onDrain();
  },
  close(s: Socket<RawState>) {
    s.data.conn.onClose();
  },
  error(s: Socket<RawState>) {
    s.data.conn.onClose();
  },
};

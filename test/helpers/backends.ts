/**
 * Test backends: small real servers on 127.0.0.1 with ephemeral ports. Each is
 * disposable (`using backend = echoBackend()`), counts its connections, and
 * closes every socket it accepted when disposed.
 */
import type { Socket, SocketHandler, TCPSocketListener } from "bun";

export interface TestBackend extends Disposable {
  readonly port: number;
  readonly address: string;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Connections currently open. */
  readonly open: number;
  /** Sockets currently open, for tests that act on them (reset, resume). */
  readonly sockets: Set<Socket<BackendConn>>;
  stop(): void;
}

/** Per-connection state of a test backend. */
export interface BackendConn {
  received: number;
  chunks: Uint8Array[];
  ended: boolean;
}

function serve(handlers: SocketHandler<BackendConn>, options: { allowHalfOpen?: boolean } = {}): TestBackend {
  const sockets = new Set<Socket<BackendConn>>();
  let accepted = 0;
  const open = handlers.open;
  const close = handlers.close;
  const listener: TCPSocketListener<BackendConn> = Bun.listen<BackendConn>({
    hostname: "127.0.0.1",
    port: 0,
    allowHalfOpen: options.allowHalfOpen ?? false,
    socket: {
      ...handlers,
      open(s) {
        s.data = { received: 0, chunks: [], ended: false };
        accepted++;
        sockets.add(s);
        return open?.(s);
      },
      close(s, err) {
        sockets.delete(s);
        return close?.(s, err);
      },
    },
  });
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    listener.stop(true);
    for (const s of sockets) s.terminate();
  };
  return {
    port: listener.port,
    address: `127.0.0.1:${listener.port}`,
    get accepted() {
      return accepted;
    },
    get open() {
      return sockets.size;
    },
    sockets,
    stop,
    [Symbol.dispose]: stop,
  };
}

/**
 * echoBackend writes back every byte it receives, with its own backpressure
 * (pauses reading while its writes are short), and half-closes after the
 * client's FIN once everything is echoed.
 */
export function echoBackend(): TestBackend {
  const pending = new Map<Socket<BackendConn>, Uint8Array[]>();
  const flush = (s: Socket<BackendConn>): boolean => {
    const q = pending.get(s);
    while (q !== undefined && q.length > 0) {
      const head = q[0]!;
      const n = s.write(head);
      if (n < 0) return false;
      if (n < head.byteLength) {
        q[0] = head.subarray(n);
        return false;
      }
      q.shift();
    }
    pending.delete(s);
    return true;
  };
  return serve(
    {
      data(s, chunk) {
        s.data.received += chunk.byteLength;
        const q = pending.get(s);
        if (q !== undefined) {
          q.push(chunk);
          return;
        }
        const n = s.write(chunk);
        if (n >= 0 && n < chunk.byteLength) {
          pending.set(s, [chunk.subarray(n)]);
          s.pause();
        }
      },
      drain(s) {
        if (pending.has(s) && flush(s)) {
          s.resume();
          if (s.data.ended) s.shutdown();
        }
      },
      end(s) {
        s.data.ended = true;
        if (!pending.has(s)) s.shutdown();
      },
      close(s) {
        pending.delete(s);
      },
    },
    { allowHalfOpen: true },
  );
}

/** sinkBackend reads and counts everything, never writes. */
export function sinkBackend(): TestBackend {
  return serve({
    data(s, chunk) {
      s.data.received += chunk.byteLength;
    },
  });
}

/** stallBackend accepts connections and never reads: its receive window fills up. */
export function stallBackend(): TestBackend {
  return serve({
    open(s) {
      s.pause();
    },
    data() {},
  });
}

/**
 * replyAfterEndBackend collects the whole request, and only after the client's
 * FIN answers with `reply(request)` and then closes: proves half-close works.
 */
export function replyAfterEndBackend(reply: (request: Uint8Array) => Uint8Array): TestBackend {
  return serve(
    {
      data(s, chunk) {
        s.data.received += chunk.byteLength;
        s.data.chunks.push(chunk);
      },
      end(s) {
        s.data.ended = true;
        s.write(reply(Buffer.concat(s.data.chunks)));
        s.end();
      },
    },
    { allowHalfOpen: true },
  );
}

/** resetAfterBackend resets the connection after receiving `n` bytes. */
export function resetAfterBackend(n: number): TestBackend {
  return serve({
    data(s, chunk) {
      s.data.received += chunk.byteLength;
      if (s.data.received >= n) s.terminate();
    },
  });
}

/** greetBackend writes `greeting` as soon as a client connects, then echoes. */
export function greetBackend(greeting: string): TestBackend {
  return serve({
    open(s) {
      s.write(greeting);
    },
    data(s, chunk) {
      s.data.received += chunk.byteLength;
      s.write(chunk);
    },
  });
}

/** floodBackend writes `total` bytes to each client as fast as the client lets it, then closes. */
export function floodBackend(total: number, chunkBytes = 64 * 1024): TestBackend {
  const block = new Uint8Array(chunkBytes).fill(0x61);
  const sent = new Map<Socket<BackendConn>, number>();
  const pump = (s: Socket<BackendConn>): void => {
    let done = sent.get(s) ?? 0;
    while (done < total) {
      const n = s.write(block, 0, Math.min(chunkBytes, total - done));
      if (n <= 0) break;
      done += n;
      if (n < Math.min(chunkBytes, total - done + n)) break;
    }
    sent.set(s, done);
    if (done >= total) s.end();
  };
  return serve({
    open: pump,
    drain: pump,
    close(s) {
      sent.delete(s);
    },
  });
}

/**
 * closedPort returns a loopback port where nothing listens (bound then
 * released), so a connect there is refused.
 */
export function closedPort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

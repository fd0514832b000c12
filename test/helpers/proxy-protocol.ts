/**
 * Helpers for the PROXY protocol tests: a backend that records every byte of each connection (to see
 * the header warren sends), a raw client that sends a header and then whatever the test likes, and
 * counters for the resources an attack could leak (sockets on a port, live timers).
 */
import type { Socket, TCPSocketListener } from "bun";
import { encodeProxyV1, encodeProxyV2 } from "../../src/edge/proxy-encode.ts";

export interface RecordingBackend extends Disposable {
  readonly port: number;
  readonly address: string;
  /** Every connection's bytes so far, in accept order. */
  readonly connections: Uint8Array[];
  /** Resolves once `n` connections have received at least `bytes` bytes each. */
  waitFor(n: number, bytes: number, timeoutMs?: number): Promise<void>;
  stop(): void;
}

/**
 * recordingBackend records what each connection sends; with `reply`, it answers every chunk with
 * reply(all bytes so far) once `replyAfter` bytes have arrived (e.g. to echo the stream after a header).
 */
export function recordingBackend(options: { reply?: (all: Uint8Array) => Uint8Array | null } = {}): RecordingBackend {
  const connections: Uint8Array[] = [];
  const sockets = new Set<Socket<{ i: number }>>();
  const server: TCPSocketListener<{ i: number }> = Bun.listen<{ i: number }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(s) {
        s.data = { i: connections.length };
        connections.push(new Uint8Array(0));
        sockets.add(s);
      },
      data(s, chunk) {
        const all = Buffer.concat([connections[s.data.i]!, chunk]);
        connections[s.data.i] = all;
        const answer = options.reply?.(all);
        if (answer !== undefined && answer !== null && answer.byteLength > 0) s.write(answer);
      },
      close(s) {
        sockets.delete(s);
      },
    },
  });
  const stop = (): void => {
    server.stop(true);
    for (const s of sockets) s.terminate();
  };
  return {
    port: server.port,
    address: `127.0.0.1:${server.port}`,
    connections,
    async waitFor(n, bytes, timeoutMs = 5000) {
      const deadline = performance.now() + timeoutMs;
      while (connections.filter((c) => c.byteLength >= bytes).length < n) {
        if (performance.now() > deadline)
          throw new Error(
            `timed out waiting for ${n} connections of ${bytes} bytes (have ${connections.map((c) => c.byteLength).join(",")})`,
          );
        await Bun.sleep(5);
      }
    },
    stop,
    [Symbol.dispose]: stop,
  };
}

/** A v1 header from `client` ("ADDRESS:PORT" or "[V6]:PORT") to `server`. */
export function v1From(client: string, server = "127.0.0.1:9509"): Uint8Array {
  return encodeProxyV1(endpoint(client), endpoint(server));
}

/** A v2 PROXY header from `client` to `server`, with AUTHORITY and UNIQUE_ID when given. */
export function v2From(client: string, server = "127.0.0.1:9509", extras: { authority?: string; uniqueId?: string } = {}): Uint8Array {
  return encodeProxyV2(endpoint(client), endpoint(server), { authority: extras.authority ?? null, uniqueId: extras.uniqueId ?? null });
}

function endpoint(text: string): { address: string; port: number } {
  const colon = text.lastIndexOf(":");
  return { address: text.slice(0, colon).replace(/^\[|\]$/g, ""), port: Number(text.slice(colon + 1)) };
}

/** tcpSocketsOn counts this machine's TCP sockets to or from `port` in any state but LISTEN (from the kernel, via ss). */
export function tcpSocketsOn(port: number): number {
  const out = Bun.spawnSync(["ss", "-Htan", `( sport = :${port} or dport = :${port} )`]).stdout.toString();
  return out.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("LISTEN")).length;
}

/**
 * countTimers wraps the global timer functions until disposed and counts the timers created meanwhile
 * that are still pending (not fired, not cleared): what a per-connection timer that is never cleared
 * would leave behind.
 */
export function countTimers(): Disposable & { readonly live: number } {
  const g = globalThis as unknown as Record<string, (...args: unknown[]) => unknown>;
  const saved = { setTimeout: g.setTimeout!, clearTimeout: g.clearTimeout!, setInterval: g.setInterval!, clearInterval: g.clearInterval! };
  const live = new Set<unknown>();
  g.setTimeout = (fn: unknown, ms: unknown, ...args: unknown[]) => {
    const t: unknown = saved.setTimeout(
      (...a: unknown[]) => {
        live.delete(t);
        (fn as (...x: unknown[]) => void)(...a);
      },
      ms,
      ...args,
    );
    live.add(t);
    return t;
  };
  g.setInterval = (fn: unknown, ms: unknown, ...args: unknown[]) => {
    const t = saved.setInterval(fn, ms, ...args);
    live.add(t);
    return t;
  };
  g.clearTimeout = (t: unknown) => {
    live.delete(t);
    return saved.clearTimeout(t);
  };
  g.clearInterval = (t: unknown) => {
    live.delete(t);
    return saved.clearInterval(t);
  };
  return {
    get live() {
      return live.size;
    },
    [Symbol.dispose]() {
      Object.assign(g, saved);
    },
  };
}

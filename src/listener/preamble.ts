import type { Socket, SocketHandler } from "bun";
import type { Endpoint, ProxyHeader } from "../edge/proxy-header.ts";
import type { EndCode } from "../errors.ts";

/**
 * The preamble stage sits between accept and the mode: what a client sends before the mode's own stream
 * — a PROXY protocol header, a TLS ClientHello to route by — is read here, the client is admitted with
 * what the preamble learned (the real client address), and the mode gets the bytes that followed the
 * preamble, intact, as if they were the connection's first. A listener without a preamble pays nothing:
 * its sockets get the mode's own handlers.
 *
 * A preamble may also decide at accept, from the peer's address alone, before any byte: serve the
 * connection as it is (an untrusted source with `untrusted = "direct"`) or refuse it. Stages that read
 * more (a ClientHello after a PROXY header) compose into one Preamble whose parser runs them in turn.
 */
export interface Preamble {
  /** How long a client may take to send its preamble before it is closed. */
  readonly timeoutMs: number;
  /** start makes the parser for one new connection from `peer`, or decides at once (done: serve as is; failed: refuse). */
  start(peer: Endpoint): PreambleParser | PreambleDone | PreambleFailed;
}

export type { Endpoint };

/** PreambleParser reads one connection's preamble from its first chunks; it must bound what it holds. */
export interface PreambleParser {
  feed(chunk: Uint8Array): PreambleResult;
  /** What a connection whose preamble times out in this parser's current stage is counted as; default PREAMBLE_TIMEOUT. */
  readonly timeoutCode?: EndCode;
}

/** The preamble is over: the client is admitted with what it told. */
export interface PreambleDone {
  readonly kind: "done";
  /** The bytes after the preamble (the mode's stream begins with them), or null. */
  readonly rest: Uint8Array | null;
  /** The client's address as the preamble tells it (a PROXY header), or null for the socket's own. */
  readonly client: Endpoint | null;
  /** The address the client connected to, as a PROXY header tells it; null or absent: this listener's. */
  readonly destination?: Endpoint | null;
  /** The host name the client asked for (PROXY v2 AUTHORITY; a TLS SNI stage would set it too), or null. */
  readonly authority?: string | null;
  /** The PROXY header read, TLVs included, if the preamble read one. */
  readonly header?: ProxyHeader | null;
  /** The SNI host name of the client's TLS ClientHello (lower case), or null: none sent, or not TLS. Read with `routes` only. */
  readonly serverName?: string | null;
  /** Whether a ClientHello stage read one (false: the first bytes were not TLS); absent without that stage. */
  readonly tls?: boolean;
}

/** The client must be closed, counted under `code`. */
export interface PreambleFailed {
  readonly kind: "failed";
  readonly code: EndCode;
  readonly reason: string;
}

/** What a preamble parser says after a chunk: more is needed, it is done, or the client must be closed. */
export type PreambleResult = { readonly kind: "more" } | PreambleDone | PreambleFailed;

export const MORE: PreambleResult = { kind: "more" };

/** PreambleState is a socket's `data` while its preamble is read. */
export class PreambleState {
  /** Bytes received so far: a client that leaves after some but not all of its preamble is counted. */
  bytes = 0;
  /** Set once the preamble is done or failed: later events for it are ignored. */
  settled = false;
  constructor(
    readonly parser: PreambleParser,
    readonly startedAt: number,
    /** The preamble's timeout when the connection began (a reload applies to new connections). */
    readonly timeoutMs: number,
    /** The client's socket (for a TLS stage, the TLS socket once upgradeTLS returned it). */
    public socket: Socket<unknown>,
  ) {}
}

/** What the listener core does around the preamble stage (admission, counting, the pending set for the sweep). */
export interface PreambleHost<D> {
  /** The listener's preamble now (a reload may change it, or turn it off: then new sockets go straight to the mode). */
  current(): Preamble | null;
  /** A connection began its preamble. */
  began(state: PreambleState): void;
  /** Its preamble is done (state null: decided at accept): admit the client and hand it to the mode with the bytes that followed. */
  done(socket: Socket<D | PreambleState | null>, state: PreambleState | null, result: PreambleDone): void;
  /** The preamble failed, was refused at accept (state null), or the client left during it: close and count. */
  failed(socket: Socket<D | PreambleState | null>, state: PreambleState | null, code: EndCode, reason: string): void;
}

/**
 * withPreamble wraps a mode's socket handlers so a connection's first bytes go to the listener's
 * preamble until it is done; from then on every event goes to the mode's handlers unchanged (Bun shares
 * one set of handlers among a listener's sockets, so the wrapper dispatches on the socket's data — one
 * check per event, only on listeners that have, or had, a preamble).
 */
export function withPreamble<D extends object>(
  inner: SocketHandler<D | null>,
  host: PreambleHost<D>,
): SocketHandler<D | PreambleState | null> {
  // The mode's handlers see a socket whose data is theirs: the same socket, once its preamble is over.
  const mode = (socket: Socket<D | PreambleState | null>): Socket<D | null> => socket as Socket<D | null>;
  /** left: the client closed during its preamble; after part of it, that is counted. */
  const left = (socket: Socket<D | PreambleState | null>, d: PreambleState, err?: Error): void => {
    if (d.bytes === 0 && err === undefined) return host.failed(socket, d, "ok", "client closed before sending its preamble");
    host.failed(
      socket,
      d,
      "PREAMBLE_ABORTED",
      `client ${err === undefined ? "closed" : `reset (${err.message})`} after ${d.bytes} bytes of its preamble`,
    );
  };
  return {
    open(socket) {
      const preamble = host.current();
      if (preamble === null) return inner.open?.(mode(socket));
      // A unix peer has no address (Bun gives undefined): "" says so to the preamble.
      const first = preamble.start({ address: socket.remoteAddress ?? "", port: socket.remotePort ?? 0 });
      if (!("feed" in first)) {
        if (first.kind === "done") return host.done(socket, null, first);
        return host.failed(socket, null, first.code, first.reason);
      }
      const state = new PreambleState(first, performance.now(), preamble.timeoutMs, socket);
      socket.data = state;
      host.began(state);
    },
    data(socket, chunk) {
      const d = socket.data;
      if (!(d instanceof PreambleState)) return inner.data?.(mode(socket), chunk);
      if (d.settled) return;
      d.bytes += chunk.byteLength;
      const r = d.parser.feed(chunk);
      if (r.kind === "more") return;
      if (r.kind === "failed") return host.failed(socket, d, r.code, r.reason);
      host.done(socket, d, r);
    },
    drain(socket) {
      if (!(socket.data instanceof PreambleState)) return inner.drain?.(mode(socket));
    },
    end(socket) {
      const d = socket.data;
      if (!(d instanceof PreambleState)) return inner.end?.(mode(socket));
      left(socket, d);
    },
    close(socket, err) {
      const d = socket.data;
      if (!(d instanceof PreambleState)) return inner.close?.(mode(socket), err);
      left(socket, d, err);
    },
    error(socket, err) {
      const d = socket.data;
      if (!(d instanceof PreambleState)) return inner.error?.(mode(socket), err);
      host.failed(socket, d, "INTERNAL", `internal error in the preamble: ${String(err)}${err.stack ? `\n${err.stack}` : ""}`);
    },
  };
}

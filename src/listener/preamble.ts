import type { Socket, SocketHandler } from "bun";
import type { EndCode } from "../errors.ts";

/**
 * The preamble stage sits between accept and the mode: what a client sends before the mode's own stream
 * — a PROXY protocol header, a TLS ClientHello to route by — is read here, the client is admitted with
 * what the preamble learned (the real client address), and the mode gets the bytes that followed the
 * preamble, intact, as if they were the connection's first. A listener without a preamble pays nothing:
 * its sockets get the mode's own handlers.
 */
export interface Preamble {
  /** How long a client may take to send its preamble before it is closed. */
  readonly timeoutMs: number;
  /** start makes the parser for one new connection. */
  start(): PreambleParser;
}

/** PreambleParser reads one connection's preamble from its first chunks; it must bound what it holds. */
export interface PreambleParser {
  feed(chunk: Uint8Array): PreambleResult;
}

/** What a preamble parser says after a chunk: more is needed, it is done, or the client must be closed. */
export type PreambleResult =
  | { readonly kind: "more" }
  | {
      readonly kind: "done";
      /** The bytes after the preamble (the mode's stream begins with them), or null. */
      readonly rest: Uint8Array | null;
      /** The client's address as the preamble tells it (a PROXY header), or null for the socket's own. */
      readonly client: { readonly address: string; readonly port: number } | null;
    }
  | { readonly kind: "failed"; readonly code: EndCode; readonly reason: string };

export const MORE: PreambleResult = { kind: "more" };

/** PreambleState is a socket's `data` while its preamble is read. */
export class PreambleState {
  constructor(
    readonly parser: PreambleParser,
    readonly startedAt: number,
  ) {}
}

/** What the listener core does around the preamble stage (admission, counting, the pending set for the sweep). */
export interface PreambleHost<D> {
  /** A connection began its preamble. */
  began(socket: Socket<D | PreambleState | null>, state: PreambleState): void;
  /** Its preamble is done: admit the client and hand it to the mode with the bytes that followed. */
  done(socket: Socket<D | PreambleState | null>, state: PreambleState, client: { address: string; port: number } | null, rest: Uint8Array | null): void;
  /** The preamble failed (or the client left during it): close and count. */
  failed(socket: Socket<D | PreambleState | null>, state: PreambleState, code: EndCode, reason: string): void;
}

/**
 * withPreamble wraps a mode's socket handlers so a connection's first bytes go to `preamble` until it is
 * done; from then on every event goes to the mode's handlers unchanged (Bun swaps handlers per listener,
 * not per accepted socket, so the wrapper dispatches on the socket's data — one check per event, only on
 * listeners that have a preamble).
 */
export function withPreamble<D extends object>(inner: SocketHandler<D | null>, preamble: Preamble, host: PreambleHost<D>): SocketHandler<D | PreambleState | null> {
  // The mode's handlers see a socket whose data is theirs: the same socket, once its preamble is over.
  const mode = (socket: Socket<D | PreambleState | null>): Socket<D | null> => socket as Socket<D | null>;
  return {
    open(socket) {
      const state = new PreambleState(preamble.start(), performance.now());
      socket.data = state;
      host.began(socket, state);
    },
    data(socket, chunk) {
      const d = socket.data;
      if (!(d instanceof PreambleState)) return inner.data?.(mode(socket), chunk);
      const r = d.parser.feed(chunk);
      if (r.kind === "more") return;
      if (r.kind === "failed") return host.failed(socket, d, r.code, r.reason);
      host.done(socket, d, r.client, r.rest);
    },
    drain(socket) {
      if (!(socket.data instanceof PreambleState)) return inner.drain?.(mode(socket));
    },
    end(socket) {
      const d = socket.data;
      if (!(d instanceof PreambleState)) return inner.end?.(mode(socket));
      host.failed(socket, d, "ok", "client closed before its preamble was complete");
    },
    close(socket, err) {
      const d = socket.data;
      if (!(d instanceof PreambleState)) return inner.close?.(mode(socket), err);
      host.failed(socket, d, "ok", "client closed before its preamble was complete");
    },
    error(socket, err) {
      const d = socket.data;
      if (!(d instanceof PreambleState)) return inner.error?.(mode(socket), err);
      host.failed(socket, d, "INTERNAL", `internal error in the preamble: ${String(err)}${err.stack ? `\n${err.stack}` : ""}`);
    },
  };
}

/** PendingPreamble is a connection whose preamble is being read, for the sweep's timeout. */
export interface PendingPreamble {
  readonly state: PreambleState;
  close(): void;
}

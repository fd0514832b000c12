import type { Socket, SocketHandler } from "bun";
import { contextFor, type NativeContext, type ServerTls } from "../edge/tls-context.ts";
import { MORE, type PreambleHost, type PreambleParser, PreambleState } from "./preamble.ts";

/*
 * TLS termination as a stage between accept and the mode. The listening socket is plain TCP; each
 * accepted socket is upgraded with socket.upgradeTLS(...) at once, and the TLS socket it returns gets
 * this stage's handlers, which hand every event to the mode's own handlers once the handshake is done
 * (one instanceof check per event, as the preamble stage costs). So the mode's relay runs on the TLS
 * socket exactly as on a plain one: same handlers, plaintext chunks, same backpressure (a TLS write
 * that does not fit returns 0 and `drain` follows, pinned in test/integration/bun-tls.test.ts).
 *
 * What upgradeTLS does in Bun 1.4.4 (same test file): it returns [raw, tls]; the raw socket keeps
 * receiving `data` events with the ciphertext (the listener's handlers: no-ops below), and the TLS
 * socket has no `listener` (so modes take theirs from the start callback, not from the socket).
 * Reloading the raw socket's handlers stalls the handshake, so they stay. A client that never sends
 * its hello gives no event at all: the handshake timeout is the sweep's, as for a PROXY header.
 */

/** What a connection whose handshake times out is counted as (the sweep reads it from the parser). */
const HANDSHAKING: PreambleParser = { feed: () => MORE, timeoutCode: "TLS_HANDSHAKE_TIMEOUT" };

/** TlsPending is a TLS socket's `data` until its handshake is done: the certificates it began with, plaintext that came early. */
export class TlsPending extends PreambleState {
  /** Plaintext that arrived before the handshake handler ran (TLS 1.3 lets a client write right after its Finished). */
  early: Uint8Array | null = null;
  constructor(
    readonly tls: ServerTls,
    startedAt: number,
    socket: Socket<unknown>,
  ) {
    super(HANDSHAKING, startedAt, tls.handshakeTimeoutMs, socket);
  }
}

/**
 * The listening socket's handlers: `open` upgrades; the raw socket's other events carry ciphertext and
 * are the TLS socket's business, except that ciphertext received during the handshake is counted, so a
 * client that connects and leaves without a byte (a port check) is not a failed handshake.
 */
export function rawHandlers(begin: (raw: Socket<unknown>) => void): SocketHandler<unknown> {
  return { open: begin, data: onRawData, drain: ignore, end: ignore, close: ignore, error: ignore };
}

function onRawData(raw: Socket<unknown>, chunk: Buffer): void {
  const d = raw.data;
  if (d instanceof TlsPending && !d.settled) d.bytes += chunk.byteLength;
}

function ignore(): void {}

/**
 * TlsStage upgrades accepted sockets with the listener's current certificates (a reload swaps
 * `material`; a connection keeps what it began with) and runs their handshake.
 */
export class TlsStage<D extends object> {
  readonly handlers: SocketHandler<D | TlsPending | null>;

  constructor(
    public material: ServerTls,
    inner: SocketHandler<D | null>,
    private readonly host: PreambleHost<D>,
  ) {
    this.handlers = tlsHandlers(inner, host);
  }

  begin(raw: Socket<unknown>): void {
    const state = new TlsPending(this.material, performance.now(), raw);
    const upgraded = (raw as unknown as Upgradable).upgradeTLS({ tls: this.material.options, socket: this.handlers, data: state });
    state.socket = upgraded[1];
    upgraded[0].data = state; // the raw socket counts the handshake's bytes (onRawData)
    this.host.began(state);
  }
}

interface Upgradable {
  upgradeTLS(options: { tls: Record<string, unknown>; socket: SocketHandler<never>; data: TlsPending }): [Socket<unknown>, Socket<unknown>];
}

/** The handshake handler's view of a TLS socket (Bun passes a TLSSocket; the types lack these). */
interface TlsView {
  authorized: boolean;
  getPeerCertificate(): { subject?: unknown } | null | undefined;
  getServername?(): string | undefined;
}

function tlsHandlers<D extends object>(inner: SocketHandler<D | null>, host: PreambleHost<D>): SocketHandler<D | TlsPending | null> {
  const mode = (socket: Socket<D | TlsPending | null>): Socket<D | null> => socket as Socket<D | null>;
  /** left: the client closed during its handshake; after sending nothing, that is no failure (as for a preamble). */
  const left = (socket: Socket<D | TlsPending | null>, d: TlsPending, err?: Error): void => {
    if (d.bytes === 0 && err === undefined) return host.failed(socket, d, "ok", "client closed before its ClientHello");
    host.failed(
      socket,
      d,
      "TLS_HANDSHAKE_FAILED",
      `client ${err === undefined ? "closed" : `reset (${describeError(err)})`} during the handshake, after ${d.bytes} bytes`,
    );
  };
  const handlers = {
    open() {},
    // Undocumented in Bun 1.4.4: called with the client's SNI; a returned native context replaces the default.
    serverName(d: unknown, name: string): NativeContext | undefined {
      return d instanceof TlsPending ? contextFor(d.tls, name) : undefined;
    },
    handshake(socket: Socket<D | TlsPending | null>, success: boolean, authorizationError: Error | null) {
      const d = socket.data;
      if (!(d instanceof TlsPending) || d.settled) return; // a later handshake (renegotiation) is the mode's stream's business
      // The handler runs on failures too: a hello that is not TLS, no common version or cipher.
      // A client that leaves without a byte shows up here too (ECONNRESET, "disconnected before secure TLS connection").
      if (!success && d.bytes === 0) return host.failed(socket, d, "ok", "client closed before its ClientHello");
      if (!success)
        return host.failed(
          socket,
          d,
          "TLS_HANDSHAKE_FAILED",
          `handshake failed after ${d.bytes} bytes: ${describeError(authorizationError)}`,
        );
      if (d.tls.verifyClients) {
        const view = socket as unknown as TlsView;
        const peer = view.getPeerCertificate();
        const sent = peer !== null && peer !== undefined && peer.subject !== undefined;
        if (sent && !view.authorized)
          return host.failed(
            socket,
            d,
            "TLS_CLIENT_CERT_REJECTED",
            `client certificate not trusted by clientCa: ${describeError(authorizationError)}`,
          );
        if (!sent && d.tls.requireClientCert)
          return host.failed(socket, d, "TLS_CLIENT_CERT_REJECTED", "no client certificate sent (requireClientCert)");
      }
      const name = (socket as unknown as TlsView).getServername?.();
      host.done(socket, d, {
        kind: "done",
        rest: d.early,
        client: null,
        serverName: typeof name === "string" && name !== "" ? name.toLowerCase() : null,
        tls: true,
      });
    },
    data(socket: Socket<D | TlsPending | null>, chunk: Buffer) {
      const d = socket.data;
      if (!(d instanceof TlsPending)) return inner.data?.(mode(socket), chunk);
      if (!d.settled) d.early = d.early === null ? chunk : Buffer.concat([d.early, chunk]);
    },
    drain(socket: Socket<D | TlsPending | null>) {
      if (!(socket.data instanceof TlsPending)) return inner.drain?.(mode(socket));
    },
    end(socket: Socket<D | TlsPending | null>) {
      const d = socket.data;
      if (!(d instanceof TlsPending)) return inner.end?.(mode(socket));
      left(socket, d);
    },
    close(socket: Socket<D | TlsPending | null>, err?: Error) {
      const d = socket.data;
      if (!(d instanceof TlsPending)) return inner.close?.(mode(socket), err);
      left(socket, d, err);
    },
    error(socket: Socket<D | TlsPending | null>, err: Error) {
      const d = socket.data;
      if (!(d instanceof TlsPending)) return inner.error?.(mode(socket), err);
      host.failed(socket, d, "INTERNAL", `internal error in the TLS stage: ${String(err)}${err.stack ? `\n${err.stack}` : ""}`);
    },
  };
  return handlers as SocketHandler<D | TlsPending | null>;
}

function describeError(err: Error | null | undefined): string {
  if (err === null || err === undefined) return "no reason given";
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" && code !== "" ? `${code}: ${err.message}` : err.message;
}

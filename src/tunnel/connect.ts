import type { Socket, SocketHandler, SocketOptions } from "bun";
import net from "node:net";
import tls from "node:tls";
import { backendTlsOf } from "../edge/tls-load.ts";
import { bunConnectTls } from "../edge/tls-context.ts";
import { proxyHeaderOf } from "./send-proxy.ts";
import type { BackendTlsConfig } from "../config/schema.ts";
import type { Backend } from "../balance/backend.ts";
import { type EndCode, endCodeOf, errorCode } from "../errors.ts";
import { backendTakeOver } from "./backend-handlers.ts";
import { onConnectOpen, retryOrFail } from "./dispatch.ts";
import type { Session } from "./session.ts";

/*
 * Why a backend connect goes through node:net and not Bun.connect (Bun 1.4.4,
 * each fact pinned in test/integration/bun-sockets.test.ts):
 *
 * - Bun.connect cannot be cancelled: no socket exists before `open`, so a
 *   connect warren gives up on stays in SYN_SENT until the kernel gives up
 *   (~130 s). Against a black-holed backend beside a healthy one, 3,000 clients
 *   left 1,500 sockets in SYN_SENT; with `ulimit -n 1024`, 1,467 of 12,000
 *   clients were served before the process ran out of descriptors.
 * - A node:net socket's destroy() while connecting closes it at once, and after
 *   'connect' its `_handle` is a plain Bun socket: reload() gives it warren's
 *   backend handlers, so from then on the relay runs on exactly the socket and
 *   handlers a Bun.connect would have given (same events, half-open, no byte
 *   lost even when the backend greets on accept). Same syscalls per connect.
 * - The price is paid per connect, never per byte: node's socket object is
 *   built and dropped each time (~5-10 µs more user CPU per connect in a
 *   microbenchmark; ~20 µs more proxy CPU per connection end to end, noisy),
 *   and its garbage shows in RSS until the GC catches up. A hostname backend is
 *   resolved by node's dns.lookup on every connect (~0.2 ms more than
 *   Bun.connect's cached resolution here); IP backends skip the lookup.
 * - The other route, a non-blocking socket made with bun:ffi (libc socket and
 *   connect) passed to Bun.connect({ fd }), was tried and rejected: `open` fires
 *   at once, with SO_ERROR 0, while the socket is still in SYN_SENT, and a
 *   refused connect shows up as drain, end and close with no error; telling
 *   connected from refused needs getsockopt(SO_ERROR) on the first drain, and
 *   the route needs its own DNS, sockaddr encoding (IPv6 zone ids included) and
 *   per-OS constants.
 */

/**
 * Attempt is one backend connect of a session, cancellable until it opens
 * (cancelConnect): a ConnectAttempt for plain TCP, or a node:tls socket for a
 * listener with backendTls. Either is a node socket only until it is
 * connected (TLS: handshake done and verified); then its native Bun socket
 * (a TLS one for TLS) is taken over and this object is dropped.
 */
export interface Attempt extends net.Socket {
  readonly session: Session;
  /** The backend this attempt counts against (Backend.connecting) until it settles. */
  readonly backend: Backend;
  /** node's native socket (not in @types/node): a plain or TLS Bun socket once connected. */
  _handle: Socket<Session> | null;
  /** Whether it is a TLS connect (its failures past the TCP connect are TLS_VERIFY_FAILED). */
  readonly tls: boolean;
}

/** ConnectAttempt is a plain TCP attempt (see Attempt). */
export class ConnectAttempt extends net.Socket implements Attempt {
  readonly tls = false;
  /** node:net's native socket (not in @types/node): a plain Bun socket once 'connect' fired. */
  declare _handle: Socket<Session> | null;

  constructor(
    readonly session: Session,
    /** The backend this attempt counts against (Backend.connecting) until it settles. */
    readonly backend: Backend,
  ) {
    super();
  }
}

/**
 * startConnect begins the session's connect to `target` and makes it the one
 * the session waits for. The listeners are module-level functions: no closure.
 */
export function startConnect(s: Session, target: Backend): void {
  // With sendProxy the header must precede the ClientHello in plaintext: a plain connect, then upgradeTLS (upgradeAfterHeader).
  if (s.config.backendTls !== null && s.config.sendProxy === null) return startTlsConnect(s, target, s.config.backendTls);
  const attempt = new ConnectAttempt(s, target);
  attempt.on("connect", onAttemptConnect);
  attempt.on("error", onAttemptError);
  s.connecting = attempt;
  target.connecting++;
  // node only reads host and port (or path) from the options (no TLS here), so the backend's own address object will do for TCP.
  const a = target.address;
  attempt.connect(a.unix !== undefined ? { path: a.unix } : a);
}

/**
 * startTlsConnect is startConnect through node:tls: the same cancellable connect
 * and takeover (pinned in test/integration/bun-tls.test.ts: after
 * 'secureConnect' its `_handle` is a Bun TLS socket that takes reload() as a
 * plain one does). node:tls verifies the chain and the name (rejectUnauthorized)
 * before 'secureConnect'; a failure is an 'error' with the OpenSSL or node code.
 * The connect timeout covers the handshake too.
 */
function startTlsConnect(s: Session, target: Backend, cfg: BackendTlsConfig): void {
  const bt = backendTlsOf(cfg);
  const a = target.address;
  // An IP address is no SNI (RFC 6066); node then checks the certificate against the IP itself.
  const servername = bt.serverName ?? (a.unix !== undefined || net.isIP(a.host) !== 0 ? undefined : a.host);
  const where = a.unix !== undefined ? { path: a.unix } : { host: a.host, port: a.port };
  const attempt = tls.connect({ ...bt.options, ...where, ...(servername === undefined ? {} : { servername }) }) as unknown as Attempt & {
    session: Session;
    backend: Backend;
    tls: boolean;
  };
  Object.assign(attempt, { session: s, backend: target, tls: true });
  attempt.on("secureConnect", onAttemptConnect);
  attempt.on("error", onAttemptError);
  s.connecting = attempt;
  target.connecting++;
}

/**
 * cancelConnect gives up the session's connect in flight, if any (timed out,
 * failed, or the session ended). A socket still connecting is closed now
 * rather than when the kernel gives up; one node has already failed is left
 * as it is.
 */
export function cancelConnect(s: Session): void {
  const handshaking = s.tlsHandshaking;
  if (handshaking !== null) {
    s.tlsHandshaking = null;
    handshaking.terminate();
  }
  const attempt = s.connecting;
  if (attempt === null) return;
  settle(s, attempt);
  attempt.destroy();
}

/**
 * settle ends the attempt's time in flight: it is no longer the one the session
 * waits for, and no longer counts against its backend's maxConnectingPerBackend.
 * Every path out of connecting comes through here exactly once.
 */
function settle(s: Session, attempt: Attempt): void {
  s.connecting = null;
  attempt.backend.connecting--;
}

function onAttemptConnect(this: Attempt): void {
  const s = this.session;
  const backend = this._handle;
  if (s.connecting !== this || backend === null) {
    this.destroy(); // given up meanwhile (node emits no 'connect' once destroyed, so this is only a guard)
    return;
  }
  settle(s, this);
  if (!this.tls && s.config.backendTls !== null) return upgradeAfterHeader(s, backend, this.backend, s.config.backendTls);
  backend.reload(backendTakeOver);
  releaseNodeSocket(backend);
  onConnectOpen(s, backend);
}

/**
 * upgradeAfterHeader is backendTls with sendProxy: the PROXY header goes out in plaintext on the fresh
 * TCP connection, then the socket is upgraded in place (socket.upgradeTLS) and the session waits for
 * the handshake, verified as a node:tls connect is, within the same connect timeout. The raw socket
 * gets no-op handlers first: after the upgrade it still receives the ciphertext as `data` (pinned in
 * bun-tls.test.ts), which is the TLS socket's business.
 */
function upgradeAfterHeader(s: Session, raw: Socket<Session>, target: Backend, cfg: BackendTlsConfig): void {
  raw.reload(rawTakeOver);
  releaseNodeSocket(raw);
  const header = proxyHeaderOf(s)!;
  if (raw.write(header) !== header.byteLength) return retryOrFail(s, "ECONNRESET"); // a fresh socket takes 100-odd bytes at once, or it is gone
  const host = target.address.unix === undefined ? target.address.host : undefined;
  const upgraded = (raw as unknown as Upgradable).upgradeTLS({
    tls: bunConnectTls(backendTlsOf(cfg), host),
    socket: afterHeaderHandlers,
    data: s,
  });
  s.tlsHandshaking = upgraded[1];
}

interface Upgradable {
  upgradeTLS(options: { tls: Record<string, unknown>; socket: SocketHandler<Session>; data: Session }): [Socket<Session>, Socket<Session>];
}

function ignore(): void {}

const rawTakeOver = { socket: { data: ignore, drain: ignore, end: ignore, close: ignore, error: ignore } } satisfies Pick<
  SocketOptions<Session>,
  "socket"
>;

/** Bun reports an unverified chain as a successful handshake with authorized = false: checked here. */
function onAfterHeaderHandshake(t: Socket<Session>, success: boolean): void {
  const s = t.data;
  if (s.tlsHandshaking !== t) return void t.terminate(); // given up meanwhile (timed out, the client left)
  s.tlsHandshaking = null;
  if (!success || (s.config.backendTls?.verify !== false && !t.authorized)) {
    t.terminate();
    return retryOrFail(s, "TLS_VERIFY_FAILED");
  }
  t.reload(backendTakeOver);
  onConnectOpen(s, t, true);
}

function onAfterHeaderClose(t: Socket<Session>, err?: Error): void {
  const s = t.data;
  if (s.tlsHandshaking !== t) return;
  s.tlsHandshaking = null;
  retryOrFail(s, err === undefined ? "TLS_VERIFY_FAILED" : attemptCode({ tls: true }, errorCode(err)));
}

const afterHeaderHandlers = {
  handshake: onAfterHeaderHandshake,
  data: ignore,
  drain: ignore,
  end: ignore,
  close: onAfterHeaderClose,
  error: ignore,
} satisfies SocketHandler<Session>;

function onAttemptError(this: Attempt, err: Error): void {
  if (this.session.connecting !== this) return; // an attempt already given up
  retryOrFail(this.session, attemptCode(this, errorCode(err)));
}

/**
 * attemptCode counts a failed connect: refused, unresolvable or reset as on plain TCP; anything else
 * on a TLS connect (a chain or name that does not verify, a backend that does not speak TLS) as
 * TLS_VERIFY_FAILED, which is retried on another backend and counted by passive health like any
 * failed connect.
 */
export function attemptCode(attempt: { readonly tls: boolean }, raw: string): EndCode {
  const code = endCodeOf(raw);
  return attempt.tls && code === "SOCKET_ERROR" ? "TLS_VERIFY_FAILED" : code;
}

/** The Bun socket's symbol-keyed reference to its node socket; null when this Bun has none. */
let ownerKey: symbol | null | undefined;

/**
 * releaseNodeSocket drops the Bun socket's reference back to the node socket
 * that made it, as node:net itself does when such a socket closes. Kept, it
 * holds ~1.1 KB of node socket per live session (heap measured at 1,351 B per
 * connection against 266 B for Bun.connect; 329 B with the reference dropped).
 */
function releaseNodeSocket(backend: Socket<Session>): void {
  if (ownerKey === undefined) {
    ownerKey = Object.getOwnPropertySymbols(backend).find((k) => k.description === "owner_symbol") ?? null;
  }
  if (ownerKey !== null) Reflect.set(backend, ownerKey, null);
}

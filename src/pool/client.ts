import type { Socket } from "bun";
import type { ListenerConfig } from "../config/schema.ts";
import type { EndCode, Side } from "../errors.ts";
import type { FrameScanner } from "../framing/index.ts";
import type { ClientInfo } from "../listener/listener.ts";
import type { SessionRecord } from "../listener/mode.ts";
import { PendingBytes } from "../util/pending.ts";
import { Ring } from "../util/ring.ts";
import type { BackendPool } from "./backend-pool.ts";
import type { PooledConn } from "./conn.ts";
import { PartialRequest } from "./partial.ts";
import type { PoolRuntime } from "./runtime.ts";

/**
 * Where a pooled client is in its life:
 * - `open`: requests are read and forwarded;
 * - `draining`: no more input is read (QUIT, a malformed request, the client's FIN, shutdown): the replies
 *   it is owed are delivered, then it is closed;
 * - `closed`: gone; every count it was in has been left.
 * It moves only forward: open → draining → closed, or open → closed.
 */
export type ClientState = "open" | "draining" | "closed";

const CLIENT_NEXT: { readonly [S in ClientState]: readonly ClientState[] } = {
  open: ["draining", "closed"],
  draining: ["closed"],
  closed: [],
};

/** moveClient changes a pooled client's state along one of its transitions (draining twice is a no-op); anything else is a bug. */
export function moveClient(c: PoolClient, next: ClientState): void {
  if (c.state === next && next === "draining") return;
  if (!CLIENT_NEXT[c.state].includes(next)) throw new Error(`pooled client ${c.id}: ${c.state} → ${next} is not a transition`);
  c.state = next;
}

/** Pin bits: while any is set the client keeps its connection to itself. */
export const PIN_TXN = 1;
export const PIN_WATCH = 2;
export const PIN_LIFE = 4;

/** FIFO flags of a request: how its replies are counted and what its connection must do. */
export const F_ERROR_ENDS = 1; // a first reply that is an error is the only reply (UNSUBSCRIBE family)
export const F_PUSH = 2; // its replies may be RESP3 pushes (UNSUBSCRIBE family)
export const F_BLOCKING = 4; // may block: exempt from the reply timeout; its client leaving closes the connection
export const F_RETIRE = 8; // the connection is closed once this reply is in
export const F_ENDS_PIN = 16; // EXEC, DISCARD, UNWATCH: an error reply leaves the connection's state unknown (retired)

/**
 * Outgoing is one entry of a client's ordered outbox: request bytes to forward (`count` replies expected)
 * or a reply warren makes itself (`isLocal`), emitted once every earlier reply has been delivered, so the
 * client sees replies in request order. What a request does to pins is decided when it is read (in order,
 * as Redis applies it) and carried here, so the pump only has to place it.
 */
export class Outgoing {
  /** For a request too large to buffer: its pieces not yet written, in order (chunk views, no copy). */
  pieces: Ring<Uint8Array> | null = null;
  /** For a streamed request: its last byte has been read. */
  complete = true;
  /** For a streamed request: its replies are in the connection's FIFO (done with its first piece). */
  registered = false;
  /** Close the client after this local reply (QUIT, a malformed request, the client's FIN). */
  closeAfter = false;
  /** A successful HELLO: the reply (the server's facts in this protocol) is made when it is emitted. */
  helloProto = 0;
  /** RESET: the client's pinned connection is dropped when the reply is emitted. */
  resetsPins = false;
  constructor(
    readonly isLocal: boolean,
    public bytes: Uint8Array,
    /** Replies expected (requests; 0 in pass-through). */
    public count: number,
    /** F_* flags of its replies. */
    readonly flags: number,
    /** Pin bits in effect after this request (the client's pins as it was read). */
    readonly pinAfter: number,
    /** The connection turns pass-through when this request is written (SUBSCRIBE, a dirty EXEC…). */
    readonly rawAfter: boolean,
    /** Needs a connection of its own for its duration (blocking, retiring, streamed). */
    readonly exclusive: boolean,
    /** The RESP protocol of the connection it must go to (2 or 3). */
    readonly proto: number,
  ) {}
}

/** localEntry is an outbox entry for a reply warren makes itself. */
export function localEntry(bytes: Uint8Array, closeAfter = false): Outgoing {
  const item = new Outgoing(true, bytes, 0, 0, 0, false, false, 2);
  item.closeAfter = closeAfter;
  return item;
}

/**
 * PoolClient is one client connection of a pooled listener: the `data` of its socket. Requests are framed
 * as they arrive and queued in `outbox` until they are written, whole or streamed, to the connection the
 * client is bound to; replies come back by the connection's FIFO.
 */
export class PoolClient {
  state: ClientState = "open";
  readonly outbox = new Ring<Outgoing>();
  /** The last entry pushed to the outbox, for merging back-to-back requests into one write. */
  tail: Outgoing | null = null;
  outboxBytes = 0;
  /** The bytes of a request that is not complete yet (copied, bounded; see PartialRequest). */
  readonly partial = new PartialRequest();
  /** The outbox entry being streamed (a request too large to buffer), until its last byte. */
  stream: Outgoing | null = null;

  // What the client has asked for so far, as Redis would apply it: updated as requests are read.
  /** RESP protocol version (HELLO). */
  proto = 2;
  /** CLIENT SETNAME, CLIENT SETINFO, answered by warren. */
  name = "";
  libName = "";
  libVer = "";
  /** AUTH succeeded, or no clientPassword is configured. */
  authenticated: boolean;
  /** Pin bits after the last request read. */
  readPin = 0;
  /** After a pass-through request was read: everything after it is forwarded as-is. */
  readRaw = false;
  /** Inside MULTI, a command warren would otherwise interpret was queued: EXEC turns the connection pass-through. */
  readTxnDirty = false;

  // Where the client's requests are now.
  /** The pooled connection this client is bound to, or null. */
  conn: PooledConn | null = null;
  /** The backend pool the client is bound to or waits in. */
  pool: BackendPool | null = null;
  /** Replies expected from the bound connection. */
  inFlight = 0;
  /** Blocking commands of this client in flight (their connection is closed if the client leaves). */
  blockingInFlight = 0;
  /** Pin bits in effect on the bound connection. */
  pin = 0;
  waiting = false;
  /** Waiting for the pin caps to allow one more pinned connection (BackendPool.pinWaiters). */
  waitingPin = false;
  waitingSince = 0;
  /** Whether the request being waited for needs a connection of its own, and of which protocol. */
  waitExclusive = false;
  waitProto = 2;
  readPaused = false;

  /** Reply bytes the client has not accepted yet. */
  readonly toClient = new PendingBytes();
  /** Connections this client's slow reading paused; each is resumed when the last client that paused it drains. */
  pausedConns: PooledConn[] = [];
  pausedSince = 0;

  readonly scanner: FrameScanner;
  /** Bytes read from and written to this client, for the idle sweep and the access log. */
  bytesIn = 0;
  bytesOut = 0;
  /** Bytes of its requests written to backends, and of replies routed to it from them. */
  bytesToBackend = 0;
  bytesFromBackend = 0;
  /** The backend of the connection it was last bound to, for the access log. */
  lastBackend: string | null = null;
  readonly startedAt: number;
  /** For the idle sweep: the byte total last seen, and since when it has not moved. */
  lastActivity = 0;
  idleSince: number;
  /** Pinned connections this client holds, counted toward its address's maxPinnedPerClient. */
  pinnedHeld = 0;
  /** How the client ended ("ok" unless a limit or failure closed it), and who was at fault. */
  endCode: EndCode = "ok";
  endSide: Side = "client";
  /** Requests of this client that warren failed (queue timeout, connection lost, refused…), and the last code. */
  failedRequests = 0;
  lastFailure: string | null = null;

  constructor(
    readonly id: number,
    readonly runtime: PoolRuntime,
    readonly socket: Socket<PoolClient>,
    readonly info: ClientInfo,
    /** The listener's settings when the client connected: a reload applies to new clients. */
    readonly config: ListenerConfig,
    now: number,
  ) {
    this.scanner = runtime.framers.request.create();
    this.authenticated = runtime.config.clientPassword === null;
    this.startedAt = now;
    this.idleSince = now;
  }

  get closed(): boolean {
    return this.state === "closed";
  }

  get address(): string {
    return this.info.address;
  }
}

/** record is what an ended pooled client reports to its listener (counters, access log). */
export function record(c: PoolClient): SessionRecord {
  return {
    id: c.id,
    mode: "pool",
    clientAddress: c.info.address,
    clientPort: c.info.port,
    peer: c.info.peer,
    upstreamId: c.info.upstreamId,
    sni: c.info.sni,
    route: c.info.route?.sni ?? null,
    backendKey: c.lastBackend,
    bytesFromClient: c.bytesIn,
    bytesToClient: c.bytesOut,
    bytesToBackend: c.bytesToBackend,
    bytesFromBackend: c.bytesFromBackend,
    startedAt: c.startedAt,
    endCode: c.endCode,
    endSide: c.endSide,
    firstFin: null,
    failedRequests: c.failedRequests,
    lastFailure: c.lastFailure,
    countedPerClient: c.info.countedPerClient,
  };
}

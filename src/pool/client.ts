import type { Socket } from "bun";
import type { FrameScanner } from "../framing/index.ts";
import { PendingBytes } from "../proxy/pending.ts";
import { WaitQueue } from "../proxy/wait-queue.ts";
import type { BackendPool } from "./backend-pool.ts";
import type { PooledConn } from "./conn.ts";
import type { PoolRuntime } from "./runtime.ts";

/**
 * Outgoing is one entry of a client's ordered outbox: either request bytes to
 * forward (`count` complete requests, so `count` replies are expected) or a
 * reply warren makes itself (`local`), emitted only once every earlier request
 * has been answered, so the client sees replies in request order.
 */
export class Outgoing {
  constructor(
    public bytes: Uint8Array,
    public count: number,
    /** RULE_* from resp-rules.ts (RULE_NONE for non-RESP framers). */
    readonly rule: number,
    readonly local: boolean,
    /** Close the client after this local reply (QUIT, malformed request). */
    readonly closeAfter: boolean,
  ) {}
}

/**
 * PoolClient is one client connection of a pooled listener: the `data` of its
 * socket. Requests are framed as they arrive and queued in `outbox` until they
 * are written, whole, to the connection the client is bound to.
 */
export class PoolClient {
  /** Pieces of a request that is not complete yet (kept chunks, no copy until it completes). */
  partial: Uint8Array[] = [];
  partialBytes = 0;
  readonly outbox = new WaitQueue<Outgoing>();
  /** The last entry pushed to the outbox, for merging back-to-back requests into one write. */
  tail: Outgoing | null = null;
  outboxBytes = 0;
  /** The pooled connection this client is bound to, or null. */
  conn: PooledConn | null = null;
  /** The backend pool the client is bound to or waits in. */
  pool: BackendPool | null = null;
  /** Replies expected from the bound connection. */
  inFlight = 0;
  /** PIN_* bits: while non-zero the client keeps its connection exclusively. */
  pin = 0;
  waiting = false;
  waitingSince = 0;
  /** Whether the request being waited for needs a connection of its own. */
  waitExclusive = false;
  /** Input after QUIT or a malformed request is ignored. */
  stopReading = false;
  readPaused = false;
  closed = false;
  /** Reply bytes the client has not accepted yet. */
  readonly toClient = new PendingBytes();
  /** The connection paused because this client reads slowly; resumed when toClient drains. */
  pausedConn: PooledConn | null = null;
  readonly scanner: FrameScanner;
  /** Bytes read from and written to this client, for the idle sweep. */
  bytesIn = 0;
  bytesOut = 0;
  readonly startedAt: number;
  /** For the idle sweep: the byte total last seen, and since when it has not moved. */
  lastActivity = 0;
  idleSince: number;
  /** Whether this client counts toward its address's maxConnectionsPerClient. */
  countedPerClient = false;
  /** How the client ended, counted in the listener's `ends` ("ok" unless a limit or failure closed it). */
  endCode = "ok";

  constructor(
    readonly runtime: PoolRuntime,
    readonly socket: Socket<PoolClient>,
    readonly address: string,
    now: number,
  ) {
    this.scanner = runtime.framers.request.create();
    this.startedAt = now;
    this.idleSince = now;
  }
}

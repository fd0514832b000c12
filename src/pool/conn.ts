import type { Socket } from "bun";
import type { FrameScanner } from "../framing/index.ts";
import { PendingBytes } from "../util/pending.ts";
import { Ring } from "../util/ring.ts";
import type { BackendPool } from "./backend-pool.ts";
import type { PoolClient } from "./client.ts";

/**
 * Where a pooled connection is in its life:
 * - `connecting`: the TCP connect is in flight (bounded by connectTimeoutMs);
 * - `setup`: open, and warren's own HELLO/AUTH is in flight (RESP; the same deadline);
 * - `ready`: serving clients;
 * - `closing`: told to QUIT to make room for a connection of the other protocol; it keeps its place in
 *   the pool's size until Redis has closed it, so Redis never sees more than maxPerBackend connections;
 * - `closed`: gone (failed, lost, or closed on purpose); never reused.
 * It moves only forward; a connection that fails setup goes straight to closed.
 */
export type ConnState = "connecting" | "setup" | "ready" | "closing" | "closed";

const CONN_NEXT: { readonly [S in ConnState]: readonly ConnState[] } = {
  connecting: ["setup", "ready", "closed"],
  setup: ["ready", "closed"],
  ready: ["closing", "closed"],
  closing: ["closed"],
  closed: [],
};

/** moveConn changes a pooled connection's state along one of its transitions; anything else is a bug. */
export function moveConn(conn: PooledConn, next: ConnState): void {
  if (!CONN_NEXT[conn.state].includes(next))
    throw new Error(`pooled connection to ${conn.pool.backend.key}: ${conn.state} → ${next} is not a transition`);
  conn.state = next;
}

/** FifoEntry says that the next `count` replies on a connection belong to `client` (null: warren's own setup). */
export class FifoEntry {
  /** The replies this entry started with (for F_ERROR_ENDS: is this its first reply?). */
  readonly total: number;
  constructor(
    readonly client: PoolClient | null,
    public count: number,
    /** F_* flags from client.ts. */
    readonly flags: number,
  ) {
    this.total = count;
  }
}

/**
 * PooledConn is one backend connection of a pool: the `data` of its socket. Replies are routed by `fifo`,
 * in the order requests were written (twemproxy's model), so a reply can only reach the client whose
 * request it answers.
 */
export class PooledConn {
  socket: Socket<PooledConn> | null = null;
  state: ConnState = "connecting";
  /** The client holding this connection to itself (exclusive mode, a pin, a blocking or streamed request), or null. */
  owner: PoolClient | null = null;
  readonly fifo = new Ring<FifoEntry>();
  fifoTail: FifoEntry | null = null;
  /** Pass-through (after SUBSCRIBE/MONITOR, a dirty EXEC): every byte goes to the owner unframed, uncounted. */
  raw = false;
  /** Request bytes the backend has not accepted yet. */
  readonly toBackend = new PendingBytes();
  /** Clients that stopped writing because toBackend is over the high-water mark. */
  blocked: PoolClient[] = [];
  connectTimer: ReturnType<typeof setTimeout> | null = null;
  /** Clients whose slow reading paused this connection; it reads again when the last one drains or leaves. */
  pausedBy = 0;
  /** Counted in the pool's paused connections (BackendPool.paused): paused while not pinned. */
  heldPaused = false;
  /** Blocking commands in flight here. */
  blockingInFlight = 0;
  /** Close the connection once no reply is outstanding (CLIENT KILL, SHUTDOWN, DEBUG ran here). */
  retire = false;
  /** Counted in the pool's pinned connections (owner pinned, raw, or a blocking command in flight). */
  pinned = false;
  /** Set while this connection is in this pass's batch list (backend-writes.ts). */
  batched = false;
  /** The reply frame being read is an out-of-band RESP3 push no request asked for: dropped. */
  dropping = false;
  /** First byte of the reply frame being read (for F_ERROR_ENDS). */
  frameFirst = 0;
  /** Bytes received, and what the last sweep saw with when it last moved: the reply timeout. */
  bytesIn = 0;
  sweptBytes = 0;
  progressAt = 0;
  /** The bytes of warren's setup reply read so far (setup state only). */
  setupReply: Uint8Array[] = [];
  /** Setup fell back to a plain AUTH (a server without HELLO). */
  legacySetup = false;
  /** When the connect began (performance.now() ms), for the connect-duration histogram. */
  readonly startedAt: number;
  /** The code a failed connect or setup is counted under (Backend.connectErrors); set where it fails. */
  failCode = "SETUP_FAILED";
  readonly scanner: FrameScanner;

  constructor(
    readonly pool: BackendPool,
    /** RESP protocol version the connection speaks (2 or 3; 2 for other framers). */
    readonly proto: number,
    now: number,
  ) {
    this.scanner = pool.runtime.framers.response.create();
    this.progressAt = now;
    this.startedAt = now;
  }

  /** expect records that `count` more replies on this connection belong to `client`. */
  expect(client: PoolClient, count: number, flags: number): void {
    const tail = this.fifoTail;
    if (flags === 0 && tail !== null && tail.flags === 0 && this.fifo.length > 0 && tail.client === client) {
      tail.count += count;
      return;
    }
    const entry = new FifoEntry(client, count, flags);
    this.fifo.push(entry);
    this.fifoTail = entry;
  }

  /** Free for an exclusive binding: ready, unowned, nothing in flight, not paused. */
  get free(): boolean {
    return this.state === "ready" && this.owner === null && this.fifo.length === 0 && this.pausedBy === 0 && !this.retire;
  }

  /** Usable for shared requests: ready, unowned, not paused, not retiring. */
  get shareable(): boolean {
    return this.state === "ready" && this.owner === null && this.pausedBy === 0 && !this.retire;
  }
}

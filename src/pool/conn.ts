import type { Socket } from "bun";
import type { FrameScanner } from "../framing/index.ts";
import { PendingBytes } from "../proxy/pending.ts";
import { WaitQueue } from "../proxy/wait-queue.ts";
import type { BackendPool } from "./backend-pool.ts";
import type { PoolClient } from "./client.ts";

export const CONN_CONNECTING = 0;
export const CONN_OPEN = 1;
export const CONN_CLOSED = 2;

/** Connections with requests queued in this event-loop pass; flushed by one setImmediate. */
const batched: PooledConn[] = [];
let onFlushed: (conn: PooledConn) => void = () => {};

/** setFlushHandler wires what runs after a connection's batch is written (conn-handlers: unblock clients). */
export function setFlushHandler(fn: (conn: PooledConn) => void): void {
  onFlushed = fn;
}

/**
 * flushBatches writes every batched connection's queued requests, one write
 * each (PendingBytes merges small chunks). Runs after the pass's socket events,
 * so everything those events queued goes out together.
 */
function flushBatches(): void {
  for (let i = 0; i < batched.length; i++) {
    const conn = batched[i]!;
    conn.batched = false;
    onFlushed(conn);
  }
  batched.length = 0;
}

/** FifoEntry says that the next `count` replies on a connection belong to `client`. */
export class FifoEntry {
  constructor(
    readonly client: PoolClient,
    public count: number,
  ) {}
}

/**
 * PooledConn is one backend connection of a pool: the `data` of its socket.
 * Replies are routed by `fifo`, in the order requests were written (twemproxy's
 * model), so a reply can only reach the client whose request it answers.
 */
export class PooledConn {
  socket: Socket<PooledConn> | null = null;
  state = CONN_CONNECTING;
  /** The client holding this connection exclusively (exclusive mode, or a pinned client), or null. */
  owner: PoolClient | null = null;
  readonly fifo = new WaitQueue<FifoEntry>();
  fifoTail: FifoEntry | null = null;
  /** Pass-through (after SUBSCRIBE/MONITOR): every byte goes to the owner unframed. */
  raw = false;
  /** Request bytes the backend has not accepted yet. */
  readonly toBackend = new PendingBytes();
  /** Clients that stopped writing because toBackend is over the high-water mark. */
  blocked: PoolClient[] = [];
  connectTimer: ReturnType<typeof setTimeout> | null = null;
  paused = false;
  readonly scanner: FrameScanner;

  constructor(readonly pool: BackendPool) {
    this.scanner = pool.runtime.framers.response.create();
  }

  /** expect records that `count` more replies on this connection belong to `client`. */
  expect(client: PoolClient, count: number): void {
    const tail = this.fifoTail;
    if (tail !== null && this.fifo.length > 0 && tail.client === client) {
      tail.count += count;
      return;
    }
    const entry = new FifoEntry(client, count);
    this.fifo.push(entry);
    this.fifoTail = entry;
  }

  /**
   * send queues request bytes for the backend. They are written once per
   * event-loop pass for all clients together (flushBatches): requests of many
   * clients arriving in one pass leave as one write, as twemproxy's writev does,
   * instead of one small segment each. Returns false if the socket is closed.
   */
  send(bytes: Uint8Array): boolean {
    if (this.socket === null) return false;
    this.toBackend.push(bytes);
    if (!this.batched) {
      this.batched = true;
      batched.push(this);
      if (batched.length === 1) setImmediate(flushBatches);
    }
    return true;
  }

  /** Set while this connection is in this pass's batch list. */
  batched = false;

  /** Free for an exclusive binding: open, unowned, nothing in flight. */
  get free(): boolean {
    return this.state === CONN_OPEN && this.owner === null && this.fifo.length === 0;
  }
}

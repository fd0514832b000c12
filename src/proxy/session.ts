import type { Socket } from "bun";
import type { Backend } from "../balance/backend.ts";
import type { Side } from "../errors.ts";
import type { ConnectAttempt } from "./connect.ts";
import type { ListenerRuntime } from "./listener.ts";
import { PendingBytes } from "./pending.ts";

/** Where a session is in its life; it only moves forward. */
export enum SessionState {
  /** Waiting for a backend slot: every usable backend is at its maxConnections. */
  Queued = 0,
  /** The backend connect is in flight. */
  Connecting = 1,
  /** Both sockets are open (each direction may be half-closed). */
  Open = 2,
  /** Finished: both sockets are closed or being closed; counted and logged. */
  Closed = 3,
}

/** Session end code for a conversation that ended by FINs from both sides. */
export const END_OK = "ok";

/**
 * Session pairs one client socket with its backend socket; both sockets'
 * `data` point here. Every field is set in the constructor so every session
 * has one shape. Per-chunk work touches only the byte counters and queues.
 */
export class Session {
  state = SessionState.Connecting;
  backend: Socket<Session> | null = null;
  /** The backend chosen for this session (counted in its `active` while live). */
  target: Backend | null = null;
  /** Client bytes the backend has not accepted yet (includes early data). */
  readonly toBackend = new PendingBytes();
  /** Backend bytes the client has not accepted yet. */
  readonly toClient = new PendingBytes();
  bytesFromClient = 0;
  bytesFromBackend = 0;

  /** The client sent FIN (or vanished); no more client bytes will come. */
  clientEof = false;
  /** The backend sent FIN (or vanished). */
  backendEof = false;
  /** We sent FIN to the backend, or it can no longer receive: client→backend is done. */
  toBackendDone = false;
  /** We sent FIN to the client, or it can no longer receive: backend→client is done. */
  toClientDone = false;
  clientPaused = false;
  backendPaused = false;
  /** Who sent the first FIN, for the access log. */
  firstFin: Side | null = null;

  readonly startedAt: number;
  /** When the current wait began: queued for a slot, or connecting (the state says which). */
  phaseStartedAt: number;
  /** For the idle sweep: the byte total last seen, and since when it has not moved. */
  lastActivity = 0;
  idleSince: number;

  /** The backend connect in flight; null once it opened or was given up (only set while Connecting). */
  connecting: ConnectAttempt | null = null;
  /** Connect attempts made so far, and the backends that failed (null until a retry). */
  attempts = 0;
  tried: Backend[] | null = null;
  /** Whether this session counts toward its address's per-client limit. */
  countedPerClient = false;

  endCode = "";
  endSide: Side | null = null;
  endedAt = 0;

  /**
   * Written by node:net, not warren: right after 'connect' it sets `req` on the
   * backend socket's data, which by then is this session (connect.ts). Declared
   * so that write does not give sessions a second shape. Pinned in bun-sockets.test.ts.
   */
  req: undefined = undefined;

  constructor(
    readonly id: number,
    readonly client: Socket<Session>,
    readonly listener: ListenerRuntime,
    readonly clientAddress: string,
    readonly clientPort: number,
    now: number,
  ) {
    this.startedAt = now;
    this.phaseStartedAt = now;
    this.idleSince = now;
  }
}

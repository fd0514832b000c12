import type { Socket } from "bun";
import type { Backend } from "../balance/backend.ts";
import type { ListenerConfig } from "../config/schema.ts";
import type { EndCode, Side } from "../errors.ts";
import type { ClientInfo, Listener } from "../listener/listener.ts";
import type { SessionRecord } from "../listener/mode.ts";
import { PendingBytes } from "../util/pending.ts";
import type { Attempt } from "./connect.ts";
import type { TunnelMode } from "./mode.ts";

/**
 * Where a tunnel session is in its life. The transitions it really makes, and only these (moveTo checks):
 * - new → queued (every usable backend is full) | connecting | closed (no backend usable);
 * - queued → connecting (a slot freed) | closed (queue timeout, shutdown);
 * - connecting → open | connecting (the connect failed or timed out: another backend is tried) | closed;
 * - open → connecting (reset before any byte moved: as good as a failed connect, retried) | closed;
 * - closed: final.
 */
export type SessionState = "new" | "queued" | "connecting" | "open" | "closed";

const NEXT: { readonly [S in SessionState]: readonly SessionState[] } = {
  new: ["queued", "connecting", "closed"],
  queued: ["connecting", "closed"],
  connecting: ["connecting", "open", "closed"],
  open: ["connecting", "closed"],
  closed: [],
};

/**
 * How one direction of an open session flows: `flowing`; `ending` once its source sent FIN (the bytes
 * queued toward the sink are still being written); `ended` once the FIN was passed on, or the sink can
 * receive nothing more. It moves only forward: flowing → ending → ended, or flowing → ended.
 */
export type Flow = "flowing" | "ending" | "ended";

/**
 * Session pairs one client socket with its backend socket; both sockets' `data` point here. Every field
 * is set in the constructor so every session has one shape. Per-chunk work touches only the byte
 * counters, the flows and the queues.
 */
export class Session {
  state: SessionState = "new";
  /** Client → backend, and backend → client. */
  up: Flow = "flowing";
  down: Flow = "flowing";
  backend: Socket<Session> | null = null;
  /** The backend chosen for this session (counted in its `active` while live). */
  target: Backend | null = null;
  /** Client bytes the backend has not accepted yet (includes early data). */
  readonly toBackend = new PendingBytes();
  /** Backend bytes the client has not accepted yet. */
  readonly toClient = new PendingBytes();
  bytesFromClient = 0;
  bytesFromBackend = 0;
  /** Backpressure, not lifecycle: a source paused because its sink's queue reached highWaterBytes. */
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

  /** The backend connect in flight; null once it opened or was given up (only set while connecting). */
  connecting: Attempt | null = null;
  /** backendTls with sendProxy: the TLS socket whose handshake follows the plaintext header, until it is done or given up. */
  tlsHandshaking: Socket<Session> | null = null;
  /** Connect attempts made so far, and the backends that failed (null until a retry). */
  attempts = 0;
  tried: Backend[] | null = null;

  endCode: EndCode = "ok";
  endSide: Side = "client";

  /**
   * Written by node:net, not warren: right after 'connect' it sets `req` on the backend socket's data,
   * which by then is this session (connect.ts). Declared so that write does not give sessions a second
   * shape. Pinned in bun-sockets.test.ts.
   */
  req: undefined = undefined;

  constructor(
    readonly id: number,
    readonly client: Socket<Session>,
    readonly mode: TunnelMode,
    readonly info: ClientInfo,
    /**
     * The listener's settings when the session started: a reload applies to new sessions, so a live
     * one keeps the timeouts and limits it was admitted under.
     */
    readonly config: ListenerConfig,
    now: number,
  ) {
    this.startedAt = now;
    this.phaseStartedAt = now;
    this.idleSince = now;
  }

  get listener(): Listener {
    return this.mode.listener;
  }

  get clientAddress(): string {
    return this.info.address;
  }
}

/** isClosed says whether the session has ended (a call, so it is not narrowed away between handlers' steps). */
export function isClosed(s: Session): boolean {
  return s.state === "closed";
}

/** moveTo changes a session's state along one of its transitions; anything else is a bug, and says so. */
export function moveTo(s: Session, next: SessionState): void {
  if (!NEXT[s.state].includes(next)) throw new Error(`session ${s.id}: ${s.state} → ${next} is not a transition`);
  s.state = next;
}

/** record is what an ended session reports to its listener (counters, access log). */
export function record(s: Session): SessionRecord {
  return {
    id: s.id,
    mode: "tunnel",
    clientAddress: s.info.address,
    clientPort: s.info.port,
    peer: s.info.peer,
    upstreamId: s.info.upstreamId,
    sni: s.info.sni,
    route: s.info.route?.sni ?? null,
    backendKey: s.target?.key ?? null,
    bytesFromClient: s.bytesFromClient,
    bytesToClient: s.bytesFromBackend,
    bytesToBackend: s.bytesFromClient,
    bytesFromBackend: s.bytesFromBackend,
    startedAt: s.startedAt,
    endCode: s.endCode,
    endSide: s.endSide,
    firstFin: s.firstFin,
    failedRequests: 0,
    lastFailure: null,
    countedPerClient: s.info.countedPerClient,
  };
}

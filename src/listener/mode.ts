import type { TCPSocketListener } from "bun";
import type { ListenerConfig } from "../config/schema.ts";
import type { EndCode, Side } from "../errors.ts";
import type { PoolStats } from "../stats.ts";
import type { Listener } from "./listener.ts";

/**
 * A Mode is what a listener does with the clients its core admits: `tunnel` relays each client to a
 * backend connection of its own, `pool` shares a few backend connections among many clients. The core
 * (listener.ts) owns binding, accepting, admission, counters, the balancer and health; a mode owns its
 * clients from admission to their end. Adding a mode is adding one folder that implements ModeKind and
 * one line in src/server/modes.ts.
 */
export interface Mode {
  /**
   * bind starts listening with this mode's socket handlers (each mode's sockets carry its own typed
   * data, so the Bun.listen call is the mode's). `open` of an accepted socket must call
   * `listener.accept(socket)`, which admits it (or refuses it and returns null) and returns the client's
   * address; the mode then owns it.
   */
  bind(options: BindOptions): TCPSocketListener<unknown>;
  /** Clients alive now (admitted and not yet ended). */
  readonly liveCount: number;
  /** sweep enforces the mode's timeouts; called by the process's one sweep timer. */
  sweep(now: number): void;
  /** The shortest timeout the mode enforces on the sweep, in ms, so the sweep runs often enough (≤10% late). */
  shortestTimeoutMs(): number;
  /** A backend slot may be free (a session ended, a backend came back or was added): serve waiters. */
  onSlotFreed(): void;
  /** drain starts a graceful close: clients with nothing in progress end now, the others when done. */
  drain(): void;
  /** closeAll ends every client now, counted under `code`. */
  closeAll(code: EndCode): void;
  /** update applies a reload that kept this listener (mode-wide settings; live clients keep their own). */
  update(config: ListenerConfig): void;
  /** stats is the mode's part of the listener's stats. */
  stats(): ModeStats;
  /** liveSessions lists the clients alive now, for the admin API's sessions listing (made on request only). */
  liveSessions(): LiveSession[];
}

/** LiveSession is a live client as its record would read if it ended now, and where it is in its life. */
export interface LiveSession {
  readonly record: SessionRecord;
  /** The session's state (tunnel: new, queued, connecting, open; pool: open, draining). */
  readonly state: string;
}

/** BindOptions is where and how a listener listens: a TCP address, or a unix socket file. */
export type BindOptions =
  | {
      readonly hostname: string;
      readonly port: number;
      /** SO_REUSEPORT: several worker processes listen on the same address and the kernel spreads clients. */
      readonly reusePort?: boolean;
    }
  | { readonly unix: string };

/** ModeStats is merged into ListenerStats: what the mode counts that the core does not. */
export interface ModeStats {
  /** Clients waiting for a backend slot now (tunnel's wait queue). */
  readonly queued: number;
  /** Bytes of live clients not yet folded into the listener's counters. */
  readonly liveBytesFromClients: number;
  readonly liveBytesFromBackends: number;
  /** Bytes queued in warren right now, and the most one client ever queued in one direction. */
  readonly queuedBytes: number;
  readonly peakQueuedBytes: number;
  /** The pool's own stats (pooled mode only). */
  readonly pool?: PoolStats;
}

/** ModeKind makes a listener's Mode and says which config changes it cannot take live. */
export interface ModeKind {
  readonly name: "tunnel" | "pool";
  create(listener: Listener): Mode;
  /** unreloadable says why `next` cannot replace `current` on a live listener (naming the key), or null. */
  unreloadable(current: ListenerConfig, next: ListenerConfig, index: number): string | null;
}

/**
 * SessionRecord is what every ended client reports to its listener, for the counters and the one
 * access-log line: the same fields for both modes.
 */
export interface SessionRecord {
  /** Unique per process (listener.ts nextSessionId). */
  readonly id: number;
  readonly mode: "tunnel" | "pool";
  readonly clientAddress: string;
  readonly clientPort: number;
  /** The socket's own peer when a PROXY header told the client address (the proxy in front), else null. */
  readonly peer: { readonly address: string; readonly port: number } | null;
  /** The UNIQUE_ID of the PROXY header the client came with (ClientInfo.upstreamId), or null. */
  readonly upstreamId: string | null;
  /** The SNI host name its ClientHello named (listeners with routes), or null. */
  readonly sni: string | null;
  /** The SNI route it was sent to (its pattern), or null: the default route, or a listener without routes. */
  readonly route: string | null;
  /** The backend it was relayed to (tunnel) or last bound to (pool), or null. */
  readonly backendKey: string | null;
  /** Bytes warren received from the client, and sent to it. */
  readonly bytesFromClient: number;
  readonly bytesToClient: number;
  /** Bytes of this client's warren sent to backends, and received from them for it. */
  readonly bytesToBackend: number;
  readonly bytesFromBackend: number;
  readonly startedAt: number;
  readonly endCode: EndCode;
  readonly endSide: Side;
  /** Who sent the first FIN (tunnel), or null. */
  readonly firstFin: Side | null;
  /** Requests warren failed for it (pool), and the last failure's code. */
  readonly failedRequests: number;
  readonly lastFailure: string | null;
  /** Whether it was counted toward its address's maxConnectionsPerClient (ClientInfo.countedPerClient). */
  readonly countedPerClient: boolean;
}

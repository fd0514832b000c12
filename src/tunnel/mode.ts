import type { Socket, SocketListener, TCPSocketListener } from "bun";
import type { ListenerConfig } from "../config/schema.ts";
import type { EndCode } from "../errors.ts";
import type { Listener } from "../listener/listener.ts";
import type { BindOptions, LiveSession, Mode, ModeKind, ModeStats } from "../listener/mode.ts";
import { Ring } from "../util/ring.ts";
import { clientHandlers, startSession } from "./client-handlers.ts";
import type { PreambleState } from "../listener/preamble.ts";
import { admitWaiting } from "./dispatch.ts";
import { finishSession } from "./lifecycle.ts";
import { record, type Session } from "./session.ts";
import { sweepSessions } from "./sweep.ts";

/** Which tunnel mode a listening socket belongs to, for an accepted socket's `open`. */
const byServer = new WeakMap<SocketListener<unknown>, TunnelMode>();

/** tunnelOf returns the tunnel mode whose listener accepted `socket`, or undefined once it is gone. */
export function tunnelOf<D>(socket: Socket<D>): TunnelMode | undefined {
  const server = socket.listener;
  return server === undefined ? undefined : byServer.get(server);
}

/**
 * TunnelMode is the 1:1 mode: each admitted client gets a session with a backend connection of its own,
 * and bytes are relayed both ways unchanged (client-handlers.ts, backend-handlers.ts). Sessions wait in
 * `waiting` when every usable backend is full.
 */
export class TunnelMode implements Mode {
  readonly sessions = new Set<Session>();
  /** Sessions waiting for a backend slot (every usable backend at maxConnections or maxConnectingPerBackend). */
  readonly waiting = new Ring<Session>();
  /** The largest per-session queue seen, folded in as sessions end. */
  private peakQueued = 0;

  constructor(readonly listener: Listener) {}

  bind(options: BindOptions): TCPSocketListener<unknown> {
    // The mode is passed, not looked up from the socket: a TLS socket (upgradeTLS) has no `listener`.
    const socket = this.listener.handlers(clientHandlers, (client: Socket<Session>, info, early) =>
      startSession(client, info, early, this),
    );
    const server = Bun.listen<Session | PreambleState | null>({
      ...(options as { hostname: string; port: number }),
      data: null,
      allowHalfOpen: true,
      socket,
    }); // or { unix }: Bun.listen takes either
    byServer.set(server, this);
    return server;
  }

  get liveCount(): number {
    return this.sessions.size;
  }

  sweep(now: number): void {
    sweepSessions(this, now);
  }

  shortestTimeoutMs(): number {
    const c = this.listener.config;
    let shortest = Math.min(c.connectTimeoutMs, c.queueTimeoutMs);
    if (c.idleTimeoutMs > 0) shortest = Math.min(shortest, c.idleTimeoutMs);
    if (c.maxLifetimeMs > 0) shortest = Math.min(shortest, c.maxLifetimeMs);
    return shortest;
  }

  onSlotFreed(): void {
    if (this.waiting.length > 0) admitWaiting(this);
  }

  /** A tunnel session has nothing a drain could cut short: live sessions may finish on their own. */
  drain(): void {}

  closeAll(code: EndCode): void {
    for (const s of [...this.sessions]) finishSession(s, code, "internal");
  }

  /** Sessions keep the settings they started with (Session.config); nothing mode-wide to apply. */
  update(_config: ListenerConfig): void {}

  /** notePeak folds an ending session's largest queue into the listener's peak. */
  notePeak(s: Session): void {
    const peak = Math.max(s.toBackend.peakBytes, s.toClient.peakBytes);
    if (peak > this.peakQueued) this.peakQueued = peak;
  }

  liveSessions(): LiveSession[] {
    return [...this.sessions].map((s) => ({ record: record(s), state: s.state }));
  }

  stats(): ModeStats {
    let queued = 0;
    let peak = this.peakQueued;
    let fromClients = 0;
    let fromBackends = 0;
    for (const s of this.sessions) {
      queued += s.toBackend.bytes + s.toClient.bytes;
      fromClients += s.bytesFromClient;
      fromBackends += s.bytesFromBackend;
      peak = Math.max(peak, s.toBackend.peakBytes, s.toClient.peakBytes);
    }
    this.peakQueued = peak;
    return {
      queued: this.waiting.length,
      liveBytesFromClients: fromClients,
      liveBytesFromBackends: fromBackends,
      queuedBytes: queued,
      peakQueuedBytes: peak,
    };
  }
}

export const tunnel: ModeKind = {
  name: "tunnel",
  create: (listener) => new TunnelMode(listener),
  unreloadable: () => null,
};

import type { Socket } from "bun";
import type { Backend } from "../balance/backend.ts";
import { noteConnectFailure, noteConnectSuccess } from "../health/passive.ts";
import { backendHandlers } from "./backend-handlers.ts";
import { finishSession, flushToBackend } from "./lifecycle.ts";
import type { ListenerRuntime } from "./listener.ts";
import { Session, SessionState } from "./session.ts";

/**
 * ConnectAttempt is the `data` of a backend socket until it opens. A session
 * may make several attempts (retries, or a timed-out connect that completes
 * late), so `open` must know whether this socket is still the one wanted.
 */
export class ConnectAttempt {
  constructor(
    readonly session: Session,
    readonly attempt: number,
  ) {}
}

/** reject closes a client before it becomes a session. */
function reject(client: Socket<Session>): void {
  (client as Socket<unknown>).data = null;
  client.end();
}

/**
 * acceptClient turns a newly accepted client into a session, or closes it at
 * once and counts why: listener full, address denied, or too many sessions from
 * that address. Checks run before any backend is touched.
 */
export function acceptClient(listener: ListenerRuntime, client: Socket<Session>): void {
  const cfg = listener.config;
  const c = listener.counters;
  if (listener.sessions.size >= cfg.maxConnections) {
    c.rejectedMaxConnections++;
    return reject(client);
  }
  const address = client.remoteAddress;
  if (!listener.access.permits(address)) {
    c.rejectedDenied++;
    return reject(client);
  }
  if (cfg.maxConnectionsPerClient > 0 && listener.clientCount(address) >= cfg.maxConnectionsPerClient) {
    c.rejectedPerClient++;
    return reject(client);
  }
  const s = new Session(listener.nextSessionId(), client, listener, address, client.remotePort, performance.now());
  client.data = s;
  listener.sessions.add(s);
  if (cfg.maxConnectionsPerClient > 0) s.countedPerClient = listener.addClient(address);
  c.sessionsTotal++;
  if (!cfg.noDelay) client.setNoDelay(false);
  if (cfg.keepAliveMs > 0) client.setKeepAlive(true, cfg.keepAliveMs);
  dispatch(s);
}

/**
 * dispatch picks a backend and connects, or queues the session when every
 * usable backend is at its maxConnections, or ends it when none is usable.
 */
function dispatch(s: Session): void {
  const listener = s.listener;
  const target = listener.balancer.pick(s.clientAddress, s.tried ?? undefined);
  if (target !== null) {
    connectBackend(s, target);
    return;
  }
  if (s.tried === null && listener.anyBackendFull()) {
    if (listener.waiting.length < listener.config.queueSize) {
      s.state = SessionState.Queued;
      s.phaseStartedAt = performance.now();
      listener.waiting.push(s);
      return;
    }
    listener.counters.rejectedQueueFull++;
    finishSession(s, "QUEUE_FULL", "internal");
    return;
  }
  listener.counters.rejectedNoBackend++;
  listener.noteNoBackend();
  finishSession(s, "NO_BACKEND", "internal");
}

function connectBackend(s: Session, target: Backend): void {
  s.state = SessionState.Connecting;
  s.target = target;
  target.active++;
  target.sessionsTotal++;
  s.attempts++;
  s.phaseStartedAt = performance.now();
  Bun.connect<ConnectAttempt>({
    hostname: target.address.host,
    port: target.address.port,
    data: new ConnectAttempt(s, s.attempts),
    allowHalfOpen: true,
    socket: backendHandlers as never,
  });
  // No .catch: with a connectError handler Bun does not report the rejected promise
  // (pinned in bun-sockets.test.ts), and a .catch would allocate one more promise per session.
}

/** onConnectOpen adopts the socket if it is the attempt the session waits for. */
export function onConnectOpen(attempt: ConnectAttempt, backend: Socket<Session>): void {
  const s = attempt.session;
  if (s.state !== SessionState.Connecting || s.attempts !== attempt.attempt) {
    backend.terminate(); // a timed-out attempt that completed late, or the client left
    return;
  }
  backend.data = s;
  s.state = SessionState.Open;
  s.backend = backend;
  const cfg = s.listener.config;
  if (!cfg.noDelay) backend.setNoDelay(false);
  if (cfg.keepAliveMs > 0) backend.setKeepAlive(true, cfg.keepAliveMs);
  if (s.target !== null) noteConnectSuccess(s.target);
  s.listener.noteBackendAvailable();
  flushToBackend(s, backend);
}

export function onConnectError(attempt: ConnectAttempt, code: string): void {
  const s = attempt.session;
  if (s.state !== SessionState.Connecting || s.attempts !== attempt.attempt) return;
  retryOrFail(s, code);
}

/**
 * retryOrFail handles a failed connect (refused, timed out, or reset before
 * any byte moved): the backend's failure is noted for passive health, and the
 * session tries another backend while attempts remain. Early client bytes are
 * still in `toBackend`, so the backend that finally answers gets them intact.
 */
export function retryOrFail(s: Session, code: string): void {
  const listener = s.listener;
  const failed = s.target;
  if (failed !== null) {
    noteConnectFailure(failed, listener.config.health.passive, performance.now(), listener.log, { listener: listener.config.name }, code);
  }
  if (failed !== null && s.attempts < listener.config.connectAttempts) {
    const next = listener.balancer.pick(s.clientAddress, (s.tried ??= []).concat(failed));
    if (next !== null) {
      s.tried.push(failed);
      failed.active--;
      s.target = null;
      s.backend = null;
      listener.counters.retries++;
      connectBackend(s, next);
      listener.onSlotFreed();
      return;
    }
  }
  finishSession(s, code, "backend");
}

/** admitWaiting moves queued sessions onto backends while slots are free. */
export function admitWaiting(listener: ListenerRuntime): void {
  const q = listener.waiting;
  while (q.length > 0) {
    const s = q.peek()!;
    if (s.state !== SessionState.Queued) {
      q.shift();
      continue;
    }
    const target = listener.balancer.pick(s.clientAddress);
    if (target === null) return;
    q.shift();
    connectBackend(s, target);
  }
}

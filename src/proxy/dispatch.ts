import type { Socket } from "bun";
import type { Backend } from "../balance/backend.ts";
import { noteConnectFailure, noteConnectSuccess } from "../health/passive.ts";
import { cancelConnect, startConnect } from "./connect.ts";
import { finishSession, flushToBackend } from "./lifecycle.ts";
import type { ListenerRuntime } from "./listener.ts";
import { Session, SessionState } from "./session.ts";

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
 * usable backend is at its maxConnections or maxConnectingPerBackend, or ends
 * it when none is usable.
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
  startConnect(s, target);
}

/**
 * onConnectOpen adopts the backend socket of the attempt the session waits
 * for (connect.ts has already given it the backend handlers).
 */
export function onConnectOpen(s: Session, backend: Socket<Session>): void {
  backend.data = s;
  s.state = SessionState.Open;
  s.backend = backend;
  const cfg = s.listener.config;
  if (!cfg.noDelay) backend.setNoDelay(false);
  if (cfg.keepAliveMs > 0) backend.setKeepAlive(true, cfg.keepAliveMs);
  if (s.target !== null) noteConnectSuccess(s.target);
  s.listener.noteBackendAvailable();
  flushToBackend(s, backend);
  s.listener.onSlotFreed(); // a connect slot (maxConnectingPerBackend) is free: queued clients may go
}

/**
 * retryOrFail handles a failed connect (refused, timed out, or reset before
 * any byte moved): the backend's failure is noted for passive health, and the
 * session tries another backend while attempts remain. Early client bytes are
 * still in `toBackend`, so the backend that finally answers gets them intact.
 */
export function retryOrFail(s: Session, code: string): void {
  cancelConnect(s); // a timed-out connect is closed now, not when the kernel gives up
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

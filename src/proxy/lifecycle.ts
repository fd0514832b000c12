import type { Socket } from "bun";
import { errorCode, type Side } from "../errors.ts";
import { backendHandlers } from "./backend-handlers.ts";
import type { ListenerRuntime } from "./listener.ts";
import { END_OK, Session, SessionState } from "./session.ts";

/** Swallows the rejection of a connect whose failure `connectError` already handled. */
function ignore(): void {}

/**
 * acceptClient turns a newly accepted client socket into a session, or closes
 * it at once (and counts why) when the listener is full or has no backend.
 */
export function acceptClient(listener: ListenerRuntime, client: Socket<Session>): void {
  const cfg = listener.config;
  if (listener.sessions.size >= cfg.maxConnections) {
    listener.counters.rejectedMaxConnections++;
    (client as Socket<unknown>).data = null;
    client.end();
    return;
  }
  const s = new Session(
    listener.nextSessionId(),
    client,
    listener,
    client.remoteAddress,
    (client as unknown as { remotePort: number }).remotePort ?? 0,
    performance.now(),
  );
  client.data = s;
  listener.sessions.add(s);
  listener.counters.sessionsTotal++;
  if (!cfg.noDelay) client.setNoDelay(false);
  if (cfg.keepAliveMs > 0) client.setKeepAlive(true, cfg.keepAliveMs);

  const target = listener.balancer.pick(s.clientAddress);
  if (target === null) {
    listener.counters.rejectedNoBackend++;
    finishSession(s, "NO_BACKEND", "internal");
    return;
  }
  connectBackend(s, target);
}

function connectBackend(s: Session, target: NonNullable<Session["target"]>): void {
  s.target = target;
  target.active++;
  target.sessionsTotal++;
  s.connectStartedAt = performance.now();
  Bun.connect<Session>({
    hostname: target.address.host,
    port: target.address.port,
    data: s,
    allowHalfOpen: true,
    socket: backendHandlers,
  }).catch(ignore);
}

/** onBackendConnected sends the early bytes and any early FIN, then lets the client flow. */
export function onBackendConnected(s: Session, backend: Socket<Session>): void {
  if (s.state !== SessionState.Connecting) {
    // The session ended (timeout, client gone) while we were connecting.
    backend.terminate();
    return;
  }
  s.state = SessionState.Open;
  s.backend = backend;
  const cfg = s.listener.config;
  if (!cfg.noDelay) backend.setNoDelay(false);
  if (cfg.keepAliveMs > 0) backend.setKeepAlive(true, cfg.keepAliveMs);
  if (s.target !== null) s.target.consecutiveFailures = 0;
  flushToBackend(s, backend);
}

/**
 * flushToBackend moves queued client bytes to the backend, then forwards the
 * client's FIN once the queue is empty, and resumes the client when the queue
 * is low again. Called on backend open and on backend drain.
 */
export function flushToBackend(s: Session, backend: Socket<Session>): void {
  const left = s.toBackend.flushTo(backend);
  if (left < 0) return; // backend closed; its close handler ends the session
  if (s.clientPaused && left < s.listener.config.highWaterBytes >> 1) {
    s.clientPaused = false;
    s.client.resume();
  }
  if (left === 0 && s.clientEof && !s.toBackendDone) {
    s.toBackendDone = true;
    backend.shutdown();
    if (s.toClientDone) finishSession(s, END_OK, s.firstFin ?? "client");
  }
}

/** flushToClient is flushToBackend's mirror for the backend→client direction. */
export function flushToClient(s: Session, client: Socket<Session>): void {
  const left = s.toClient.flushTo(client);
  if (left < 0) return;
  const backend = s.backend;
  if (s.backendPaused && backend !== null && left < s.listener.config.highWaterBytes >> 1) {
    s.backendPaused = false;
    backend.resume();
  }
  if (left === 0 && s.backendEof && !s.toClientDone) {
    s.toClientDone = true;
    client.shutdown();
    if (s.toBackendDone) finishSession(s, END_OK, s.firstFin ?? "backend");
  }
}

/** onClientEof handles the client's FIN: forward it once the queue to the backend is empty. */
export function onClientEof(s: Session): void {
  if (s.clientEof) return;
  s.clientEof = true;
  if (s.firstFin === null) s.firstFin = "client";
  if (s.backend !== null) flushToBackend(s, s.backend);
}

/** onBackendEof handles the backend's FIN: forward it once the queue to the client is empty. */
export function onBackendEof(s: Session): void {
  if (s.backendEof) return;
  s.backendEof = true;
  if (s.firstFin === null) s.firstFin = "backend";
  flushToClient(s, s.client);
}

/**
 * finishSession ends a session exactly once: closes whichever sockets are
 * still open (with a reset when the other side was reset, so the failure
 * propagates), releases the backend slot, adds the session's counts to the
 * listener's and writes the access-log line.
 */
export function finishSession(s: Session, code: string, side: Side, reset = false): void {
  if (s.state === SessionState.Closed) return;
  s.state = SessionState.Closed;
  s.endCode = code;
  s.endSide = side;
  s.endedAt = performance.now();
  const listener = s.listener;
  listener.sessions.delete(s);
  const target = s.target;
  if (target !== null) {
    target.active--;
    target.bytesToBackend += s.bytesFromClient;
    target.bytesFromBackend += s.bytesFromBackend;
  }
  const c = listener.counters;
  c.bytesFromClients += s.bytesFromClient;
  c.bytesFromBackends += s.bytesFromBackend;
  c.countEnd(code, code !== END_OK);
  s.toBackend.clear();
  s.toClient.clear();
  if (reset) {
    s.client.terminate();
    s.backend?.terminate();
  } else {
    s.client.end();
    s.backend?.end();
  }
  listener.onSessionFinished(s);
}

/** finishOnSocketClose maps a socket's unexpected close to the session's end. */
export function failFromError(s: Session, err: Error, side: Side): void {
  const code = errorCode(err);
  finishSession(s, code, side, code === "ECONNRESET" || code === "EPIPE");
}

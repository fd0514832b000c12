import type { Socket } from "bun";
import { errorCode, type Side } from "../errors.ts";
import { cancelConnect } from "./connect.ts";
import { END_OK, type Session, SessionState } from "./session.ts";

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
    // When the other direction is already done, closing sends the FIN: skip the extra shutdown(2).
    if (s.toClientDone) finishSession(s, END_OK, s.firstFin ?? "client");
    else backend.shutdown();
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
    if (s.toBackendDone) finishSession(s, END_OK, s.firstFin ?? "backend");
    else client.shutdown();
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
  cancelConnect(s); // the client left or was refused while its backend was connecting
  const listener = s.listener;
  listener.sessions.delete(s);
  if (s.countedPerClient) listener.removeClient(s.clientAddress);
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
  if (target !== null) listener.onSlotFreed();
}

/** failFromError ends a session after a socket error; a reset is passed on as a reset. */
export function failFromError(s: Session, err: Error, side: Side): void {
  const code = errorCode(err);
  finishSession(s, code, side, code === "ECONNRESET" || code === "EPIPE");
}

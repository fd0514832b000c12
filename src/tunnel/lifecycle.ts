import type { Socket } from "bun";
import { type EndCode, endCodeOf, errorCode, type Side } from "../errors.ts";
import { cancelConnect } from "./connect.ts";
import { moveTo, record, type Session } from "./session.ts";

/**
 * flushToBackend moves queued client bytes to the backend, then forwards the client's FIN once the queue
 * is empty, and resumes the client when the queue is low again. Called on backend open and on backend
 * drain.
 */
export function flushToBackend(s: Session, backend: Socket<Session>): void {
  const left = s.toBackend.flushTo(backend);
  if (left < 0) return; // backend closed; its close handler ends the session
  if (s.clientPaused && left < s.config.highWaterBytes >> 1) {
    s.clientPaused = false;
    s.client.resume();
  }
  if (left === 0 && s.up === "ending") {
    s.up = "ended";
    // When the other direction is already done, closing sends the FIN: skip the extra shutdown(2).
    if (s.down === "ended") finishSession(s, "ok", s.firstFin ?? "client");
    else backend.shutdown();
  }
}

/** flushToClient is flushToBackend's mirror for the backend→client direction. */
export function flushToClient(s: Session, client: Socket<Session>): void {
  const left = s.toClient.flushTo(client);
  if (left < 0) return;
  const backend = s.backend;
  if (s.backendPaused && backend !== null && left < s.config.highWaterBytes >> 1) {
    s.backendPaused = false;
    backend.resume();
  }
  if (left === 0 && s.down === "ending") {
    s.down = "ended";
    if (s.up === "ended") finishSession(s, "ok", s.firstFin ?? "backend");
    else client.shutdown();
  }
}

/** onClientEof handles the client's FIN: forward it once the queue to the backend is empty. */
export function onClientEof(s: Session): void {
  if (s.firstFin === null) s.firstFin = "client";
  if (s.up !== "flowing") return;
  s.up = "ending";
  if (s.backend !== null) flushToBackend(s, s.backend);
}

/** onBackendEof handles the backend's FIN: forward it once the queue to the client is empty. */
export function onBackendEof(s: Session): void {
  if (s.firstFin === null) s.firstFin = "backend";
  if (s.down !== "flowing") return;
  s.down = "ending";
  flushToClient(s, s.client);
}

/**
 * finishSession ends a session exactly once: closes whichever sockets are still open (with a reset
 * when the other side was reset, so the failure propagates), releases the backend slot, and reports the
 * session to its listener (counters, access log).
 */
export function finishSession(s: Session, code: EndCode, side: Side, reset = false): void {
  if (s.state === "closed") return;
  moveTo(s, "closed");
  s.endCode = code;
  s.endSide = side;
  cancelConnect(s); // the client left or was refused while its backend was connecting
  const mode = s.mode;
  mode.sessions.delete(s);
  mode.notePeak(s);
  const target = s.target;
  if (target !== null) {
    target.active--;
    target.bytesToBackend += s.bytesFromClient;
    target.bytesFromBackend += s.bytesFromBackend;
  }
  s.toBackend.clear();
  s.toClient.clear();
  if (reset) {
    s.client.terminate();
    s.backend?.terminate();
  } else {
    s.client.end();
    s.backend?.end();
  }
  mode.listener.ended(record(s));
  if (target !== null) mode.onSlotFreed();
}

/** failFromError ends a session after a socket error; a reset is passed on as a reset. */
export function failFromError(s: Session, err: Error, side: Side): void {
  const raw = errorCode(err);
  finishSession(s, endCodeOf(raw), side, raw === "ECONNRESET" || raw === "EPIPE");
}

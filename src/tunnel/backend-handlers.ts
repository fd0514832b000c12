import type { Socket, SocketHandler, SocketOptions } from "bun";
import { endCodeOf, errorCode } from "../errors.ts";
import { retryOrFail } from "./dispatch.ts";
import { failFromError, finishSession, flushToBackend, onBackendEof } from "./lifecycle.ts";
import { isClosed, type Session } from "./session.ts";

/*
 * The backend side of the relay; the mirror of client-handlers.ts. A backend
 * socket gets these handlers already open (connect.ts takes it over from
 * node:net), so there is no `open` or `connectError` here.
 */

function onBackendData(backend: Socket<Session>, chunk: Buffer): void {
  const s = backend.data;
  s.bytesFromBackend += chunk.byteLength;
  if (s.down === "ended") return; // the client can no longer receive: discard
  const client = s.client;
  if (s.toClient.bytes === 0) {
    const written = client.write(chunk);
    if (written === chunk.byteLength) return;
    if (written < 0) return; // client closed: its close handler ends the session
    s.toClient.push(written === 0 ? chunk : chunk.subarray(written));
  } else {
    s.toClient.push(chunk);
  }
  // Pause instead of buffering: a slow client must not grow this process's memory.
  if (!s.backendPaused && s.toClient.bytes >= s.config.highWaterBytes) {
    s.backendPaused = true;
    backend.pause();
  }
}

function onBackendDrain(backend: Socket<Session>): void {
  const s = backend.data;
  if (s.toBackend.bytes === 0 || s.state !== "open") return;
  flushToBackend(s, backend);
}

function onBackendEnd(backend: Socket<Session>): void {
  const s = backend.data;
  if (s.state !== "open") return;
  onBackendEof(s);
}

function onBackendClose(backend: Socket<Session>, err?: Error): void {
  const s = backend.data;
  if (s.state === "closed" || s.backend !== backend) return;
  if (err !== undefined) {
    // Reset before any byte moved either way: as good as a failed connect, so try another backend.
    if (s.bytesFromClient === 0 && s.bytesFromBackend === 0) retryOrFail(s, endCodeOf(errorCode(err)));
    else failFromError(s, err, "backend");
    return;
  }
  // The backend's FIN after our own shutdown, or its full close: nothing more either way.
  s.up = "ended";
  s.toBackend.clear();
  onBackendEof(s);
  if (!isClosed(s) && s.down === "ended") finishSession(s, "ok", s.firstFin ?? "backend");
}

function onBackendError(backend: Socket<Session>, err: Error): void {
  const s = backend.data;
  if (s.state === "closed") return;
  s.listener.log.error("internal error in backend handler", { session: s.id, error: String(err), stack: err.stack });
  finishSession(s, "INTERNAL", "internal", true);
}

export const backendHandlers = {
  data: onBackendData,
  drain: onBackendDrain,
  end: onBackendEnd,
  close: onBackendClose,
  error: onBackendError,
} satisfies SocketHandler<Session>;

/** What connect.ts passes to reload(): one object for every connect. */
export const backendTakeOver = { socket: backendHandlers } satisfies Pick<SocketOptions<Session>, "socket">;

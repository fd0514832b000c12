import type { Socket, SocketHandler } from "bun";
import type { ListenerRuntime } from "./listener.ts";
import { acceptClient } from "./dispatch.ts";
import {
  failFromError,
  finishSession,
  flushToClient,
  onClientEof,
} from "./lifecycle.ts";
import { type Session, SessionState } from "./session.ts";

/*
 * The client side of the relay. Handlers are declared once at module level, so
 * no closure is made per connection or per chunk; all state is on the session.
 */

function onClientOpen(client: Socket<Session>): void {
  // Until here `data` is the listener (Bun.listen's `data`); acceptClient replaces it with the session.
  acceptClient(client.data as unknown as ListenerRuntime, client);
}

function onClientData(client: Socket<Session>, chunk: Buffer): void {
  const s = client.data;
  s.bytesFromClient += chunk.byteLength;
  if (s.toBackendDone) return; // the backend can no longer receive: discard
  const backend = s.backend;
  if (backend === null) {
    // Early data: keep it, in order, until the backend connects; bounded by earlyDataBytes.
    s.toBackend.push(chunk);
    if (!s.clientPaused && s.toBackend.bytes >= s.listener.config.earlyDataBytes) {
      s.clientPaused = true;
      client.pause();
    }
    return;
  }
  if (s.toBackend.bytes === 0) {
    const written = backend.write(chunk);
    if (written === chunk.byteLength) return;
    if (written < 0) return; // backend closed: its close handler ends the session
    s.toBackend.push(written === 0 ? chunk : chunk.subarray(written));
  } else {
    s.toBackend.push(chunk); // keep order: queue behind earlier bytes
  }
  // Pause instead of buffering: a slow backend must not grow this process's memory.
  if (!s.clientPaused && s.toBackend.bytes >= s.listener.config.highWaterBytes) {
    s.clientPaused = true;
    client.pause();
  }
}

/** The client can take more: flush what the backend sent meanwhile. A cheap no-op when nothing waits. */
function onClientDrain(client: Socket<Session>): void {
  const s = client.data;
  if (s === null || s.toClient.bytes === 0 || s.state === SessionState.Closed) return;
  flushToClient(s, client);
}

function onClientEnd(client: Socket<Session>): void {
  const s = client.data;
  if (s === null || s.state === SessionState.Closed) return;
  onClientEof(s);
}

function onClientClose(client: Socket<Session>, err?: Error): void {
  const s = client.data;
  if (s === null || s.state === SessionState.Closed) return; // rejected at accept, or we closed it
  if (err !== undefined) {
    failFromError(s, err, "client");
    return;
  }
  // A close without an error is the client's FIN (Bun reports it this way after our own
  // shutdown) or its full close: it will send nothing more and can receive nothing more.
  s.toClientDone = true;
  s.toClient.clear();
  onClientEof(s);
  if ((s.state as SessionState) !== SessionState.Closed && s.toBackendDone) finishSession(s, "ok", s.firstFin ?? "client");
}

function onClientError(client: Socket<Session>, err: Error): void {
  const s = client.data;
  if (s === null || s.state === SessionState.Closed) return;
  s.listener.log.error("internal error in client handler", { session: s.id, error: String(err), stack: err.stack });
  finishSession(s, "INTERNAL", "internal", true);
}

export const clientHandlers = {
  open: onClientOpen,
  data: onClientData,
  drain: onClientDrain,
  end: onClientEnd,
  close: onClientClose,
  error: onClientError,
} satisfies SocketHandler<Session>;

import type { Socket, SocketHandler } from "bun";
import { type ClientInfo, nextSessionId } from "../listener/listener.ts";
import { dispatch } from "./dispatch.ts";
import { failFromError, finishSession, flushToClient, onClientEof } from "./lifecycle.ts";
import { type TunnelMode, tunnelOf } from "./mode.ts";
import { isClosed, Session } from "./session.ts";

/*
 * The client side of the relay. Handlers are declared once at module level, so no closure is made per
 * connection or per chunk; all state is on the session. A socket's `data` is null until the listener
 * admits it, and stays null if it is refused (then it is closed at once).
 */

function onClientOpen(client: Socket<Session>): void {
  const mode = tunnelOf(client);
  if (mode === undefined) return void client.end(); // accepted as its listener closed
  const info = mode.listener.accept(client);
  if (info !== null) startSession(client, info, null);
}

/**
 * startSession serves an admitted client: a session, then a backend. `early` holds bytes the preamble
 * stage read past its header: they are the stream's first bytes, queued for the backend like early data.
 */
export function startSession(
  client: Socket<Session>,
  info: ClientInfo,
  early: Uint8Array | null,
  mode: TunnelMode | undefined = tunnelOf(client),
): void {
  if (mode === undefined) return void client.end();
  const s = new Session(nextSessionId(), client, mode, info, mode.listener.config, performance.now());
  client.data = s;
  mode.sessions.add(s);
  if (early !== null && early.byteLength > 0) {
    s.bytesFromClient += early.byteLength;
    s.toBackend.push(early);
  }
  dispatch(s);
}

function onClientData(client: Socket<Session>, chunk: Buffer): void {
  const s = client.data;
  s.bytesFromClient += chunk.byteLength;
  if (s.up === "ended") return; // the backend can no longer receive: discard
  const backend = s.backend;
  if (backend === null) {
    // Early data: keep it, in order, until the backend connects; bounded by earlyDataBytes.
    s.toBackend.push(chunk);
    if (!s.clientPaused && s.toBackend.bytes >= s.config.earlyDataBytes) {
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
  if (!s.clientPaused && s.toBackend.bytes >= s.config.highWaterBytes) {
    s.clientPaused = true;
    client.pause();
  }
}

/** The client can take more: flush what the backend sent meanwhile. A cheap no-op when nothing waits. */
function onClientDrain(client: Socket<Session>): void {
  const s = client.data;
  if (s === null || s.toClient.bytes === 0 || s.state === "closed") return;
  flushToClient(s, client);
}

function onClientEnd(client: Socket<Session>): void {
  const s = client.data;
  if (s === null || s.state === "closed") return;
  onClientEof(s);
}

function onClientClose(client: Socket<Session>, err?: Error): void {
  const s = client.data;
  if (s === null || s.state === "closed") return; // refused at accept, or we closed it
  if (err !== undefined) {
    failFromError(s, err, "client");
    return;
  }
  // A close without an error is the client's FIN (Bun reports it this way after our own shutdown) or
  // its full close: it will send nothing more and can receive nothing more.
  s.down = "ended";
  s.toClient.clear();
  onClientEof(s);
  if (!isClosed(s) && s.up === "ended") finishSession(s, "ok", s.firstFin ?? "client");
}

function onClientError(client: Socket<Session>, err: Error): void {
  const s = client.data;
  if (s === null || s.state === "closed") return;
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
} satisfies SocketHandler<Session | null>;

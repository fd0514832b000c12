import type { Listener } from "../listener/listener.ts";
import type { SessionRecord } from "../listener/mode.ts";
import type { Logger } from "../log.ts";

/**
 * writeAccessLine writes the one access-log line of an ended session, with the same fields in both
 * modes: session id (unique per process), client address and port, listener, mode, backend, bytes each
 * way on each side, duration, end code and side. A failed session is logged at warn. When a PROXY
 * header told the client address, `peer`/`peerPort` name the connection's own peer (the proxy in front),
 * and `upstreamId` the UNIQUE_ID that header carried, to find the same connection in that proxy's log.
 * On a listener with SNI routes, `sni` is the name the ClientHello asked for and `route` the route's
 * pattern (absent: the default route).
 */
export function writeAccessLine(log: Logger, listener: Listener, r: SessionRecord): void {
  const fields = {
    session: r.id,
    listener: listener.config.name,
    mode: r.mode,
    client: r.clientAddress,
    clientPort: r.clientPort,
    ...(r.peer === null ? {} : { peer: r.peer.address, peerPort: r.peer.port }),
    ...(r.upstreamId === null ? {} : { upstreamId: r.upstreamId }),
    ...(r.sni === null ? {} : { sni: r.sni }),
    ...(r.route === null ? {} : { route: r.route }),
    backend: r.backendKey,
    bytesFromClient: r.bytesFromClient,
    bytesToClient: r.bytesToClient,
    bytesToBackend: r.bytesToBackend,
    bytesFromBackend: r.bytesFromBackend,
    durationMs: Math.round(performance.now() - r.startedAt),
    end: r.endCode,
    side: r.endSide,
    firstFin: r.firstFin,
    failedRequests: r.failedRequests,
    lastFailure: r.lastFailure,
  };
  // Pooled sessions keep their own message, so a log reader can tell the two apart at a glance.
  const what = r.mode === "pool" ? "pooled session" : "session";
  if (r.endCode === "ok") log.info(what, fields);
  else log.warn(`${what} failed`, fields);
}

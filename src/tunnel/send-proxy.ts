import { encodeProxyV1, encodeProxyV2 } from "../edge/proxy-encode.ts";
import type { Session } from "./session.ts";

/**
 * queueProxyHeader puts the PROXY header of a listener with `sendProxy` in front of whatever the client
 * sent early, so it is the first thing on the backend connection and, with the early bytes, goes out in
 * one write (PendingBytes coalesces small queued chunks): the spec asks senders to send it at once.
 *
 * The header names the client as admission saw it (a PROXY header's address, or the socket's own) and
 * the address it connected to (a header's destination, or this listener's). v2 also carries the
 * session id as UNIQUE_ID, so warren's access log and the backend's name the same connection, and the
 * host name the client asked for as AUTHORITY when one is known.
 */
export function queueProxyHeader(s: Session): void {
  const header = proxyHeaderOf(s);
  if (header === null) return;
  // A connect retried after the backend reset: nothing the client sent has moved yet, so anything queued
  // is what is left of the header meant for the backend that failed.
  if (s.bytesFromClient === 0) s.toBackend.clear();
  s.toBackend.unshift(header);
}

/** proxyHeaderOf is the session's PROXY header (see queueProxyHeader), or null without sendProxy. */
export function proxyHeaderOf(s: Session): Uint8Array | null {
  const version = s.config.sendProxy;
  if (version === null) return null;
  const info = s.info;
  const source = { address: info.address, port: info.port };
  // A unix client has no local address (Bun gives undefined): "" is no IP address, so v1 UNKNOWN / v2 AF_UNSPEC.
  const destination = info.destination ?? { address: s.client.localAddress ?? "", port: s.client.localPort ?? 0 };
  return version === "v1"
    ? encodeProxyV1(source, destination)
    : encodeProxyV2(source, destination, { uniqueId: String(s.id), authority: info.authority });
}

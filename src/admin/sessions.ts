import type { LiveSession } from "../listener/mode.ts";
import type { SessionView } from "./runtime.ts";

/** sessionView is how the API shows one live session; ages are computed now, against performance.now(). */
export function sessionView(listener: string, s: LiveSession, now: number): SessionView {
  const r = s.record;
  return {
    id: r.id,
    listener,
    mode: r.mode,
    state: s.state,
    client: r.clientAddress.includes(":") ? `[${r.clientAddress}]:${r.clientPort}` : `${r.clientAddress}:${r.clientPort}`,
    backend: r.backendKey,
    sni: r.sni,
    ageMs: Math.round(now - r.startedAt),
    bytesFromClient: r.bytesFromClient,
    bytesToClient: r.bytesToClient,
  };
}

export type SessionOrder = "bytes" | "age";

/** topSessions sorts largest (bytes both ways) or oldest first and keeps `limit`. */
export function topSessions(all: SessionView[], order: SessionOrder, limit: number): SessionView[] {
  const key = order === "bytes" ? (s: SessionView) => s.bytesFromClient + s.bytesToClient : (s: SessionView) => s.ageMs;
  return all.sort((a, b) => key(b) - key(a) || a.id - b.id).slice(0, limit);
}

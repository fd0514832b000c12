import type { ListenerConfig } from "../config/schema.ts";
import type { Listener } from "../listener/listener.ts";

/** What reload needs to know of a running listener: its config and the port it is bound on. */
export interface RunningListener {
  readonly config: ListenerConfig;
  readonly server: { readonly port: number } | null;
}

/**
 * holdsAddress says whether a running listener already holds the address a
 * reloaded listener config asks for. Reload keeps a listener (its socket, its
 * live sessions, its stats) when the name is the same and this holds;
 * otherwise the listener is stopped and the new one bound.
 *
 * A listener started on port 0 is bound on a real port P, and a reload may
 * ask for either: port 0 again (it keeps P), or P itself — e.g. read back from
 * `proxy.addresses` — which used to bind P a second time and fail with
 * EADDRINUSE. A reload that asks for port 0 matches only a listener whose
 * config says port 0: a listener on a fixed port given port 0 picks a new one.
 *
 * Names identify listeners, and an unnamed listener is named after its listen
 * address as written: "127.0.0.1:0" stays the same listener across reloads
 * that say "127.0.0.1:0"; rewritten as "127.0.0.1:P" it is a new listener
 * (named "127.0.0.1:P") that takes over the port from the old one, whose live
 * sessions finish where they are. Give a listener a name to keep it whatever
 * its address says.
 */
export function holdsAddress(running: RunningListener, next: ListenerConfig): boolean {
  const listen = running.config.listen;
  if (listen.host !== next.listen.host || listen.unix !== next.listen.unix) return false;
  if (next.listen.port === listen.port) return true;
  return next.listen.port !== 0 && running.server !== null && next.listen.port === running.server.port;
}

/**
 * matchListeners decides, for each listener of a reloaded config, which running listener it keeps
 * (its socket, live sessions and counters), or none (it is bound anew):
 * - the running listener of the same name, if it holds the address the new config asks for;
 * - else a renamed one: a running listener on that address whose own name is gone from the new
 *   config, when that address has a fixed port. Renaming a listener thus keeps its socket, so no
 *   client is refused or reset. (A new name on port 0 asks for any port: a new listener. A listener
 *   whose name stays but whose address changes is moved: bound anew, the old socket closed.)
 * Each running listener is kept by at most one new config, the first in file order.
 */
export function matchListeners<L extends RunningListener>(
  running: ReadonlyMap<string, L>,
  next: readonly ListenerConfig[],
): Map<ListenerConfig, L> {
  const kept = new Map<ListenerConfig, L>();
  const claimed = new Set<L>();
  for (const lc of next) {
    const same = running.get(lc.name);
    if (same !== undefined && holdsAddress(same, lc)) {
      kept.set(lc, same);
      claimed.add(same);
    }
  }
  const names = new Set(next.map((l) => l.name));
  for (const lc of next) {
    if (kept.has(lc) || lc.listen.port === 0) continue;
    for (const [name, l] of running) {
      if (names.has(name) || claimed.has(l) || !holdsAddress(l, lc)) continue;
      kept.set(lc, l);
      claimed.add(l);
      break;
    }
  }
  return kept;
}

/**
 * unreloadable says why a kept listener (same name, same address) cannot take `next` on reload, naming
 * the key, or null when it can. A listener's mode is fixed for its life: its accepted sockets run the
 * running mode's handlers. Each mode then names what else it cannot change live (a pool's framer).
 */
export function unreloadable(current: Listener, next: ListenerConfig, index: number): string | null {
  const running = current.config;
  if (running.mode !== next.mode) {
    return `listeners[${index}].mode: cannot change on reload (running "${running.mode}", new "${next.mode}"); restart warren to change it`;
  }
  if ((running.tls === null) !== (next.tls === null)) {
    return `listeners[${index}].tls: cannot be turned ${next.tls === null ? "off" : "on"} on reload (the listening socket's handlers are TLS's or not for its life); restart warren, or give the TLS listener another name or address. Certificates and other tls keys do reload`;
  }
  return current.kind.unreloadable(running, next, index);
}

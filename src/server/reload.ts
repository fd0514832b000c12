import type { ListenerConfig } from "../config/schema.ts";
import type { Listener } from "../listener/listener.ts";

/**
 * sameAddress says whether a reloaded listener keeps the running one's socket. A port-0 listener keeps
 * its ephemeral port across reloads while its config says port 0.
 */
export function sameAddress(a: ListenerConfig, b: ListenerConfig): boolean {
  return a.listen.host === b.listen.host && a.listen.port === b.listen.port;
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
  return current.kind.unreloadable(running, next, index);
}

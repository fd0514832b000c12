import type { ListenerConfig } from "../config/schema.ts";

/**
 * unreloadable says why a kept pooled listener cannot take `next` on reload, naming the key, or null
 * when it can. The pool framer is fixed for a listener's life: every live client and pooled connection
 * holds a scanner of the running framer, so a new framer could only apply to a new generation of
 * clients and connections side by side with the old one (and requests framed one way must never reach a
 * connection framed another). Rejecting the reload keeps that impossible; restart warren (or move the
 * listener to a new address) to change it.
 */
export function unreloadable(current: ListenerConfig, next: ListenerConfig, index: number): string | null {
  const where = `listeners[${index}]`;
  if (current.pool === null || next.pool === null) return null;
  const running = JSON.stringify(current.pool.framer);
  const wanted = JSON.stringify(next.pool.framer);
  if (running === wanted) return null;
  return `${where}.pool.framer: cannot change on reload (running ${running}, new ${wanted}); restart warren to change it`;
}

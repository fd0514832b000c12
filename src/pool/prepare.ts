import type { WarrenConfig } from "../config/schema.ts";
import { ConfigError, ConfigErrors, ProxyError } from "../errors.ts";
import { builtinFramer, createFramerFactory, type FramerConfig, FramerError, type FramerFactory, respFramer } from "../framing/index.ts";
import type { PoolConfig } from "../config/schema.ts";

/** Framers is the pair of scanner factories a pooled listener uses: requests from clients, replies from backends. */
export interface Framers {
  readonly request: FramerFactory;
  readonly response: FramerFactory;
}

/** Factories made by prepareFramers, keyed by the validated framer config object they were made for. */
const prepared = new WeakMap<FramerConfig, Framers>();

/**
 * prepareFramers builds the framer factories of every pooled listener before
 * the proxy starts (or reloads), because a custom framer module is imported
 * asynchronously while ProxyServer.start is synchronous. Built-in framers need
 * no preparation (framersFor builds them on demand); a custom module that cannot
 * be loaded is reported as a ConfigErrors naming the listener's framer path.
 */
export async function prepareFramers(config: WarrenConfig, baseDir?: string, source = "config"): Promise<ConfigErrors | null> {
  const errors: ConfigError[] = [];
  for (const [i, l] of config.listeners.entries()) {
    if (l.pool === null || prepared.has(l.pool.framer)) continue;
    const request = await createFramerFactory(l.pool.framer, baseDir);
    if (request instanceof FramerError) {
      errors.push(new ConfigError(`listeners[${i}].pool.framer`, request.message));
      continue;
    }
    prepared.set(l.pool.framer, { request, response: responseFactory(l.pool.framer, request) });
  }
  return errors.length === 0 ? null : new ConfigErrors(errors, source);
}

/** framersFor returns the factories for a pool config; throws FRAMER_NOT_PREPARED for an unprepared custom framer. */
export function framersFor(pool: PoolConfig): Framers {
  const done = prepared.get(pool.framer);
  if (done !== undefined) return done;
  const f = pool.framer;
  if (f.kind === "custom") {
    throw new ProxyError(
      "FRAMER_NOT_PREPARED",
      "internal",
      `custom framer ${f.module} was not loaded: call prepareFramers(config) before starting`,
    );
  }
  const { kind, ...options } = f;
  // The built-in framers are synchronous; createFramerFactory is async only for custom modules.
  const request = builtinFramer(kind, options);
  if (request instanceof FramerError) throw new ProxyError("FRAMER_INVALID", "internal", request.message);
  const framers = { request, response: responseFactory(f, request) };
  prepared.set(f, framers);
  return framers;
}

/**
 * Replies are not bounded by the request limit: a RESP reply may be any size
 * (Redis has no reply limit) and is never an inline command.
 */
function responseFactory(f: FramerConfig, request: FramerFactory): FramerFactory {
  if (f.kind !== "resp") return request;
  const { kind: _, ...options } = f;
  const response = respFramer({ ...options, maxFrameBytes: Number.POSITIVE_INFINITY, inline: false });
  return response instanceof FramerError ? request : response;
}

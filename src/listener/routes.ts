import { Backend } from "../balance/backend.ts";
import type { Balancer } from "../balance/balancer.ts";
import { createBalancer } from "../balance/index.ts";
import { formatHostPort } from "../config/host-port.ts";
import type { ListenerConfig, RouteConfig } from "../config/schema.ts";
import { HealthChecker } from "../health/checker.ts";
import type { ProbeTls } from "../health/probe.ts";
import type { Logger } from "../log.ts";

/**
 * BackendGroup is what a mode picks a backend from: the listener's own backends (the default route) or
 * one SNI route's. Both carry their own balancer and health, so a route's backends are balanced and
 * checked apart from everyone else's.
 */
export interface BackendGroup {
  readonly balancer: Balancer;
  /** Whether some backend would take clients but for its limits: worth queueing for. */
  anyBackendFull(): boolean;
}

/**
 * Route is one `routes` entry at run time: its pattern, its backends with their balancer and active
 * health checks, and how many sessions it was picked for. A reload that keeps the pattern keeps the
 * Route and, by address, its Backend records (their health and counts).
 */
export class Route implements BackendGroup {
  backends: Backend[] = [];
  balancer!: Balancer;
  readonly health: HealthChecker;
  /** Sessions this route was picked for (admitted clients). */
  sessionsTotal = 0;

  constructor(
    readonly sni: string,
    config: ListenerConfig,
    route: RouteConfig,
    log: Logger,
    probePrefix: Uint8Array | null,
    /** TLS for the probes (a terminating listener with backendTls), or null. */
    probeTls: ProbeTls | null = null,
  ) {
    this.apply(config, route);
    this.health = new HealthChecker(
      this.backends,
      config.health.active,
      log,
      { listener: `${config.name} route ${sni}` },
      probePrefix,
      probeTls,
    );
  }

  /** apply takes a reloaded route's backends, keeping the records of those that stay. */
  apply(config: ListenerConfig, route: RouteConfig): void {
    const byKey = new Map(this.backends.map((b) => [b.key, b]));
    this.backends = route.backends.map((bc) => {
      const kept = byKey.get(formatHostPort(bc.address));
      const b = kept ?? new Backend(bc.address, bc.weight, bc.maxConnections, bc.drain);
      b.weight = bc.weight;
      b.maxConnections = bc.maxConnections;
      b.maxConnecting = config.maxConnectingPerBackend;
      b.drain = bc.drain;
      return b;
    });
    this.balancer = createBalancer(config.balance, this.backends);
  }

  anyBackendFull(): boolean {
    for (const b of this.backends) if (b.takesSessions() && b.isFull()) return true;
    return false;
  }
}

/**
 * RouteTable picks a route for a server name: the exact name first, then the wildcard with the longest
 * suffix ("*.b.example.com" before "*.example.com"), else null — the default route. A wildcard
 * "*.example.com" matches one or more labels in front (a.example.com, a.b.example.com), not
 * example.com itself: TLS certificates match one label only (RFC 6125 §6.4.3), but a router in front of
 * the servers that hold them is no place to be stricter than they are. Names are lower case on both
 * sides (the ClientHello reader and the config lower-case them).
 */
export class RouteTable {
  private readonly exact = new Map<string, Route>();
  /** Wildcards as ".example.com" suffixes, longest first. */
  private readonly wildcards: { suffix: string; route: Route }[] = [];

  constructor(readonly routes: readonly Route[]) {
    for (const r of routes) {
      if (r.sni.startsWith("*.")) this.wildcards.push({ suffix: r.sni.slice(1), route: r });
      else this.exact.set(r.sni, r);
    }
    this.wildcards.sort((a, b) => b.suffix.length - a.suffix.length);
  }

  match(name: string | null): Route | null {
    if (name === null) return null;
    const exact = this.exact.get(name);
    if (exact !== undefined) return exact;
    for (const w of this.wildcards) if (name.length > w.suffix.length && name.endsWith(w.suffix)) return w.route;
    return null;
  }
}

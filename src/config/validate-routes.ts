import { isIPv4 } from "node:net";
import type { BackendConfig, ClientHelloConfig, RouteConfig } from "./schema.ts";
import { hostProblem } from "./host.ts";
import { describe, join, type Reader } from "./reader.ts";
import { DEFAULTS } from "../defaults.ts";

/** The listener keys read here: SNI routing, by the server name in a client's TLS ClientHello. */
export const ROUTE_LISTENER_KEYS = ["routes", "clientHello"] as const;
const ROUTE_KEYS = ["sni", "backends"] as const;
const CLIENT_HELLO_KEYS = ["maxBytes", "timeoutMs"] as const;

export interface RouteSettings {
  routes: RouteConfig[];
  clientHello: ClientHelloConfig;
}

/** How validate.ts reads one backend entry (passed in, so this file needs nothing from it). */
export type ReadBackend = (r: Reader, value: unknown, path: string) => BackendConfig | undefined;

/**
 * readRouteSettings validates `routes` and `clientHello`. Routes pick a backend group per connection
 * from its ClientHello, so they need a connection of their own to the backend: tunnel mode only.
 */
export function readRouteSettings(r: Reader, obj: Record<string, unknown>, path: string, readBackend: ReadBackend): RouteSettings {
  const C = DEFAULTS.clientHello;
  const hello = obj.clientHello === undefined ? {} : (r.object(obj.clientHello, join(path, "clientHello"), CLIENT_HELLO_KEYS) ?? {});
  const helloPath = join(path, "clientHello");
  const clientHello = {
    maxBytes: r.int(hello, "maxBytes", helloPath, C.maxBytes, 512, 1 << 20),
    timeoutMs: r.int(hello, "timeoutMs", helloPath, C.timeoutMs, 1, 600_000),
  };
  const routes: RouteConfig[] = [];
  if (obj.routes === undefined) {
    if (obj.clientHello !== undefined)
      r.fail(helloPath, "only with routes: it bounds the ClientHello warren reads to pick a route, and without routes none is read");
    return { routes, clientHello };
  }
  const routesPath = join(path, "routes");
  if (!Array.isArray(obj.routes)) {
    r.fail(routesPath, `expected a list of { sni = "a.example.com", backends = [...] } tables, got ${describe(obj.routes)}`);
    return { routes, clientHello };
  }
  if (obj.mode === "pool") {
    r.fail(
      routesPath,
      `cannot be used with mode = "pool": a route is chosen per connection from its TLS ClientHello and every byte after it is TLS, which only a backend connection of the client's own can carry (pooled connections are shared by many clients and read their requests in the clear); use mode = "tunnel"`,
    );
  }
  const seen = new Map<string, number>();
  obj.routes.forEach((value, i) => {
    const route = readRoute(r, value, join(routesPath, i), readBackend);
    if (route === undefined) return;
    const earlier = seen.get(route.sni);
    if (earlier !== undefined)
      return r.fail(
        join(join(routesPath, i), "sni"),
        `${describe(route.sni)} is already routes[${earlier}]'s (names are case-insensitive)`,
      );
    seen.set(route.sni, i);
    routes.push(route);
  });
  if (obj.routes.length === 0) r.fail(routesPath, "expected at least one route; leave routes out for a listener without SNI routing");
  return { routes, clientHello };
}

function readRoute(r: Reader, value: unknown, path: string, readBackend: ReadBackend): RouteConfig | undefined {
  const obj = r.object(value, path, ROUTE_KEYS);
  if (obj === undefined) return undefined;
  const sni = readPattern(r, obj.sni, join(path, "sni"));
  const backendsPath = join(path, "backends");
  const backends: BackendConfig[] = [];
  if (!Array.isArray(obj.backends) || obj.backends.length === 0) {
    r.fail(backendsPath, `expected a list of at least one backend, got ${describe(obj.backends)}`);
  } else {
    obj.backends.forEach((b, i) => {
      const bp = join(backendsPath, i);
      if (b !== null && typeof b === "object" && "srv" in b)
        return r.fail(
          join(bp, "srv"),
          "SRV entries are for a listener's own backends; a route's backends are HOST:PORT (a host name is resolved on each connect)",
        );
      const backend = readBackend(r, b, bp);
      if (backend !== undefined) backends.push(backend);
    });
  }
  if (sni === undefined || !Array.isArray(obj.backends) || backends.length !== obj.backends.length) return undefined;
  return { sni, backends };
}

/** readPattern reads `sni`: a host name, or "*." and a host name (any one or more labels in front), lower-cased. */
export function readPattern(r: Reader, value: unknown, path: string): string | undefined {
  const expected = `expected a server name like "a.example.com" or a wildcard like "*.example.com", got ${describe(value)}`;
  if (typeof value !== "string") return void r.fail(path, expected);
  const name = value.toLowerCase().replace(/\.$/, "");
  const rest = name.startsWith("*.") ? name.slice(2) : name;
  if (rest.includes("*")) return void r.fail(path, `${expected}: "*" may only stand alone as the first label`);
  if (rest.includes(":") || isIPv4(rest))
    return void r.fail(path, `${expected}: SNI carries host names only (RFC 6066 §3: "literal IPv4 and IPv6 addresses are not permitted")`);
  const problem = hostProblem(rest);
  if (problem !== null) return void r.fail(path, `${expected}: ${problem}`);
  return name;
}

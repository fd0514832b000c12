import { BALANCE_ALGORITHMS } from "../balance/balancer.ts";
import { ConfigErrors } from "../errors.ts";
import { LOG_LEVELS } from "../log.ts";
import { hostKind, hostProblem } from "./host.ts";
import { checkWorkers, readWorkers } from "./validate-workers.ts";
import { formatHostPort, parseHostPort } from "./host-port.ts";
import { Reader, describe, join } from "./reader.ts";
import { GROUP_KEYS, readGroupSettings } from "./validate-group.ts";
import { POOL_LISTENER_KEYS, readPoolSettings } from "./validate-pool.ts";
import { EDGE_KEYS, readEdgeSettings } from "./validate-edge.ts";
import { readRouteSettings, ROUTE_LISTENER_KEYS } from "./validate-routes.ts";
import { readSocketMode, UNIX_LISTENER_KEYS } from "./validate-unix.ts";
import { readTlsSettings, TLS_LISTENER_KEYS } from "./validate-tls.ts";
import type { BackendConfig, DnsConfig, HostPort, ListenerConfig, WarrenConfig } from "./schema.ts";
import { DEFAULTS } from "../defaults.ts";
import { type Env, readAdmin } from "./validate-admin.ts";

const TOP_KEYS = ["log", "shutdown", "listeners", "dns", "workers", "admin"] as const;
const DNS_KEYS = ["servers", "timeoutMs"] as const;
const LOG_KEYS = ["level", "format", "access", "file"] as const;
const SHUTDOWN_KEYS = ["drainTimeoutMs"] as const;
const LISTENER_KEYS = [
  "name",
  "listen",
  "backends",
  "balance",
  "maxConnections",
  "connectTimeoutMs",
  "idleTimeoutMs",
  "maxLifetimeMs",
  "highWaterBytes",
  "earlyDataBytes",
  "noDelay",
  "keepAliveMs",
  ...GROUP_KEYS,
  ...POOL_LISTENER_KEYS,
  ...EDGE_KEYS,
  ...ROUTE_LISTENER_KEYS,
  ...UNIX_LISTENER_KEYS,
  ...TLS_LISTENER_KEYS,
] as const;
const BACKEND_KEYS = ["address", "srv", "weight", "maxConnections", "drain"] as const;

const DAY_MS = 86_400_000;
const L = DEFAULTS.listener;

/**
 * validateConfig turns untrusted input (a parsed TOML/JSON file, or flags) into
 * a WarrenConfig, or returns every problem found, each with its key path.
 */
export function validateConfig(input: unknown, source = "config", env: Env = process.env): WarrenConfig | ConfigErrors {
  const r = new Reader();
  const top = r.object(input, "", TOP_KEYS) ?? {};

  const logIn = top.log === undefined ? {} : (r.object(top.log, "log", LOG_KEYS) ?? {});
  const log = {
    level: r.oneOf(logIn, "level", "log", DEFAULTS.log.level, LOG_LEVELS),
    format: r.oneOf(logIn, "format", "log", DEFAULTS.log.format, ["pretty", "json", "auto"] as const),
    access: r.bool(logIn, "access", "log", DEFAULTS.log.access),
    file: logIn.file === undefined ? DEFAULTS.log.file : r.string(logIn, "file", "log", "") || null,
  };

  const shutdownIn = top.shutdown === undefined ? {} : (r.object(top.shutdown, "shutdown", SHUTDOWN_KEYS) ?? {});
  const shutdown = {
    drainTimeoutMs: r.int(shutdownIn, "drainTimeoutMs", "shutdown", DEFAULTS.shutdown.drainTimeoutMs, 0, DAY_MS),
  };

  const dns = readDns(r, top.dns);
  const workers = readWorkers(r, top.workers, DEFAULTS.workers);
  const admin = readAdmin(r, top.admin, env);

  const listeners: ListenerConfig[] = [];
  if (!Array.isArray(top.listeners) || top.listeners.length === 0) {
    r.fail("listeners", `expected a list of at least one listener, got ${describe(top.listeners)}`);
  } else {
    top.listeners.forEach((value, i) => {
      const listener = readListener(r, value, join("listeners", i));
      if (listener !== undefined) listeners.push(listener);
    });
    checkUnique(r, listeners);
    checkWorkers(r, workers, listeners);
  }

  if (r.errors.length > 0) return new ConfigErrors(r.errors, source);
  const config: WarrenConfig = { workers, log, shutdown, listeners, dns, admin };
  VALIDATED.add(config);
  return config;
}

/** Every config validateConfig returned, so an API that takes either kind can tell them apart. */
const VALIDATED = new WeakSet<object>();

/**
 * asValidConfig returns a config validateConfig made (parseConfig's result)
 * as it is, and validates anything else — a raw object shaped like the config
 * file — so reload and startProxy take both and never run on unchecked input.
 */
export function asValidConfig(input: unknown, source = "config"): WarrenConfig | ConfigErrors {
  if (typeof input === "object" && input !== null && VALIDATED.has(input)) return input as WarrenConfig;
  return validateConfig(input, source);
}

/**
 * trustDerived marks a config warren derived itself from a validated one (a worker's share of the
 * limits, src/workers/share.ts), so APIs that validate raw input take it as it is.
 */
export function trustDerived(config: WarrenConfig): WarrenConfig {
  VALIDATED.add(config);
  return config;
}

function readListener(r: Reader, value: unknown, path: string): ListenerConfig | undefined {
  const obj = r.object(value, path, LISTENER_KEYS);
  if (obj === undefined) return undefined;
  const listen = readHostPort(r, obj.listen ?? DEFAULTS.listenAddress, join(path, "listen"), true);
  const backends: BackendConfig[] = [];
  const backendsPath = join(path, "backends");
  const routing = readRouteSettings(r, obj, path, readBackend);
  // With routes, the listener's own backends are the default route, and may be left out: then a client whose name matches no route is refused.
  const noDefaultRoute =
    Array.isArray(obj.routes) && (obj.backends === undefined || (Array.isArray(obj.backends) && obj.backends.length === 0));
  if (noDefaultRoute) {
    // nothing to read
  } else if (!Array.isArray(obj.backends) || obj.backends.length === 0) {
    r.fail(backendsPath, `expected a list of at least one backend, got ${describe(obj.backends)}`);
  } else {
    obj.backends.forEach((b, i) => {
      const backend = readBackend(r, b, join(backendsPath, i));
      if (backend !== undefined) backends.push(backend);
    });
  }
  return {
    // With a bad listen the config is invalid anyway; a placeholder unique per index avoids a spurious duplicate-name error.
    name: r.string(obj, "name", path, listen === undefined ? path : formatHostPort(listen)),
    listen: listen ?? { host: "127.0.0.1", port: 0 },
    backends,
    balance: r.oneOf(obj, "balance", path, L.balance, BALANCE_ALGORITHMS),
    maxConnections: r.int(obj, "maxConnections", path, L.maxConnections, 1, 1_000_000),
    connectTimeoutMs: r.int(obj, "connectTimeoutMs", path, L.connectTimeoutMs, 1, DAY_MS),
    idleTimeoutMs: r.int(obj, "idleTimeoutMs", path, L.idleTimeoutMs, 0, DAY_MS),
    maxLifetimeMs: r.int(obj, "maxLifetimeMs", path, L.maxLifetimeMs, 0, 365 * DAY_MS),
    highWaterBytes: r.int(obj, "highWaterBytes", path, L.highWaterBytes, 1024, 1 << 30),
    earlyDataBytes: r.int(obj, "earlyDataBytes", path, L.earlyDataBytes, 1024, 1 << 30),
    noDelay: r.bool(obj, "noDelay", path, L.noDelay),
    keepAliveMs: r.int(obj, "keepAliveMs", path, L.keepAliveMs, 0, DAY_MS),
    ...readGroupSettings(r, obj, path),
    ...readPoolSettings(r, obj, path),
    ...readEdgeSettings(r, obj, path),
    ...routing,
    socketMode: readSocketMode(r, obj, path, listen),
    ...readTlsSettings(r, obj, path),
  };
}

/** A backend is either "HOST:PORT" or a table with `address` and optional knobs. */
function readBackend(r: Reader, value: unknown, path: string): BackendConfig | undefined {
  const B = DEFAULTS.backend;
  if (typeof value === "string") {
    const address = readHostPort(r, value, path, false);
    if (address === undefined) return undefined;
    return { address, srv: null, weight: B.weight, maxConnections: B.maxConnections, drain: B.drain };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    r.fail(path, `expected HOST:PORT or a table with an address, got ${describe(value)}`);
    return undefined;
  }
  const obj = r.object(value, path, BACKEND_KEYS);
  if (obj === undefined) return undefined;
  if (obj.srv !== undefined) return readSrvBackend(r, obj, path);
  if (obj.address === undefined) {
    r.fail(join(path, "address"), "expected HOST:PORT (or an srv name instead), got nothing");
    return undefined;
  }
  const address = readHostPort(r, obj.address, join(path, "address"), false);
  const weight = r.int(obj, "weight", path, B.weight, 0, 1000);
  const maxConnections = r.int(obj, "maxConnections", path, B.maxConnections, 0, 1_000_000);
  const drain = r.bool(obj, "drain", path, B.drain);
  if (address === undefined) return undefined;
  return { address, srv: null, weight, maxConnections, drain };
}

/**
 * An SRV entry: `{ srv = "_redis._tcp.example.internal" }`. Its records give each server's host, port and
 * weight, so `address` and `weight` have no place beside it.
 */
function readSrvBackend(r: Reader, obj: Record<string, unknown>, path: string): BackendConfig | undefined {
  const B = DEFAULTS.backend;
  for (const key of ["address", "weight"] as const) {
    if (obj[key] !== undefined)
      r.fail(join(path, key), `not with srv: the SRV records give each server's ${key === "address" ? "host and port" : "weight"}`);
  }
  const maxConnections = r.int(obj, "maxConnections", path, B.maxConnections, 0, 1_000_000);
  const drain = r.bool(obj, "drain", path, B.drain);
  const name = obj.srv;
  const problem =
    typeof name !== "string"
      ? `expected an SRV name like "_redis._tcp.example.internal", got ${describe(name)}`
      : hostProblem(name.replace(/^_/, "").replace(/\._/g, "."));
  if (problem !== null) {
    r.fail(join(path, "srv"), problem);
    return undefined;
  }
  if (obj.address !== undefined || obj.weight !== undefined) return undefined;
  return { address: { host: name as string, port: 0 }, srv: name as string, weight: B.weight, maxConnections, drain };
}

/** The [dns] table: which servers answer for backend names (none: the system's resolver). */
function readDns(r: Reader, value: unknown): DnsConfig {
  const D = DEFAULTS.dns;
  if (value === undefined) return { servers: D.servers, timeoutMs: D.timeoutMs };
  const obj = r.object(value, "dns", DNS_KEYS) ?? {};
  const servers: HostPort[] = [];
  if (obj.servers !== undefined && !Array.isArray(obj.servers))
    r.fail("dns.servers", `expected a list of "HOST" or "HOST:PORT", got ${describe(obj.servers)}`);
  else if (Array.isArray(obj.servers)) {
    obj.servers.forEach((v, i) => {
      const path = join("dns.servers", i);
      if (typeof v !== "string") return r.fail(path, `expected "HOST" or "HOST:PORT", got ${describe(v)}`);
      const withPort =
        /:\d+$/.test(v) && (!v.includes("::") || v.startsWith("[")) ? v : v.includes(":") && !v.startsWith("[") ? `[${v}]:53` : `${v}:53`;
      const hp = readHostPort(r, withPort, path, false);
      if (hp === undefined) return;
      if (hostKind(hp.host) === "name") return r.fail(path, `a DNS server is an IP address, got the name ${describe(hp.host)}`);
      servers.push(hp);
    });
  }
  return { servers, timeoutMs: r.int(obj, "timeoutMs", "dns", D.timeoutMs, 100, 60_000) };
}

function readHostPort(r: Reader, value: unknown, path: string, allowPortZero: boolean): HostPort | undefined {
  if (typeof value !== "string") {
    r.fail(path, `expected HOST:PORT, got ${describe(value)}`);
    return undefined;
  }
  const hp = parseHostPort(value, allowPortZero);
  if (typeof hp === "string") {
    r.fail(path, hp);
    return undefined;
  }
  return hp;
}

/**
 * Names identify listeners across reloads, and two listeners cannot share a
 * fixed address. A name left out defaults to the listen address, so for a
 * duplicate fixed address only the address is reported, and two unnamed
 * port-0 listeners are told to set names.
 */
function checkUnique(r: Reader, listeners: readonly ListenerConfig[]): void {
  const names = new Map<string, number>();
  const addresses = new Map<string, number>();
  listeners.forEach((l, i) => {
    const addr = formatHostPort(l.listen);
    const fixed = l.listen.port !== 0 || l.listen.unix !== undefined; // a socket path is as fixed as a port
    const sameAddress = fixed ? addresses.get(addr) : undefined;
    if (sameAddress !== undefined) r.fail(`listeners[${i}].listen`, `${addr} is already used by listeners[${sameAddress}]`);
    else if (fixed) {
      const clash = findClash(listeners, i);
      if (clash !== null) r.fail(`listeners[${i}].listen`, clash);
      addresses.set(addr, i);
    }

    const sameName = names.get(l.name);
    if (sameName === undefined) names.set(l.name, i);
    else if (l.name !== addr) r.fail(`listeners[${i}].name`, `"${l.name}" is already used by listeners[${sameName}]`);
    else if (sameAddress === undefined) {
      r.fail(
        `listeners[${i}].name`,
        `"${l.name}" (the default: the listen address) is already used by listeners[${sameName}]; give each listener a name`,
      );
    }
  });
}

/**
 * findClash reports a listen address that shares its port with an earlier
 * listener's wildcard (or is the wildcard beside an earlier specific address):
 * both cannot bind, and the second would fail at start with EADDRINUSE as if
 * another process held the port. Observed on Linux (bindv6only = 0, the
 * default, and warren sets neither SO_REUSEPORT nor IPV6_V6ONLY): 0.0.0.0:P
 * and 127.0.0.1:P clash, [::]:P clashes with every IPv4 and IPv6 address on P,
 * while 127.0.0.1:P and [::1]:P do not. Host names are not resolved here.
 */
function findClash(listeners: readonly ListenerConfig[], i: number): string | null {
  const l = listeners[i]!.listen;
  for (let j = 0; j < i; j++) {
    const other = listeners[j]!.listen;
    if (other.port !== l.port || other.host === l.host) continue;
    const wildcard = covers(other, l) ? other : covers(l, other) ? l : null;
    if (wildcard === null) continue;
    const every = wildcard.host === "0.0.0.0" ? "every IPv4 address" : "every IPv6 and IPv4 address";
    return `${formatHostPort(l)} clashes with listeners[${j}]'s ${formatHostPort(other)}: ${formatHostPort(wildcard)} listens on ${every} of port ${l.port}, so both cannot bind; use one, or different ports`;
  }
  return null;
}

/** covers says whether a listener bound on `a` holds the port for `b` too (a is a wildcard over b's family). */
function covers(a: HostPort, b: HostPort): boolean {
  const kindB = hostKind(b.host);
  if (kindB === "name") return false;
  if (a.host === "0.0.0.0") return kindB === "ipv4";
  return isUnspecifiedIPv6(a.host);
}

function isUnspecifiedIPv6(host: string): boolean {
  return host.includes(":") && /^[0:]+$/.test(host);
}

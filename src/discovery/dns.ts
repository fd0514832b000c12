import { lookup, Resolver } from "node:dns/promises";
import type { DnsConfig } from "../config/schema.ts";
import { formatHostPort } from "../config/host-port.ts";

/** The addresses a name resolved to, and how long the answer may be trusted (null: the resolver did not say). */
export interface NameAnswer {
  readonly addresses: readonly string[];
  readonly ttlMs: number | null;
}

/** One SRV record (RFC 2782): the target host name, its port, and its priority and weight. */
export interface SrvRecord {
  readonly name: string;
  readonly port: number;
  readonly priority: number;
  readonly weight: number;
}

/** A failed query, as a value: the resolver's code (ENOTFOUND, ETIMEOUT, ECONNREFUSED, …) and its words. */
export interface DnsFailure {
  readonly failed: true;
  readonly code: string;
  readonly message: string;
}

export function isDnsFailure(v: unknown): v is DnsFailure {
  return typeof v === "object" && v !== null && (v as { failed?: unknown }).failed === true;
}

/**
 * DnsClient asks for a name's addresses and a service's SRV records. With servers configured it queries
 * them (node:dns's Resolver: A and AAAA with their TTLs); without, names go through getaddrinfo as every
 * other program on the host resolves them (/etc/hosts and nsswitch included, no TTL), and SRV through
 * a Resolver on /etc/resolv.conf's servers. It never throws: a failure is a DnsFailure.
 */
export class DnsClient {
  private readonly resolver: Resolver;
  private readonly system: boolean;

  constructor(readonly config: DnsConfig) {
    this.resolver = new Resolver({ timeout: config.timeoutMs, tries: 1 });
    this.system = config.servers.length === 0;
    if (!this.system) this.resolver.setServers(config.servers.map((s) => formatHostPort(s)));
  }

  /** addresses resolves a host name to every IPv4 and IPv6 address it has. */
  async addresses(host: string): Promise<NameAnswer | DnsFailure> {
    if (this.system) {
      try {
        const found = await withTimeout(lookup(host, { all: true }), this.config.timeoutMs);
        return { addresses: found.map((a) => a.address), ttlMs: null };
      } catch (err) {
        return failure(err);
      }
    }
    const [v4, v6] = await Promise.allSettled([this.resolver.resolve4(host, { ttl: true }), this.resolver.resolve6(host, { ttl: true })]);
    const records = [...(v4.status === "fulfilled" ? v4.value : []), ...(v6.status === "fulfilled" ? v6.value : [])];
    if (records.length === 0) {
      // No address of either family: the IPv4 query's failure says best why (a name with no A record
      // but AAAA records is fine, and was returned above).
      const reason =
        v4.status === "rejected"
          ? v4.reason
          : v6.status === "rejected"
            ? v6.reason
            : { code: "ENODATA", message: `${host} has no address` };
      return failure(reason);
    }
    return { addresses: records.map((r) => r.address), ttlMs: Math.min(...records.map((r) => r.ttl)) * 1000 };
  }

  /** srv returns a service's SRV records. */
  async srv(name: string): Promise<readonly SrvRecord[] | DnsFailure> {
    try {
      return await this.resolver.resolveSrv(name);
    } catch (err) {
      return failure(err);
    }
  }

  /** Whether another DnsConfig asks for the same resolver (a reload keeps the client then). */
  sameAs(other: DnsConfig): boolean {
    return (
      other.timeoutMs === this.config.timeoutMs &&
      other.servers.map((s) => formatHostPort(s)).join(",") === this.config.servers.map((s) => formatHostPort(s)).join(",")
    );
  }

  /** cancel abandons the queries in flight (they fail with ECANCELLED). */
  cancel(): void {
    this.resolver.cancel();
  }
}

function failure(err: unknown): DnsFailure {
  const e = err as { code?: unknown; message?: unknown };
  return {
    failed: true,
    code: typeof e?.code === "string" ? e.code : "EDNS",
    message: typeof e?.message === "string" ? e.message : String(err),
  };
}

/** getaddrinfo has no timeout of its own that warren controls; this bounds how long warren waits for it. */
function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${ms} ms`), { code: "ETIMEOUT" })), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

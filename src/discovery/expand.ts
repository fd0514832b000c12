import { formatHostPort } from "../config/host-port.ts";
import { hostKind } from "../config/host.ts";
import type { BackendConfig, HostPort, ResolveMode } from "../config/schema.ts";

/** ResolvedBackend is one server a listener balances over: a backend entry with its address resolved. */
export interface ResolvedBackend {
  readonly address: HostPort;
  readonly weight: number;
  readonly maxConnections: number;
  readonly drain: boolean;
  /** The host name or SRV name it was resolved from; null for an entry written as an IP address. */
  readonly from: string | null;
}

/** What an entry resolved to last: a name's addresses, or an SRV name's targets with theirs. */
export type EntryAnswer =
  | { readonly kind: "name"; readonly addresses: readonly string[] }
  | { readonly kind: "srv"; readonly targets: readonly SrvTarget[] };

/** One SRV target as last resolved: its host name, the record's port and weight, and the name's addresses. */
export interface SrvTarget {
  readonly name: string;
  readonly port: number;
  readonly weight: number;
  readonly addresses: readonly string[];
}

/** entryKey names what an entry asks DNS for ("name db.internal", "srv _redis._tcp.x"), or null: an IP address, nothing to ask. */
export function entryKey(bc: BackendConfig): string | null {
  if (bc.srv !== null) return `srv ${bc.srv}`;
  if (bc.address.unix !== undefined) return null; // a socket file: nothing to resolve
  return hostKind(bc.address.host) === "name" ? `name ${bc.address.host}` : null;
}

/**
 * expandBackends turns a listener's backend entries into the servers it balances over, given what each
 * named entry resolved to last: an IP entry is itself; a name is one server per address ("all", in
 * address order so an answer in another order is the same set) or the first address it resolved to
 * ("first"); an SRV name is one server per address of each target of its lowest priority, in address
 * order, with the record's port and weight (weight 0 is kept out while any target has more; all 0 weigh 1 each). An
 * entry not yet resolved contributes nothing. A server listed twice is kept once, where it came first.
 */
export function expandBackends(
  entries: readonly BackendConfig[],
  answers: ReadonlyMap<string, EntryAnswer>,
  resolve: ResolveMode,
): ResolvedBackend[] {
  const out: ResolvedBackend[] = [];
  const seen = new Set<string>();
  const add = (b: ResolvedBackend): void => {
    const key = formatHostPort(b.address);
    if (seen.has(key)) return;
    seen.add(key);
    out.push(b);
  };
  const pick = (addresses: readonly string[]): readonly string[] => (resolve === "first" ? addresses.slice(0, 1) : [...addresses].sort());
  for (const bc of entries) {
    const key = entryKey(bc);
    if (key === null) {
      add({ address: bc.address, weight: bc.weight, maxConnections: bc.maxConnections, drain: bc.drain, from: null });
      continue;
    }
    const answer = answers.get(key);
    if (answer === undefined) continue;
    if (answer.kind === "name") {
      for (const host of pick(answer.addresses)) {
        add({
          address: { host, port: bc.address.port },
          weight: bc.weight,
          maxConnections: bc.maxConnections,
          drain: bc.drain,
          from: bc.address.host,
        });
      }
      continue;
    }
    const allZero = answer.targets.every((t) => t.weight === 0);
    const found: ResolvedBackend[] = [];
    for (const t of answer.targets) {
      for (const host of pick(t.addresses)) {
        found.push({
          address: { host, port: t.port },
          weight: allZero ? 1 : t.weight,
          maxConnections: bc.maxConnections,
          drain: bc.drain,
          from: bc.srv,
        });
      }
    }
    // Records come in any order (RFC 2782 leaves it to the server): in address order, one answer is one set.
    found.sort((x, y) => (x.address.host < y.address.host ? -1 : x.address.host > y.address.host ? 1 : x.address.port - y.address.port));
    for (const b of found) add(b);
  }
  return out;
}

/** sameBackends says whether two expansions are the same servers with the same settings, in the same order. */
export function sameBackends(a: readonly ResolvedBackend[], b: readonly ResolvedBackend[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((x, i) => {
    const y = b[i]!;
    return (
      formatHostPort(x.address) === formatHostPort(y.address) &&
      x.weight === y.weight &&
      x.maxConnections === y.maxConnections &&
      x.drain === y.drain &&
      x.from === y.from
    );
  });
}

import type { BackendConfig } from "../config/schema.ts";
import { type DnsClient, type DnsFailure, isDnsFailure } from "./dns.ts";
import type { EntryAnswer, SrvTarget } from "./expand.ts";

/** An entry's answer with how long it may be trusted (null: the resolver gave no TTL). */
export interface TimedAnswer {
  readonly answer: EntryAnswer;
  readonly ttlMs: number | null;
}

/**
 * resolveEntry asks DNS what one named backend entry is now: a name's addresses, or an SRV name's
 * records of the lowest priority (RFC 2782: higher priorities are for when those fail, which health
 * checks decide here) with each target's addresses. A target whose name does not resolve this time keeps
 * the addresses it had in `previous` (one lost query is not a changed service); a target never resolved
 * is left out; the entry fails only when nothing is left.
 */
export async function resolveEntry(dns: DnsClient, bc: BackendConfig, previous?: EntryAnswer): Promise<TimedAnswer | DnsFailure> {
  if (bc.srv === null) {
    const found = await dns.addresses(bc.address.host);
    if (isDnsFailure(found)) return found;
    return { answer: { kind: "name", addresses: found.addresses }, ttlMs: found.ttlMs };
  }
  const records = await dns.srv(bc.srv);
  if (isDnsFailure(records)) return records;
  if (records.length === 0) return { failed: true, code: "ENODATA", message: `${bc.srv} has no SRV records` };
  const lowest = Math.min(...records.map((r) => r.priority));
  const chosen = records.filter((r) => r.priority === lowest);
  const found = await Promise.all(chosen.map((r) => dns.addresses(r.name)));
  const before = previous?.kind === "srv" ? previous.targets : [];
  const targets = chosen.flatMap((r, i): SrvTarget[] => {
    const f = found[i]!;
    if (!isDnsFailure(f)) return [{ name: r.name, port: r.port, weight: r.weight, addresses: f.addresses }];
    const kept = before.find((t) => t.name === r.name);
    return kept === undefined ? [] : [{ name: r.name, port: r.port, weight: r.weight, addresses: kept.addresses }];
  });
  if (targets.length === 0) {
    const first = found.find(isDnsFailure);
    return {
      failed: true,
      code: first?.code ?? "ENODATA",
      message: `no target of ${bc.srv} resolves: ${first?.message ?? "no addresses"}`,
    };
  }
  const ttls = found.flatMap((f) => (isDnsFailure(f) || f.ttlMs === null ? [] : [f.ttlMs]));
  return { answer: { kind: "srv", targets }, ttlMs: ttls.length > 0 ? Math.min(...ttls) : null };
}

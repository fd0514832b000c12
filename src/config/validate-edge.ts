import type { ProxyProtocolConfig } from "./schema.ts";
import { describe, join, type Reader } from "./reader.ts";
import { readCidrs } from "./validate-group.ts";
import { DEFAULTS } from "../defaults.ts";

/** The listener keys read here: what happens at the connection's edge, before and around the mode. */
export const EDGE_KEYS = ["proxyProtocol", "sendProxy"] as const;
const PROXY_PROTOCOL_KEYS = ["accept", "trusted", "timeoutMs", "untrusted"] as const;

export interface EdgeSettings {
  proxyProtocol: ProxyProtocolConfig | null;
  sendProxy: "v1" | "v2" | null;
}

/**
 * readEdgeSettings validates `proxyProtocol` and `sendProxy`. A pooled listener may accept a header (each
 * client is still one client) but cannot send one: its backend connections carry many clients' requests,
 * and a header names one client for the whole connection.
 */
export function readEdgeSettings(r: Reader, obj: Record<string, unknown>, path: string): EdgeSettings {
  const proxyProtocol = obj.proxyProtocol === undefined ? null : readProxyProtocol(r, obj.proxyProtocol, join(path, "proxyProtocol"));
  let sendProxy: EdgeSettings["sendProxy"] = null;
  if (obj.sendProxy !== undefined) {
    sendProxy = r.oneOf(obj, "sendProxy", path, "v2" as const, ["v1", "v2"] as const);
    if (obj.mode === "pool") {
      r.fail(
        join(path, "sendProxy"),
        `cannot be used with mode = "pool": a PROXY header names one client for a whole backend connection, and pooled connections carry many clients' requests (proxy-protocol.txt forbids it on multiplexed connections); use mode = "tunnel" for backends that need each client's address`,
      );
    }
  }
  return { proxyProtocol, sendProxy };
}

function readProxyProtocol(r: Reader, value: unknown, path: string): ProxyProtocolConfig | null {
  const P = DEFAULTS.proxyProtocol;
  const obj = r.object(value, path, PROXY_PROTOCOL_KEYS);
  if (obj === undefined) return null;
  const trusted = readCidrs(r, obj.trusted, join(path, "trusted"));
  if (obj.trusted === undefined || (Array.isArray(obj.trusted) && obj.trusted.length === 0)) {
    r.fail(
      join(path, "trusted"),
      `expected the CIDR ranges of the proxies that send PROXY headers, e.g. ["10.0.0.0/8"], got ${describe(obj.trusted)}; a header from anyone else would let them choose their own address`,
    );
  }
  return {
    accept: r.oneOf(obj, "accept", path, P.accept, ["v1", "v2", "any"] as const),
    trusted,
    timeoutMs: r.int(obj, "timeoutMs", path, P.timeoutMs, 1, 600_000),
    untrusted: r.oneOf(obj, "untrusted", path, P.untrusted, ["refuse", "direct"] as const),
  };
}

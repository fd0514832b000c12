import { contains, parseIp } from "../access/cidr.ts";
import type { ListenerConfig, ProxyProtocolConfig } from "../config/schema.ts";
import { PP_FAILED, PP_NEED_MORE, ProxyParser } from "../edge/proxy-parser.ts";
import { chainPreamble } from "./chain-preamble.ts";
import { helloPreamble } from "./hello-preamble.ts";
import { MORE, type Preamble, type PreambleDone, type PreambleFailed, type PreambleParser, type PreambleResult } from "./preamble.ts";

/**
 * preambleFor is the preamble a listener's config asks for: a PROXY header (`proxyProtocol`), a
 * ClientHello to route by (`routes` without `tls`), both in that order, or none.
 */
export function preambleFor(config: ListenerConfig): Preamble | null {
  const proxy = config.proxyProtocol === null ? null : proxyPreamble(config.proxyProtocol);
  // With tls, routes pick by the SNI of the handshake warren terminates (the TLS stage tells it): no hello to read.
  const hello = config.routes.length === 0 || config.tls !== null ? null : helloPreamble(config.clientHello);
  if (proxy !== null && hello !== null) return chainPreamble(proxy, hello);
  return proxy ?? hello;
}

/** Served as it is, with its own address: what an untrusted source gets with untrusted = "direct". */
const DIRECT: PreambleDone = { kind: "done", rest: null, client: null };
const UNTRUSTED: PreambleFailed = { kind: "failed", code: "PROXY_UNTRUSTED", reason: "a source outside proxyProtocol.trusted" };

/**
 * proxyPreamble reads a PROXY header from every connection of a trusted source: required, never guessed
 * at (proxy-protocol.txt §5: a header from anyone else would let them pick their own address). Anyone
 * else is refused at accept, or with untrusted = "direct" served as a plain client.
 */
export function proxyPreamble(cfg: ProxyProtocolConfig): Preamble {
  return {
    timeoutMs: cfg.timeoutMs,
    start(peer) {
      if (!trusts(cfg, peer.address)) return cfg.untrusted === "direct" ? DIRECT : UNTRUSTED;
      return new ProxyHeaderPreamble(new ProxyParser(cfg.accept));
    },
  };
}

/**
 * trusts says whether a peer may send a header. A unix peer (address "") is trusted: who may connect to
 * a unix listener is its socket file's mode, and a proxy in front on the same host is what it is for.
 */
function trusts(cfg: ProxyProtocolConfig, address: string): boolean {
  if (address === "") return true;
  const addr = parseIp(address);
  if (addr === null) return false;
  for (const range of cfg.trusted) if (contains(range, addr)) return true;
  return false;
}

/** ProxyHeaderPreamble turns the parser's status numbers into the preamble stage's results. */
class ProxyHeaderPreamble implements PreambleParser {
  constructor(private readonly parser: ProxyParser) {}

  feed(chunk: Uint8Array): PreambleResult {
    const p = this.parser;
    const r = p.feed(chunk);
    if (r === PP_NEED_MORE) return MORE;
    if (r === PP_FAILED) return { kind: "failed", code: p.failure ?? "PROXY_MALFORMED", reason: p.reason };
    const header = p.header!;
    return {
      kind: "done",
      rest: r < chunk.byteLength ? chunk.subarray(r) : null,
      client: header.source,
      destination: header.destination,
      authority: header.tlvs.authority,
      header,
    };
  }
}

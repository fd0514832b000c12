/**
 * The PROXY header a load generator sends first on each connection to a target that requires one
 * (warren-pp): a v2 TCP4 header, as HAProxy's send-proxy-v2 would write it, naming a fixed client.
 * Written once per connection, right after connect; never per request.
 */
import { encodeProxyV2 } from "../../src/edge/proxy-encode.ts";

export function proxyHeaderFor(on: boolean | undefined, port: number): Uint8Array | null {
  if (on !== true) return null;
  return encodeProxyV2({ address: "192.0.2.1", port: 40000 }, { address: "127.0.0.1", port }, { uniqueId: null, authority: null });
}

import { THIS_CHECKOUT } from "../baseline.ts";
import type { BackendPorts, RunningTarget, TargetKind } from "./target.ts";
import { probeWarren, startWarrenCli } from "./warren.ts";

/**
 * warren-pp: the `warren` target with `proxyProtocol` on both listeners (trusting the load generator on
 * 127.0.0.1), and a load generator that sends a PROXY v2 header first on every connection, as HAProxy's
 * send-proxy-v2 would. Its distance from `warren` is what accepting the PROXY protocol costs (issue 11:
 * ≤ 2% of the proxy's CPU per rr request).
 *
 * No @base twin: a baseline checkout from before proxyProtocol existed would refuse the config.
 */
export const warrenPp: TargetKind = {
  name: "warren-pp",
  isProxy: true,
  probe: () => probeWarren(THIS_CHECKOUT, "CLI, proxyProtocol (v2 header per connection from the load generator), access log off"),
  async start(backend: BackendPorts, dir: string): Promise<RunningTarget> {
    const group = (to: readonly number[]) => ({ backends: [`127.0.0.1:${to[0]}`], proxyProtocol: { trusted: ["127.0.0.1/32"] } });
    const running = await startWarrenCli("warren-pp", THIS_CHECKOUT, dir, group, [backend.echo], [backend.sink]);
    return Object.assign(running, { proxyHeader: true });
  },
};

import { THIS_CHECKOUT } from "../baseline.ts";
import type { BackendPorts, RunningTarget, TargetKind } from "./target.ts";
import { probeWarren, startWarrenCli } from "./warren.ts";

/**
 * warren-sni: the `warren` target with SNI routes on its echo listener (an exact route and a wildcard,
 * each to the echo backend, the echo backend as default too), and a load generator that sends a TLS
 * ClientHello naming api.example.com first on every connection (bench/load/client-hello.ts). Its
 * distance from `warren` is what SNI routing costs: the hello read once per connection, then the
 * preamble stage's one check per event.
 *
 * Only rr, pipelined and connect: their load generators skip the hello's echo. The sink listener keeps
 * no routes (bulk's sink wants its own header first), and idle-rss would count the hello.
 * No @base twin: a baseline checkout from before routes existed would refuse the config.
 */
export const warrenSni: TargetKind = {
  name: "warren-sni",
  isProxy: true,
  workloads: ["rr", "pipelined", "connect"],
  probe: () => probeWarren(THIS_CHECKOUT, "CLI, SNI routes (a ClientHello per connection from the load generator), access log off"),
  async start(backend: BackendPorts, dir: string): Promise<RunningTarget> {
    const group = (to: readonly number[]) => {
      const backends = [`127.0.0.1:${to[0]}`];
      if (to[0] !== backend.echo) return { backends };
      return {
        backends,
        routes: [
          { sni: "api.example.com", backends },
          { sni: "*.example.com", backends },
        ],
      };
    };
    const running = await startWarrenCli("warren-sni", THIS_CHECKOUT, dir, group, [backend.echo], [backend.sink]);
    return Object.assign(running, { clientHello: true });
  },
};

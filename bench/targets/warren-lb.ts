import { type Checkout, THIS_CHECKOUT } from "../baseline.ts";
import type { BackendPorts, RunningTarget, TargetKind } from "./target.ts";
import { probeWarren, startWarrenCli } from "./warren.ts";

/** Backends each warren-lb listener balances over; the backend process opens this many of each kind. */
export const LB_BACKENDS = 3;

/**
 * Active health checks on purpose, so their timers and probe connections run
 * during the measurement: a plain TCP connect check of every backend each
 * second (HAProxy's rise 2 / fall 3 thresholds).
 */
const ACTIVE_HEALTH = { enabled: true, intervalMs: 1000, timeoutMs: 500, rise: 2, fall: 3 } as const;

/**
 * warren-lb: the same CLI and settings as the `warren` target, but each
 * listener forwards to LB_BACKENDS backends (all in the one backend process,
 * so the machine does the same work behind the proxy), round-robin with
 * weight 1 each, passive health at its default and active checks on. Its
 * distance from `warren` is what balancing and health cost (issue 3).
 */
export const warrenLb: TargetKind = warrenLbAt(THIS_CHECKOUT);

function warrenLbAt(c: Checkout): TargetKind {
  const name = `warren-lb${c.suffix}`;
  return {
    name,
    isProxy: true,
    at: warrenLbAt,
    probe: () =>
      probeWarren(
        c,
        `CLI, ${LB_BACKENDS} backends round-robin (weight 1), passive + active health (every ${ACTIVE_HEALTH.intervalMs} ms), access log off`,
      ),
    async start(backend: BackendPorts, dir: string): Promise<RunningTarget> {
      if (backend.echoes.length < LB_BACKENDS || backend.sinks.length < LB_BACKENDS) {
        throw new Error(`${name} needs ${LB_BACKENDS} echo and sink backends, the backend process has ${backend.echoes.length}`);
      }
      const group = (to: readonly number[]) => ({
        backends: to.slice(0, LB_BACKENDS).map((p) => ({ address: `127.0.0.1:${p}`, weight: 1 })),
        balance: "round-robin",
        health: { active: ACTIVE_HEALTH },
      });
      return startWarrenCli(name, c, dir, group, backend.echoes, backend.sinks);
    },
  };
}

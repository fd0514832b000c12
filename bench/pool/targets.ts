/**
 * The ways a Redis client reaches the bench's Redis: directly, through warren
 * (1:1 tunnel, exclusive pool, multiplexed pool) or through twemproxy, each
 * proxy in a process of its own. They reuse bench/targets' process handling;
 * a proxy here has one port, passed as both of RunningTarget's ports.
 */
import { join } from "node:path";
import { type Checkout, THIS_CHECKOUT } from "../baseline.ts";
import { freePort } from "../net.ts";
import { run, startProcessTarget } from "../targets/process-target.ts";
import type { Probe, RunningTarget } from "../targets/target.ts";
import { probeWarren } from "../targets/warren.ts";
import type { PoolTargetName } from "./options.ts";

/** How the warren targets are run: from which checkout, and whether profiled. */
export interface WarrenRun {
  /** The checkout whose src/main.ts runs (this one, or --warren DIR to measure a patch); a baseline twin has its own. */
  warren: Checkout;
  /** Write a CPU profile per warren process here (bun --cpu-prof --cpu-prof-md), or null. */
  profileDir: string | null;
}

export interface PoolTargetKind {
  /** A PoolTargetName, or one with the baseline's suffix (`warren-pool-mux1@base`). */
  readonly name: string;
  /** The same target run from another checkout of warren; only warren's targets have it. */
  readonly at?: (checkout: Checkout) => PoolTargetKind;
  probe(run: WarrenRun): Promise<Probe>;
  /** start runs the target in front of Redis on `redisPort`, its config in `dir`, and resolves once it accepts. */
  start(redisPort: number, dir: string, run: WarrenRun): Promise<RunningTarget>;
}

export const direct: PoolTargetKind = {
  name: "direct",
  async probe() {
    return { ok: true, version: "-", notes: "no proxy: every client has its own Redis connection" };
  },
  async start(redisPort) {
    return { name: "direct", echoPort: redisPort, sinkPort: redisPort, workerPid: () => null, alive: () => true, stop: async () => {} };
  },
};

/**
 * WarrenShape is what differs between the warren targets: tunnel, or a pool of some size and mode; and
 * whether the admin server runs (by default it does, on an ephemeral port here; `admin: false` is the
 * twin that measures its cost).
 */
type WarrenShape = ({ mode: "tunnel" } | { mode: "pool"; maxPerBackend: number; multiplex: boolean }) & { admin?: boolean };

/** warrenKind: warren in front of Redis, from the run's checkout, or from `base` for a baseline twin. */
function warrenKind(name: PoolTargetName, shape: WarrenShape, base: Checkout | null = null): PoolTargetKind {
  const notes =
    (shape.mode === "tunnel"
      ? "mode tunnel: one Redis connection per client"
      : `mode pool, resp framer, maxPerBackend ${shape.maxPerBackend}, multiplex ${shape.multiplex}`) +
    (shape.admin === false ? ", [admin] enabled = false" : "");
  const fullName = `${name}${base?.suffix ?? ""}`;
  return {
    name: fullName,
    at: (c) => warrenKind(name, shape, c),
    probe: (w) => probeWarren(base ?? w.warren, `${notes}, access log off`),
    async start(redisPort, dir, w) {
      const c = base ?? w.warren;
      const port = freePort();
      const listener: Record<string, unknown> = {
        name: "redis",
        listen: `127.0.0.1:${port}`,
        backends: [`127.0.0.1:${redisPort}`],
        mode: shape.mode,
        idleTimeoutMs: 0,
        maxConnections: 10_000,
      };
      if (shape.mode === "pool") {
        listener.pool = { maxPerBackend: shape.maxPerBackend, multiplex: shape.multiplex, framer: { kind: "resp" } };
      }
      // This checkout's warren runs its admin server as by default (port 0: never another warren's 9510); an older checkout may not know [admin].
      const admin = c.dir !== THIS_CHECKOUT.dir ? {} : { admin: shape.admin === false ? { enabled: false } : { listen: "127.0.0.1:0" } };
      const config = { ...admin, log: { level: "warn", access: false }, shutdown: { drainTimeoutMs: 0 }, listeners: [listener] };
      const configPath = join(dir, "warren.json");
      await Bun.write(configPath, JSON.stringify(config, null, 2));
      const profileName = `${fullName.replace(":", "-")}-${port}`;
      const profile =
        w.profileDir === null ? [] : ["--cpu-prof", "--cpu-prof-md", `--cpu-prof-dir=${w.profileDir}`, `--cpu-prof-name=${profileName}`];
      const cmd = [process.execPath, ...profile, join(c.dir, "src", "main.ts"), "--config", configPath, "--log-level", "warn"];
      return startProcessTarget(fullName, cmd, { echo: port, sink: port }, join(dir, "warren.stderr"), (p) => p.pid, c.dir);
    },
  };
}

export const warrenTunnel = warrenKind("warren-1:1", { mode: "tunnel" });
export const warrenPoolExclusive = warrenKind("warren-pool-excl", { mode: "pool", maxPerBackend: 8, multiplex: false });
export const warrenPoolMux1 = warrenKind("warren-pool-mux1", { mode: "pool", maxPerBackend: 1, multiplex: true });
export const warrenPoolMux2 = warrenKind("warren-pool-mux2", { mode: "pool", maxPerBackend: 2, multiplex: true });
/** warren-pool-mux1 without its admin server: paired with it, what the admin server costs the pool (issue 10: ≤ 2% of unpipelined req/s). */
export const warrenPoolMux1NoAdmin = warrenKind("warren-pool-mux1-noadmin", {
  mode: "pool",
  maxPerBackend: 1,
  multiplex: true,
  admin: false,
});

/** How long twemproxy waits for a server's reply before it fails the request, in ms (its `timeout`). */
const TWEMPROXY_TIMEOUT_MS = 400;

/**
 * twemproxy (nutcracker): one pool, one Redis server with one connection,
 * opened at start (preconnect), default hash/distribution and mbuf size, in
 * the foreground. Its stats port is moved to a free one: the default 22222
 * could be taken by another run.
 */
export const twemproxy: PoolTargetKind = {
  name: "twemproxy",
  async probe() {
    if (Bun.which("nutcracker") === null)
      return { ok: false, reason: "nutcracker not installed (apt-get install -y nutcracker) — skipped" };
    const v = await run(["nutcracker", "-V"]);
    const version = /nutcracker-(\S+)/.exec(v.out)?.[1] ?? "unknown";
    return { ok: true, version, notes: `server_connections 1, preconnect, timeout ${TWEMPROXY_TIMEOUT_MS} ms, default mbuf (16 KiB)` };
  },
  async start(redisPort, dir) {
    const port = freePort();
    const yaml = `# generated by bench/pool/targets.ts
pool:
  listen: 127.0.0.1:${port}
  redis: true
  servers:
    - 127.0.0.1:${redisPort}:1
  server_connections: 1
  timeout: ${TWEMPROXY_TIMEOUT_MS}
  preconnect: true
`;
    const configPath = join(dir, "nutcracker.yml");
    await Bun.write(configPath, yaml);
    const cmd = ["nutcracker", "-c", configPath, "-v", "2", "-o", join(dir, "nutcracker.log"), "-s", String(freePort()), "-a", "127.0.0.1"];
    return startProcessTarget("twemproxy", cmd, { echo: port, sink: port }, join(dir, "nutcracker.stderr"), (p) => p.pid);
  },
};

export const POOL_TARGETS: readonly PoolTargetKind[] = [
  direct,
  warrenTunnel,
  warrenPoolExclusive,
  warrenPoolMux1,
  warrenPoolMux1NoAdmin,
  warrenPoolMux2,
  twemproxy,
];

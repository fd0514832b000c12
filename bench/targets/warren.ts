import { join } from "node:path";
import { type Checkout, THIS_CHECKOUT } from "../baseline.ts";
import { freePort } from "../net.ts";
import { startProcessTarget } from "./process-target.ts";
import {
  type BackendPorts,
  IDLE_TIMEOUT_S,
  MAX_SESSIONS,
  CONNECT_TIMEOUT_S,
  type Probe,
  type RunningTarget,
  type TargetKind,
} from "./target.ts";

/**
 * warren: the CLI (src/main.ts) in its own Bun process, like the other
 * proxies. The config turns the access log off (HAProxy and nginx log
 * nothing here either) and keeps every other default — the admin server
 * included, on an ephemeral port so no other warren on the host takes its
 * address (a checkout from before [admin] existed gets no admin table).
 */
export const warren: TargetKind = warrenAt(THIS_CHECKOUT);

/** ADMIN_ON: the admin server as every warren target of this checkout runs it (its default, on port 0). */
export const ADMIN_ON = { admin: { listen: "127.0.0.1:0" } } as const;

function warrenAt(c: Checkout): TargetKind {
  const name = `warren${c.suffix}`;
  return {
    name,
    isProxy: true,
    at: warrenAt,
    probe: () => probeWarren(c, "CLI, access log off, other settings default (admin server on)"),
    start: (backend: BackendPorts, dir: string) =>
      startWarrenCli(name, c, dir, (to) => ({ backends: [`127.0.0.1:${to[0]}`] }), [backend.echo], [backend.sink]),
  };
}

/**
 * warren-noadmin: the `warren` target with `[admin] enabled = false`, to pair against: the distance is
 * what the admin server and its metrics cost while nobody scrapes (issue 10: ≤ 2% of rr CPU per request).
 */
export const warrenNoAdmin: TargetKind = {
  name: "warren-noadmin",
  isProxy: true,
  probe: () => probeWarren(THIS_CHECKOUT, "CLI, [admin] enabled = false, access log off"),
  start: (backend: BackendPorts, dir: string) =>
    startWarrenCli("warren-noadmin", THIS_CHECKOUT, dir, (to) => ({ backends: [`127.0.0.1:${to[0]}`] }), [backend.echo], [backend.sink], {
      admin: { enabled: false },
    }),
};

/** probeWarren: the checkout's package version and Bun's, and where it runs from when that is not this checkout. */
export async function probeWarren(c: Checkout, notes: string): Promise<Probe> {
  const pkg = (await Bun.file(join(c.dir, "package.json")).json()) as { version: string };
  const from = c.dir === THIS_CHECKOUT.dir && c.suffix === "" ? "" : `; from ${c.label}`;
  return { ok: true, version: `${pkg.version} (bun ${Bun.version})`, notes: `${notes}${from}` };
}

/**
 * startWarrenCli runs warren's CLI from checkout `c` with an echo and a sink
 * listener; `group` gives each listener's backend settings from its backend
 * ports. Every other setting is the one all warren targets share (access log
 * off, bench limits).
 */
export async function startWarrenCli(
  name: string,
  c: Checkout,
  dir: string,
  group: (to: readonly number[]) => Record<string, unknown>,
  echoes: readonly number[],
  sinks: readonly number[],
  top: Record<string, unknown> = {},
): Promise<RunningTarget> {
  const ports = { echo: freePort(), sink: freePort() };
  const listener = (listenerName: string, port: number, to: readonly number[]) => ({
    name: listenerName,
    listen: `127.0.0.1:${port}`,
    ...group(to),
    connectTimeoutMs: CONNECT_TIMEOUT_S * 1000,
    idleTimeoutMs: IDLE_TIMEOUT_S * 1000,
    maxConnections: MAX_SESSIONS,
  });
  // Every warren target of this checkout runs its admin server (on port 0) unless it says otherwise, so
  // the variants compare like with like; an older checkout may not know [admin].
  const config = {
    ...(c === THIS_CHECKOUT ? ADMIN_ON : {}),
    ...top,
    log: { level: "warn", access: false },
    shutdown: { drainTimeoutMs: 0 },
    listeners: [listener("echo", ports.echo, echoes), listener("sink", ports.sink, sinks)],
  };
  const configPath = join(dir, `${name}.json`);
  await Bun.write(configPath, JSON.stringify(config, null, 2));
  const cmd = [process.execPath, join(c.dir, "src", "main.ts"), "--config", configPath];
  return startProcessTarget(name, cmd, ports, join(dir, `${name}.stderr`), (p) => p.pid, c.dir);
}

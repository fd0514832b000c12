/**
 * TestDns: a real DNS server (dnsmasq, Debian's dnsmasq-base) on a free loopback port, answering for
 * names under test.internal from a hosts file and SRV records the test sets, with a 1 s TTL. Other
 * names under test.internal get NXDOMAIN; nothing is forwarded anywhere.
 */
import type { Subprocess } from "bun";
import { Resolver } from "node:dns/promises";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually } from "./poll.ts";

export interface SrvSpec {
  readonly name: string;
  readonly target: string;
  readonly port: number;
  readonly priority?: number;
  readonly weight?: number;
}

export interface TestDns extends AsyncDisposable {
  readonly port: number;
  /** "127.0.0.1:PORT", for [dns] servers. */
  readonly address: string;
  /** setHosts rewrites the names' addresses (SIGHUP makes dnsmasq reread them) and waits until it answers so. */
  setHosts(hosts: Record<string, string[]>): Promise<void>;
  /** setSrv replaces the SRV records (dnsmasq reads them at start: it is restarted on the same port). */
  setSrv(records: readonly SrvSpec[]): Promise<void>;
  /** stop kills the server: queries to it go unanswered from now on. */
  stop(): Promise<void>;
}

/**
 * A port free for both UDP and TCP on loopback (dnsmasq binds both), picked below the kernel's ephemeral
 * range (/proc/sys/net/ipv4/ip_local_port_range, 32768+ here): a port taken from the ephemeral range and
 * released can be handed to any outgoing connection of a busy test run before dnsmasq binds it.
 */
async function freeUdpPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    try {
      const udp = await Bun.udpSocket({ hostname: "127.0.0.1", port });
      udp.close();
      const tcp = Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } });
      tcp.stop(true);
      return port;
    } catch {
      // taken: try another
    }
  }
  throw new Error("no port free for both UDP and TCP below the ephemeral range");
}

export async function startDns(hosts: Record<string, string[]>, srv: readonly SrvSpec[] = []): Promise<TestDns> {
  const dir = mkdtempSync(join(tmpdir(), "warren-dns-"));
  const hostsFile = join(dir, "hosts");
  let port = await freeUdpPort();
  let records = srv;
  let proc: Subprocess | null = null;
  const resolver = new Resolver({ timeout: 500, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);

  const writeHosts = (h: Record<string, string[]>): void => {
    writeFileSync(
      hostsFile,
      Object.entries(h)
        .flatMap(([name, addrs]) => addrs.map((a) => `${a} ${name}\n`))
        .join(""),
    );
  };
  const answers = async (name: string): Promise<string> => {
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(name), resolver.resolve6(name)]);
    return [...(v4.status === "fulfilled" ? v4.value : []), ...(v6.status === "fulfilled" ? v6.value : [])].sort().join(",");
  };
  const srvAnswer = async (name: string): Promise<string> => {
    try {
      return (await resolver.resolveSrv(name))
        .map((r) => `${r.name}:${r.port}`)
        .sort()
        .join(",");
    } catch {
      return "";
    }
  };
  const start = async (): Promise<void> => {
    const args = [
      "dnsmasq",
      "--keep-in-foreground",
      "--conf-file=/dev/null",
      `--port=${port}`,
      "--listen-address=127.0.0.1",
      "--bind-interfaces",
      "--no-resolv",
      "--no-hosts",
      `--addn-hosts=${hostsFile}`,
      "--local=/test.internal/",
      "--local-ttl=1",
      "--pid-file=",
      "--user=root",
      ...records.map((r) => `--srv-host=${r.name},${r.target},${r.port},${r.priority ?? 0},${r.weight ?? 1}`),
    ];
    proc = Bun.spawn(args, { stdout: "ignore", stderr: "pipe" });
    const first = records[0];
    const probe = first !== undefined ? () => srvAnswer(first.name) : () => answers(Object.keys(hosts)[0] ?? "none.test.internal");
    await eventually(
      async () => (proc!.exitCode !== null ? "exited" : await probe()),
      (a) => a === "exited" || a !== "" || (first === undefined && Object.keys(hosts).length === 0),
      `dnsmasq on port ${port} to answer`,
      5000,
    );
    if (proc.exitCode !== null)
      throw new Error(`dnsmasq exited (${proc.exitCode}): ${await new Response(proc.stderr as ReadableStream).text()}`);
  };
  const kill = async (): Promise<void> => {
    const p = proc;
    proc = null;
    if (p === null || p.exitCode !== null) return;
    p.kill("SIGTERM");
    await p.exited;
  };

  writeHosts(hosts);
  // A free UDP port may be taken for TCP (dnsmasq binds both): then dnsmasq exits 2, and another port is tried.
  for (let attempt = 1; ; attempt++) {
    try {
      await start();
      break;
    } catch (err) {
      if (attempt >= 5) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
      port = await freeUdpPort();
      resolver.setServers([`127.0.0.1:${port}`]);
    }
  }
  return {
    port,
    address: `127.0.0.1:${port}`,
    async setHosts(next) {
      writeHosts(next);
      proc?.kill("SIGHUP");
      for (const [name, addrs] of Object.entries(next)) {
        await eventually(
          () => answers(name),
          (a) => a === [...addrs].sort().join(","),
          `dnsmasq to answer ${name} with ${addrs.join(",")}`,
          5000,
        );
      }
    },
    async setSrv(next) {
      records = next;
      await kill();
      await start();
    },
    stop: kill,
    async [Symbol.asyncDispose]() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

#!/usr/bin/env bun
/**
 * Makes sure the programs the integration tests run are on this machine:
 * redis-server (pooled RESP mode against a real Redis), python3 (a
 * listener with a full accept queue, for real connect timeouts) and ss
 * (iproute2: the kernel's view of socket options), HAProxy and nginx with its
 * stream module (real PROXY protocol peers for the interop tests), dnsmasq
 * (a real DNS server for discovery), Prometheus and promtool (metrics), Chromium (the
 * dashboard's browser test). Runs first in
 * `bun run test`, so the README's one test command works on a fresh Debian
 * machine: when something is missing and apt-get is usable (root), it installs
 * the Debian packages; otherwise it says exactly what to install and fails.
 */
import { existsSync } from "node:fs";

/** Debian's libnginx-mod-stream puts nginx's stream module here (nginx-light does not build it in). */
const NGINX_STREAM_MODULE = "/usr/lib/nginx/modules/ngx_stream_module.so";

const NEEDED: { command: string; aptPackages: string[]; why: string; present?: () => boolean }[] = [
  { command: "redis-server", aptPackages: ["redis-server"], why: "pooled-mode tests run against a real Redis" },
  { command: "python3", aptPackages: ["python3"], why: "connect-timeout tests use a listener that never accepts" },
  { command: "ss", aptPackages: ["iproute2"], why: "socket-option tests read the kernel's keepalive timers" },
  { command: "dnsmasq", aptPackages: ["dnsmasq-base"], why: "DNS discovery tests run against a real DNS server on loopback" },
  { command: "systemd-analyze", aptPackages: ["systemd"], why: "the systemd unit in deploy/ is checked with systemd-analyze verify" },
  {
    command: "openssl",
    aptPackages: ["openssl"],
    why: "SNI routing and TLS tests make certificates, capture real ClientHellos and interoperate with openssl s_client/s_server",
  },
  { command: "curl", aptPackages: ["curl"], why: "TLS termination interop: curl --resolve through a TLS listener" },
  {
    command: "haproxy",
    aptPackages: ["haproxy"],
    why: "PROXY protocol interop: HAProxy send-proxy in front of warren, accept-proxy behind it",
  },
  {
    command: "nginx",
    aptPackages: ["nginx-light", "libnginx-mod-stream"],
    why: "PROXY protocol interop: nginx stream proxy_protocol on either side of warren",
    present: () => Bun.which("nginx") !== null && existsSync(NGINX_STREAM_MODULE),
  },
  {
    command: "chromium",
    aptPackages: ["chromium"],
    why: "the admin dashboard is tested in a real headless browser (puppeteer-core drives it)",
  },
  {
    command: "promtool",
    aptPackages: ["prometheus"],
    why: "metrics: promtool checks the /metrics text, and a real Prometheus server scrapes warren",
    present: () => Bun.which("promtool") !== null && Bun.which("prometheus") !== null,
  },
];

const isPresent = (n: (typeof NEEDED)[number]): boolean => (n.present === undefined ? Bun.which(n.command) !== null : n.present());
const missing = NEEDED.filter((n) => !isPresent(n));
if (missing.length === 0) process.exit(0);

const packages = missing.flatMap((m) => m.aptPackages);
const list = missing.map((m) => `  ${m.command} (${m.why})`).join("\n");
const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
if (!isRoot || Bun.which("apt-get") === null) {
  process.stderr.write(
    `The tests need programs this machine lacks:\n${list}\nInstall them, e.g.: sudo apt-get install -y ${packages.join(" ")}\n`,
  );
  process.exit(1);
}

process.stderr.write(`Installing what the tests need with apt-get:\n${list}\n`);
const apt = ["apt-get", "-o", "DPkg::Lock::Timeout=300"];
const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
for (const args of [
  ["update", "-qq"],
  ["install", "-y", "-qq", ...packages],
]) {
  const r = Bun.spawnSync([...apt, ...args], { env, stdout: "inherit", stderr: "inherit" });
  if (r.exitCode !== 0) {
    process.stderr.write(`apt-get ${args[0]} failed (exit ${r.exitCode}); install ${packages.join(" ")} by hand.\n`);
    process.exit(1);
  }
}
// Debian starts the packaged services; the tests start their own on free ports.
const services = "redis-server haproxy nginx prometheus";
Bun.spawnSync(
  [
    "sh",
    "-c",
    `for s in ${services}; do command -v systemctl >/dev/null && systemctl stop $s; command -v service >/dev/null && service $s stop; done`,
  ],
  {
    stdout: "ignore",
    stderr: "ignore",
  },
);
const still = missing.filter((n) => !isPresent(n));
if (still.length > 0) {
  process.stderr.write(`still missing after apt-get: ${still.map((s) => s.command).join(", ")}\n`);
  process.exit(1);
}

#!/usr/bin/env bun
/**
 * Makes sure the programs the integration tests run are on this machine:
 * redis-server (pooled RESP mode against a real Redis), python3 (a
 * listener with a full accept queue, for real connect timeouts) and ss
 * (iproute2: the kernel's view of socket options). Runs first in
 * `bun run test`, so the README's one test command works on a fresh Debian
 * machine: when something is missing and apt-get is usable (root), it installs
 * the Debian packages; otherwise it says exactly what to install and fails.
 */
const NEEDED: { command: string; aptPackage: string; why: string }[] = [
  { command: "redis-server", aptPackage: "redis-server", why: "pooled-mode tests run against a real Redis" },
  { command: "python3", aptPackage: "python3", why: "connect-timeout tests use a listener that never accepts" },
  { command: "ss", aptPackage: "iproute2", why: "socket-option tests read the kernel's keepalive timers" },
  { command: "dnsmasq", aptPackage: "dnsmasq-base", why: "DNS discovery tests run against a real DNS server on loopback" },
  { command: "systemd-analyze", aptPackage: "systemd", why: "the systemd unit in deploy/ is checked with systemd-analyze verify" },
];

const missing = NEEDED.filter((n) => Bun.which(n.command) === null);
if (missing.length === 0) process.exit(0);

const packages = missing.map((m) => m.aptPackage);
const list = missing.map((m) => `  ${m.command} (${m.why})`).join("\n");
const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
if (!isRoot || Bun.which("apt-get") === null) {
  process.stderr.write(`The tests need programs this machine lacks:\n${list}\nInstall them, e.g.: sudo apt-get install -y ${packages.join(" ")}\n`);
  process.exit(1);
}

process.stderr.write(`Installing what the tests need with apt-get:\n${list}\n`);
const apt = ["apt-get", "-o", "DPkg::Lock::Timeout=300"];
const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
for (const args of [["update", "-qq"], ["install", "-y", "-qq", ...packages]]) {
  const r = Bun.spawnSync([...apt, ...args], { env, stdout: "inherit", stderr: "inherit" });
  if (r.exitCode !== 0) {
    process.stderr.write(`apt-get ${args[0]} failed (exit ${r.exitCode}); install ${packages.join(" ")} by hand.\n`);
    process.exit(1);
  }
}
// Debian starts the packaged redis-server service; the tests start their own on free ports.
Bun.spawnSync(["sh", "-c", "command -v systemctl >/dev/null && systemctl stop redis-server; command -v service >/dev/null && service redis-server stop"], {
  stdout: "ignore",
  stderr: "ignore",
});
const still = missing.filter((n) => Bun.which(n.command) === null);
if (still.length > 0) {
  process.stderr.write(`still missing after apt-get: ${still.map((s) => s.command).join(", ")}\n`);
  process.exit(1);
}

#!/usr/bin/env bun
/**
 * TLS termination against HAProxy: `bun run bench:tls [--rounds N] [--seconds S] [--mib M]`.
 *
 * One certificate (EC P-256, made here with openssl), one backend process (bench/backend-echo.ts),
 * warren (CLI, `[listeners.tls]`) and HAProxy (`bind … ssl crt`, mode tcp, nbthread 1) each in its
 * own process, terminating TLS in front of the same plain echo and sink. Every measurement is a fresh
 * load-generator process (bench/tls/load.ts): **handshakes** — 20 loops of full TLS handshake, 64 B
 * echoed, close; **bulk** — one TLS connection streaming M MiB into the sink. Rounds interleave the
 * two targets (the order alternates), and the report gives medians, the proxy's CPU per handshake and
 * per MB, and warren ÷ HAProxy.
 */
import { join } from "node:path";
import { spawnChild, stopChild, readLines, benchMain, type Child } from "./children.ts";
import { cpuNs } from "./load/cpu.ts";
import { freePort, waitForPort } from "./net.ts";
import { median } from "./stats.ts";

interface Options {
  rounds: number;
  seconds: number;
  mib: number;
}

function parse(argv: readonly string[]): Options | string {
  const o: Options = { rounds: 5, seconds: 3, mib: 512 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], Number(argv[i + 1])];
    if (flag === "-h" || flag === "--help")
      return "bun run bench:tls [--rounds N (5)] [--seconds S per handshake run (3)] [--mib M per bulk run (512)]";
    if (flag === "--rounds" || flag === "--seconds" || flag === "--mib") {
      if (!Number.isInteger(value) || value < 1) return `${flag}: expected a positive integer`;
      o[flag.slice(2) as keyof Options] = value;
      i++;
    } else return `unknown flag ${flag}`;
  }
  return o;
}

interface Target {
  name: string;
  proc: Child;
  echo: number;
  sink: number;
}

async function bench(o: Options, dir: string): Promise<number> {
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  const r = Bun.spawnSync(
    [
      "openssl",
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=DNS:localhost",
      "-keyout",
      key,
      "-out",
      cert,
    ],
    { stderr: "pipe" },
  );
  if (r.exitCode !== 0) throw new Error(`openssl: ${r.stderr}`);
  const combined = join(dir, "combined.pem");
  await Bun.write(combined, (await Bun.file(cert).text()) + (await Bun.file(key).text()));

  const backend = spawnChild([process.execPath, join(import.meta.dir, "backend-echo.ts")], { stdin: "pipe", stdout: "pipe" });
  let ports: { echo: number; sink: number } | null = null;
  for await (const line of readLines(backend.stdout as ReadableStream<Uint8Array>)) {
    ports = JSON.parse(line);
    break;
  }
  if (ports === null) throw new Error("backend did not start");

  const targets: Target[] = [];
  {
    const echo = freePort();
    const sink = freePort();
    const tls = { cert, key };
    const cfg = {
      log: { level: "warn", access: false },
      listeners: [
        { name: "echo", listen: `127.0.0.1:${echo}`, backends: [`127.0.0.1:${ports.echo}`], tls, maxConnections: 9000 },
        { name: "sink", listen: `127.0.0.1:${sink}`, backends: [`127.0.0.1:${ports.sink}`], tls },
      ],
    };
    const path = join(dir, "warren.json");
    await Bun.write(path, JSON.stringify(cfg));
    const proc = spawnChild([process.execPath, join(import.meta.dir, "..", "src", "main.ts"), "--config", path], {
      stderr: join(dir, "warren.stderr"),
    });
    targets.push({ name: "warren", proc, echo, sink });
  }
  if (Bun.which("haproxy") !== null) {
    const echo = freePort();
    const sink = freePort();
    const frontend = (name: string, port: number, to: number) => `
frontend ${name}_in
    bind 127.0.0.1:${port} ssl crt ${combined}
    default_backend ${name}_out
backend ${name}_out
    server ${name} 127.0.0.1:${to}
`;
    const path = join(dir, "haproxy.cfg");
    // The same TLS 1.3 suite order as Bun's BoringSSL (AES-128-GCM first); OpenSSL's default puts AES-256-GCM first.
    await Bun.write(
      path,
      `global\n    nbthread 1\n    maxconn 9000\n    ssl-default-bind-ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256\ndefaults\n    mode tcp\n    maxconn 9000\n    timeout connect 5s\n    timeout client 600s\n    timeout server 600s\n${frontend("echo", echo, ports.echo)}${frontend("sink", sink, ports.sink)}`,
    );
    const proc = spawnChild(["haproxy", "-f", path, "-db"], { stderr: join(dir, "haproxy.stderr") });
    targets.push({ name: "haproxy", proc, echo, sink });
  } else {
    process.stdout.write("haproxy is not installed: warren alone\n");
  }
  for (const t of targets) {
    await waitForPort(t.echo, 10_000, t.name, () => t.proc.exitCode === null);
    await waitForPort(t.sink, 10_000, t.name, () => t.proc.exitCode === null);
  }

  const results = new Map<string, { hs: number[]; hsCpu: number[]; mb: number[]; mbCpu: number[]; cipher: string }>(
    targets.map((t) => [t.name, { hs: [], hsCpu: [], mb: [], mbCpu: [], cipher: "" }]),
  );
  const load = async (args: string[]): Promise<Record<string, number> & { cipher?: string }> => {
    const p = spawnChild([process.execPath, join(import.meta.dir, "tls", "load.ts"), ...args], { stdout: "pipe" });
    const out = await new Response(p.stdout as ReadableStream<Uint8Array>).text();
    await p.exited;
    return JSON.parse(out.trim().split("\n").pop() ?? "{}");
  };
  for (let round = 0; round < o.rounds; round++) {
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const t of order) {
      const res = results.get(t.name)!;
      let cpu = cpuNs(t.proc.pid);
      const hs = await load(["handshakes", String(t.echo), String(o.seconds), "20"]);
      const hsCount = hs.handshakesPerSec! * o.seconds;
      res.hs.push(hs.handshakesPerSec!);
      res.hsCpu.push((cpuNs(t.proc.pid) - cpu) / 1000 / hsCount);
      await Bun.sleep(250);
      cpu = cpuNs(t.proc.pid);
      const bulk = await load(["bulk", String(t.sink), String(o.mib)]);
      res.mb.push(bulk.mbPerSec!);
      res.cipher = bulk.cipher ?? "";
      res.mbCpu.push(bulk.sent! / 1e6 / ((cpuNs(t.proc.pid) - cpu) / 1e9));
      await Bun.sleep(250);
      process.stdout.write(
        `round ${round + 1} ${t.name}: ${hs.handshakesPerSec!.toFixed(0)} handshakes/s, ${bulk.mbPerSec!.toFixed(0)} MB/s\n`,
      );
    }
  }
  const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const w = results.get("warren")!;
  const h = results.get("haproxy");
  const rows: [string, (r: typeof w) => number[], number, boolean][] = [
    ["handshakes/s ↑", (r) => r.hs, 0, true],
    ["proxy CPU µs/handshake ↓", (r) => r.hsCpu, 1, false],
    ["bulk MB/s ↑", (r) => r.mb, 0, true],
    ["bulk MB per proxy CPU-s ↑", (r) => r.mbCpu, 0, true],
  ];
  process.stdout.write(
    `\nTLS termination, EC P-256 certificate, medians of ${o.rounds} interleaved rounds (handshakes: 20 loops × ${o.seconds} s; bulk: ${o.mib} MiB)\n\n`,
  );
  for (const [name, r] of results) process.stdout.write(`${name}: ${r.cipher}\n`);
  process.stdout.write(
    `\n| metric | warren | ${h === undefined ? "" : "haproxy | warren/haproxy |"}\n| --- | ---: | ${h === undefined ? "" : "---: | ---: |"}\n`,
  );
  for (const [label, pick, digits] of rows) {
    const wm = median(pick(w));
    const hm = h === undefined ? NaN : median(pick(h));
    process.stdout.write(`| ${label} | ${fmt(wm, digits)} | ${h === undefined ? "" : `${fmt(hm, digits)} | ${(wm / hm).toFixed(2)}× |`}\n`);
  }
  for (const t of targets) await stopChild(t.proc);
  backend.stdin?.end();
  return 0;
}

process.exit(await benchMain(process.argv.slice(2), parse, bench, "warren-bench-tls-"));

/**
 * Certificate rotation: a SIGHUP re-reads the certificate files. A handshake after the reload is served
 * the new certificate (its serial), a session that began before keeps working on the old one, and a
 * file that went bad is refused with its key path while the running certificates stay.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, startWarren } from "../helpers/cli.ts";
import { makeCa, type Issued, type TestCa } from "../helpers/tls-certs.ts";
import { tlsConnect } from "../helpers/tls-client.ts";
import { eventually } from "../helpers/poll.ts";

let ca: TestCa;
let first: Issued;
let second: Issued;
beforeAll(() => {
  ca = makeCa();
  first = ca.issue(["localhost"]);
  second = ca.issue(["localhost"]);
});
afterAll(() => ca[Symbol.dispose]());

test("SIGHUP rotates the certificate for new handshakes; a live session keeps going; a bad file is refused and the old certificate stays", async () => {
  const cert = join(ca.dir, "live.pem");
  const key = join(ca.dir, "live-key.pem");
  copyFileSync(first.certPath, cert);
  copyFileSync(first.keyPath, key);
  const backend = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data: (s, d) => void s.write(d) } });
  const port = freePort();
  const configPath = join(ca.dir, "warren.json");
  writeFileSync(
    configPath,
    JSON.stringify({
      log: { format: "json", access: false },
      listeners: [{ name: "tls", listen: `127.0.0.1:${port}`, backends: [`127.0.0.1:${backend.port}`], tls: { cert, key } }],
    }),
  );
  try {
    await using warren = await startWarren(["--config", configPath]);
    const old = await tlsConnect(port, { serverName: "localhost", ca: ca.cert });
    expect(old.serial).toBe(first.serial);

    copyFileSync(second.certPath, cert);
    copyFileSync(second.keyPath, key);
    const mark = warren.mark;
    warren.signalWarren("SIGHUP");
    await warren.waitForLog("reloaded", { from: mark });
    // The log says which certificate applies now: serial and expiry, per name.
    const loaded = await warren.waitForLog("tls certificates", { from: mark });
    expect((loaded.certificates as { serverName: string; serial: string }[]).map((c) => [c.serverName, c.serial])).toEqual([
      ["default", second.serial],
    ]);
    const fresh = await tlsConnect(port, { serverName: "localhost", ca: ca.cert });
    expect({ serial: fresh.serial, authorized: fresh.authorized }).toEqual({ serial: second.serial, authorized: true });

    // The session from before the reload still relays, on its old certificate.
    await old.send(Buffer.from("still here"));
    expect((await old.read(10)).toString()).toBe("still here");

    // A key that is not the certificate's: the reload is refused, naming the key, and the second certificate stays.
    copyFileSync(first.keyPath, key);
    const mark2 = warren.mark;
    warren.signalWarren("SIGHUP");
    const refused = await warren.waitForLog("reload rejected: config invalid, keeping the running config", { from: mark2 });
    expect(String(refused.errors)).toContain("listeners[0].tls.key: does not match cert");
    const after = await tlsConnect(port, { serverName: "localhost", ca: ca.cert });
    expect(after.serial).toBe(second.serial);
    for (const c of [old, fresh, after]) c.end();
  } finally {
    backend.stop(true);
  }
}, 20_000);

test("workers = 2: each worker terminates TLS with the file's certificates, and a SIGHUP rotates them in both", async () => {
  const cert = join(ca.dir, "workers.pem");
  const key = join(ca.dir, "workers-key.pem");
  copyFileSync(first.certPath, cert);
  copyFileSync(first.keyPath, key);
  const backend = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data: (s, d) => void s.write(d) } });
  const port = freePort();
  const configPath = join(ca.dir, "workers.json");
  writeFileSync(
    configPath,
    JSON.stringify({
      workers: 2,
      log: { format: "json", access: false },
      listeners: [{ name: "tls", listen: `127.0.0.1:${port}`, backends: [`127.0.0.1:${backend.port}`], tls: { cert, key } }],
    }),
  );
  try {
    await using warren = await startWarren(["--config", configPath], { timeoutMs: 20_000 });
    const serials = async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 20; i++) {
        const c = await tlsConnect(port, { serverName: "localhost", ca: ca.cert });
        seen.add(c.serial);
        c.end();
      }
      return [...seen];
    };
    expect(await serials()).toEqual([first.serial]);
    copyFileSync(second.certPath, cert);
    copyFileSync(second.keyPath, key);
    const mark = warren.mark;
    warren.signalWarren("SIGHUP");
    // Each worker logs its own load of the rotated files.
    await eventually(
      () => warren.lines.slice(mark).filter((l) => l.msg === "tls certificates").length,
      (n) => n >= 2,
      "both workers to load the new certificate",
      10_000,
    );
    expect(await serials()).toEqual([second.serial]);
  } finally {
    backend.stop(true);
  }
}, 30_000);

/**
 * Pins the Bun 1.4.4 TLS behaviour warren's TLS stage and TLS connects rely on. If an upgrade changes
 * one of these, this file fails first and says which fact broke.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import tls from "node:tls";
import { alpnWire } from "../../src/edge/tls-context.ts";
import { waitFor } from "../helpers/proxy.ts";
import { makeCa, type Issued, type TestCa } from "../helpers/tls-certs.ts";

let ca: TestCa;
let a: Issued;
let b: Issued;
beforeAll(() => {
  ca = makeCa();
  a = ca.issue(["a.test", "127.0.0.1"]);
  b = ca.issue(["b.test"]);
});
afterAll(() => ca[Symbol.dispose]());

const nativeContext = (c: Issued): object =>
  (tls.createSecureContext({ cert: c.cert, key: c.key }) as unknown as { context: object }).context;

/** The subject CN the server presents to openssl s_client asking for `name`. */
async function servedCn(port: number, name: string): Promise<string> {
  const p = Bun.spawn(["openssl", "s_client", "-connect", `127.0.0.1:${port}`, "-servername", name], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "ignore",
  });
  p.stdin.end();
  const out = await new Response(p.stdout).text();
  return /subject=\s*CN\s*=\s*(\S+)/.exec(out)?.[1] ?? "none";
}

describe("Bun TLS, as warren uses it", () => {
  test("Bun.listen refuses a tls array (only Bun.serve takes one)", () => {
    expect(() =>
      Bun.listen({ hostname: "127.0.0.1", port: 0, tls: [{ cert: a.cert, key: a.key }] as never, socket: { data() {} } }),
    ).toThrow();
  });

  test("upgradeTLS on an accepted socket: [raw, tls]; raw still gets the ciphertext as data; tls has no listener; the serverName handler's returned native context is served", async () => {
    const seen = { rawData: 0, tlsListener: "unset" as unknown, names: [] as string[], plaintext: "" };
    const ctxB = nativeContext(b);
    using server = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open(s) {
          const [raw, t] = (s as unknown as { upgradeTLS(o: unknown): [unknown, { listener: unknown }] }).upgradeTLS({
            tls: { secureContext: nativeContext(a) },
            data: null,
            socket: {
              serverName: (_d: unknown, name: string) => (seen.names.push(name), name === "b.test" ? ctxB : undefined),
              data: (sock: { write(x: string): number }, d: Buffer) => void ((seen.plaintext += d.toString()), sock.write(d.toString())),
            },
          });
          seen.tlsListener = t.listener;
          expect(raw).not.toBe(s);
        },
        data(_s, d) {
          seen.rawData += d.byteLength;
        },
      },
    });
    expect(await servedCn(server.port, "a.test")).toBe("a.test");
    expect(await servedCn(server.port, "b.test")).toBe("b.test");
    expect(seen.names).toEqual(["a.test", "b.test"]);
    expect(seen.tlsListener).toBeUndefined();
    expect(seen.rawData).toBeGreaterThan(200); // the ClientHellos and more, as ciphertext
  });

  test("a secureContext passed to upgradeTLS must be the native .context, not the SecureContext object", async () => {
    const errors: string[] = [];
    using server = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open(s) {
          try {
            (s as unknown as { upgradeTLS(o: unknown): unknown }).upgradeTLS({
              tls: { secureContext: tls.createSecureContext({ cert: a.cert, key: a.key }) },
              data: null,
              socket: { data() {} },
            });
          } catch (err) {
            errors.push(String(err));
          }
          s.end();
        },
        data() {},
      },
    });
    await servedCn(server.port, "a.test");
    await waitFor(() => errors.length === 1, "upgradeTLS to refuse the wrapper object");
  });

  test("the server's handshake handler fires on failures too (success false), e.g. a client below minVersion", async () => {
    const results: [boolean, string | undefined][] = [];
    using server = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open(s) {
          const ctx = (tls.createSecureContext({ cert: a.cert, key: a.key, minVersion: "TLSv1.3" }) as unknown as { context: object })
            .context;
          (s as unknown as { upgradeTLS(o: unknown): unknown }).upgradeTLS({
            tls: { secureContext: ctx },
            data: null,
            socket: {
              handshake: (_t: unknown, ok: boolean, err: { code?: string } | null) => void results.push([ok, err?.code]),
              data() {},
            },
          });
        },
        data() {},
      },
    });
    const p = Bun.spawn(["openssl", "s_client", "-connect", `127.0.0.1:${server.port}`, "-tls1_2"], {
      stdin: "pipe",
      stdout: "ignore",
      stderr: "ignore",
    });
    p.stdin.end();
    await p.exited;
    await waitFor(() => results.length === 1, "the failed handshake's event");
    expect(results[0]![0]).toBe(false);
  });

  test("client side: ALPN takes the wire format; an unverified chain is ok=true authorized=false; a name mismatch is ok=false", async () => {
    using server = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      tls: { cert: a.cert, key: a.key, ALPNProtocols: alpnWire(["h2"]) } as never,
      socket: { data() {} },
    });
    const handshake = (opts: Record<string, unknown>) =>
      new Promise<{ ok: boolean; authorized: boolean; alpn: unknown; code?: string }>((resolve) => {
        void Bun.connect({
          hostname: "127.0.0.1",
          port: server.port,
          tls: opts,
          socket: {
            handshake(s, ok, err) {
              resolve({
                ok,
                authorized: s.authorized,
                alpn: (s as unknown as { alpnProtocol: unknown }).alpnProtocol,
                code: (err as { code?: string } | null)?.code,
              });
              s.end();
            },
            data() {},
          },
        }).catch(() => {});
      });
    expect(await handshake({ rejectUnauthorized: false, serverName: "a.test", ALPNProtocols: alpnWire(["h2"]) })).toMatchObject({
      ok: true,
      authorized: false,
      alpn: "h2",
    });
    expect(await handshake({ rejectUnauthorized: false, serverName: "a.test", ca: ca.cert })).toMatchObject({ ok: true, authorized: true });
    expect(await handshake({ rejectUnauthorized: true, serverName: "b.test", ca: ca.cert })).toMatchObject({
      ok: false,
      code: "ERR_TLS_CERT_ALTNAME_INVALID",
    });
  });

  test("client side: a plain connected socket given no-op handlers, written to, then upgradeTLS'd, handshakes; the TLS socket takes reload()", async () => {
    using server = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      tls: { cert: a.cert, key: a.key },
      socket: { data: (s, d) => void s.write(d) },
    });
    const got = Promise.withResolvers<string>();
    const ignore = () => {};
    const plain = await Bun.connect({ hostname: "127.0.0.1", port: server.port, socket: { data: ignore } });
    plain.reload({ socket: { data: ignore, close: ignore, drain: ignore, end: ignore } });
    (plain as unknown as { upgradeTLS(o: unknown): unknown }).upgradeTLS({
      tls: { ca: ca.cert, serverName: "a.test" },
      data: undefined,
      socket: {
        handshake(t: { authorized: boolean; reload(o: unknown): void; write(x: string): number }, ok: boolean) {
          expect({ ok, authorized: t.authorized }).toEqual({ ok: true, authorized: true });
          t.reload({ socket: { data: (_s: unknown, d: Buffer) => got.resolve(d.toString()), close: ignore } });
          t.write("after the upgrade");
        },
        data: ignore,
      },
    });
    expect(await got.promise).toBe("after the upgrade");
  });

  test("node:tls connect: after secureConnect its _handle is a Bun socket that reload() takes over, as with node:net", async () => {
    using server = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      tls: { cert: a.cert, key: a.key },
      socket: { data: (s, d) => void s.write(d) },
    });
    const got = Promise.withResolvers<string>();
    const sock = tls.connect({ host: "127.0.0.1", port: server.port, servername: "a.test", ca: ca.cert });
    sock.on("secureConnect", function (this: { _handle: { reload(o: unknown): void; write(x: string): number } }) {
      this._handle.reload({ socket: { data: (_s: unknown, d: Buffer) => got.resolve(d.toString()), close() {} } });
      this._handle.write("over the taken-over socket");
    });
    expect(await got.promise).toBe("over the taken-over socket");
    sock.destroy();
  });
});

/**
 * Unix socket listeners and backends in the config: `listen = "unix:/PATH"`, `socketMode`, `unix:`
 * backends, and the problems each may have, named by key path.
 */
import { expect, test } from "bun:test";
import { validateConfig } from "../../../src/config/validate.ts";
import { ConfigErrors } from "../../../src/errors.ts";

function errorsOf(config: unknown): string[] {
  const r = validateConfig(config);
  if (!(r instanceof ConfigErrors)) throw new Error("expected the config to be rejected");
  return r.errors.map((e) => e.message);
}

test("a unix listener with a socketMode in octal, as a string or a TOML octal integer; unix backends in both modes", () => {
  for (const socketMode of ["0660", "660", 0o660]) {
    const r = validateConfig({
      listeners: [{ listen: "unix:/run/warren.sock", socketMode, backends: ["unix:/run/app.sock", "127.0.0.1:1"] }],
    });
    if (r instanceof ConfigErrors) throw r;
    const l = r.listeners[0]!;
    expect([l.name, l.listen, l.socketMode, l.backends[0]!.address]).toEqual([
      "unix:/run/warren.sock",
      { host: "", port: 0, unix: "/run/warren.sock" },
      0o660,
      { host: "", port: 0, unix: "/run/app.sock" },
    ]);
  }
  const pool = validateConfig({
    listeners: [{ listen: "127.0.0.1:0", mode: "pool", pool: { framer: { kind: "resp" } }, backends: ["unix:/run/redis.sock"] }],
  });
  expect(pool).not.toBeInstanceOf(ConfigErrors);
  const r = validateConfig({ listeners: [{ listen: "unix:/run/warren.sock", backends: ["127.0.0.1:1"] }] });
  if (r instanceof ConfigErrors) throw r;
  expect(r.listeners[0]!.socketMode).toBeNull();
});

test("socketMode problems are named, with the fix", () => {
  const at = (socketMode: unknown) => errorsOf({ listeners: [{ listen: "unix:/run/w.sock", socketMode, backends: ["127.0.0.1:1"] }] })[0];
  expect(at("rw-rw----")).toBe(
    'listeners[0].socketMode: expected the socket file\'s permissions in octal, like "0660" (owner and group may connect), got "rw-rw----"',
  );
  expect(at(660)).toContain('(in TOML, write an octal integer as 0o660, or a string "0660")');
  expect(at("0460")).toContain("without the owner's write bit (0200) not even warren's own user could connect");
  expect(errorsOf({ listeners: [{ listen: "127.0.0.1:0", socketMode: "0660", backends: ["127.0.0.1:1"] }] })).toEqual([
    'listeners[0].socketMode: only for a unix socket (listen = "unix:/run/warren.sock"); 127.0.0.1:0 is TCP, whose access is allow/deny',
  ]);
});

test("two listeners on one socket path are refused like two on one port; workers cannot share a unix socket", () => {
  expect(
    errorsOf({
      listeners: [
        { name: "a", listen: "unix:/run/w.sock", backends: ["127.0.0.1:1"] },
        { name: "b", listen: "unix:/run/w.sock", backends: ["127.0.0.1:1"] },
      ],
    }),
  ).toEqual(["listeners[1].listen: unix:/run/w.sock is already used by listeners[0]"]);
  expect(errorsOf({ workers: 2, listeners: [{ listen: "unix:/run/w.sock", backends: ["127.0.0.1:1"] }] })[0]).toStartWith(
    "listeners[0].listen: a unix socket with workers = 2: SO_REUSEPORT shares TCP ports only",
  );
});

test("bad unix addresses are named at their key path", () => {
  expect(errorsOf({ listeners: [{ listen: "unix:relative.sock", backends: ["unix:"] }] })).toEqual([
    'listeners[0].listen: expected unix:/PATH, got "unix:relative.sock": the path must be absolute, as in unix:/run/warren.sock',
    'listeners[0].backends[0]: expected unix:/PATH, got "unix:": no path after "unix:"',
  ]);
});

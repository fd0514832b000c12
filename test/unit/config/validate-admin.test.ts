import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tokenMatches, hostAllowed } from "../../../src/admin/security.ts";
import type { AdminConfig } from "../../../src/config/schema.ts";
import { validateConfig } from "../../../src/config/validate.ts";
import { ConfigErrors } from "../../../src/errors.ts";

const dir = mkdtempSync(join(tmpdir(), "warren-admin-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LISTENERS = [{ backends: ["127.0.0.1:9501"] }];
const TOKEN = "0123456789abcdef0123";

function admin(value: unknown, env: Record<string, string> = {}): AdminConfig | string[] {
  const r = validateConfig(value === undefined ? { listeners: LISTENERS } : { listeners: LISTENERS, admin: value }, "warren.toml", env);
  return r instanceof ConfigErrors ? r.errors.map((e) => e.message) : r.admin;
}

test("left out, the admin server listens on 127.0.0.1:9510 without a token, and that address counts as not configured", () => {
  expect(admin(undefined)).toEqual({ enabled: true, listen: { host: "127.0.0.1", port: 9510 }, listenConfigured: false, token: null });
  expect(admin({ listen: "127.0.0.1:9510" })).toMatchObject({ listenConfigured: true });
});

test("the token comes from token, else tokenFile (one trailing newline dropped), else WARREN_ADMIN_TOKEN", () => {
  const file = join(dir, "token");
  writeFileSync(file, `${TOKEN}\n`);
  expect(admin({ token: TOKEN })).toMatchObject({ token: TOKEN });
  expect(admin({ tokenFile: file })).toMatchObject({ token: TOKEN });
  expect(admin({}, { WARREN_ADMIN_TOKEN: TOKEN })).toMatchObject({ token: TOKEN });
  expect(admin({ token: `${TOKEN}x` }, { WARREN_ADMIN_TOKEN: TOKEN })).toMatchObject({ token: `${TOKEN}x` });
});

test("a token shorter than 16 characters, two sources, an unreadable file: each names its key", () => {
  expect(admin({ token: "short" })).toEqual(["admin.token: a token needs at least 16 characters, got 5 (e.g. `openssl rand -hex 32`)"]);
  expect(admin({}, { WARREN_ADMIN_TOKEN: "short" })).toEqual([
    "admin.token: WARREN_ADMIN_TOKEN is 5 characters: a token needs at least 16 (e.g. `openssl rand -hex 32`)",
  ]);
  expect(admin({ token: TOKEN, tokenFile: "/x" })).toEqual(["admin.tokenFile: give admin.token or admin.tokenFile, not both"]);
  expect(admin({ tokenFile: join(dir, "missing") })).toEqual([`admin.tokenFile: cannot read "${join(dir, "missing")}": ENOENT`]);
  expect(admin({ listen: "unix:/tmp/x.sock" })).toEqual([
    'admin.listen: expected HOST:PORT, got "unix:/tmp/x.sock": the admin server listens on TCP',
  ]);
  expect(admin({ lisen: "127.0.0.1:1" })).toEqual(['admin.lisen: unknown key, did you mean "listen"?']);
});

test("a non-loopback address without a token is a config error at admin.token; with one, or disabled, it is fine", () => {
  const [error] = admin({ listen: "0.0.0.0:9510" }) as string[];
  expect(error).toStartWith(
    "admin.token: admin.listen 0.0.0.0:9510 is reachable from other hosts, and warren's admin server there needs a token: set admin.token or admin.tokenFile, or WARREN_ADMIN_TOKEN",
  );
  expect(admin({ listen: "[::]:9510" })).toHaveLength(1);
  expect(admin({ listen: "10.0.0.1:9510", token: TOKEN })).toMatchObject({ listen: { host: "10.0.0.1", port: 9510 } });
  expect(admin({ listen: "0.0.0.0:9510" }, { WARREN_ADMIN_TOKEN: TOKEN })).toMatchObject({ token: TOKEN });
  expect(admin({ listen: "0.0.0.0:9510", enabled: false })).toMatchObject({ enabled: false });
  for (const loopback of ["127.0.0.1:0", "127.1.2.3:9510", "[::1]:9510", "localhost:9510"])
    expect(admin({ listen: loopback })).toMatchObject({ token: null });
});

test("tokens compare equal only when equal, whatever their lengths", () => {
  expect(tokenMatches(TOKEN, TOKEN)).toBe(true);
  expect(tokenMatches(`${TOKEN}0`, TOKEN)).toBe(false);
  expect(tokenMatches(TOKEN.slice(1), TOKEN)).toBe(false);
  expect(tokenMatches("", TOKEN)).toBe(false);
});

test("a loopback admin server answers only loopback Host headers", () => {
  for (const host of ["127.0.0.1:9510", "127.0.0.1", "localhost:9510", "[::1]:9510", "127.9.9.9"])
    expect([host, hostAllowed(host)]).toEqual([host, true]);
  for (const host of ["evil.example", "evil.example:9510", "10.0.0.1:9510", "[::2]:9510", "localhost.evil.example", "", null])
    expect([host, hostAllowed(host)]).toEqual([host, false]);
});

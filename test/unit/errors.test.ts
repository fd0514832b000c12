/**
 * The one table of end codes (src/errors.ts): every code in it is produced somewhere in src and covered
 * by a test, and every code src produces is in it (the type checker sees to that where a session ends;
 * this test reads the sources for the rest). A code added without either fails here.
 */
import { expect, test } from "bun:test";
import { END_CODES, FAILURE_CODES, endCodeOf, listenErrorCode } from "../../src/errors.ts";

const ROOT = `${import.meta.dir}/../../`;

async function sources(glob: string, skip: (path: string) => boolean): Promise<string> {
  let all = "";
  for (const file of new Bun.Glob(glob).scanSync(ROOT)) if (!skip(file)) all += await Bun.file(`${ROOT}${file}`).text();
  return all;
}

test("every end code and request-failure code is produced in src and covered by a test", async () => {
  const src = await sources("src/**/*.ts", (f) => f.endsWith("src/errors.ts"));
  const tests = await sources("test/**/*.ts", (f) => f.endsWith("test/unit/errors.test.ts"));
  const notProduced: string[] = [];
  const notCovered: string[] = [];
  // "ok" is the default of every session; its literal is everywhere. The socket codes come from the OS
  // through endCodeOf, whose mapping the last-but-one test below pins (ECONNREFUSED and ECONNRESET are
  // also produced by real peers in the integration tests; a resolver failure or an odd errno is not
  // something a loopback test can count on producing).
  const fromTheOs = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "SOCKET_ERROR"]);
  for (const code of [...Object.keys(END_CODES), ...FAILURE_CODES]) {
    if (code !== "ok" && !fromTheOs.has(code) && !src.includes(`"${code}"`)) notProduced.push(code);
    if (!fromTheOs.has(code) && !tests.includes(code)) notCovered.push(code);
  }
  for (const code of ["ECONNREFUSED", "ECONNRESET"]) if (!tests.includes(code)) notCovered.push(code);
  expect({ notProduced, notCovered }).toEqual({ notProduced: [], notCovered: [] });
});

test("every end code has its side (or is decided where it happens) and a meaning", () => {
  for (const [code, entry] of Object.entries(END_CODES)) {
    expect(entry.meaning.length).toBeGreaterThan(10);
    expect([null, "client", "backend", "internal"]).toContain(entry.side);
    expect(code).toMatch(/^(ok|[A-Z][A-Z_]+)$/);
  }
});

test("socket errors map to the table: the three a proxy sees every day by name, the rest as SOCKET_ERROR", () => {
  expect(endCodeOf("ECONNREFUSED")).toBe("ECONNREFUSED");
  expect(endCodeOf("ECONNRESET")).toBe("ECONNRESET");
  expect(endCodeOf("ENOTFOUND")).toBe("ENOTFOUND");
  for (const raw of ["EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EUNKNOWN"]) expect(endCodeOf(raw)).toBe("SOCKET_ERROR");
});

test("bind failures map to ProxyError codes a caller can branch on", () => {
  expect(listenErrorCode({ code: "EADDRINUSE" })).toBe("EADDRINUSE");
  expect(listenErrorCode({ code: "EACCES" })).toBe("EACCES");
  expect(listenErrorCode({ code: "EADDRNOTAVAIL" })).toBe("EADDRNOTAVAIL");
  expect(listenErrorCode({ code: "EINVAL" })).toBe("LISTEN_FAILED");
  expect(listenErrorCode(new Error("no code"))).toBe("LISTEN_FAILED");
});

test("the README's end-code table lists every code, with its side", async () => {
  const readme = await Bun.file(`${ROOT}README.md`).text();
  const missing = Object.entries(END_CODES)
    .filter(([code, e]) => !readme.includes(`| \`${code}\` | ${e.side ?? "decided where it happens"} |`))
    .map(([code]) => code);
  expect(missing).toEqual([]);
});

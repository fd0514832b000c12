/**
 * warren.example.toml is the configuration reference. These tests keep it
 * honest: it must load, its first listener must spell out exactly the defaults
 * in DEFAULTS, and every key the validator knows must appear in it.
 */
import { expect, test } from "bun:test";
import { loadConfigFile } from "../../../src/config/load.ts";
import type { WarrenConfig } from "../../../src/config/schema.ts";
import { ConfigErrors } from "../../../src/errors.ts";
import { DEFAULTS } from "../../../src/defaults.ts";

const ROOT = new URL("../../../", import.meta.url).pathname;
const EXAMPLE = `${ROOT}warren.example.toml`;

async function loadExample(): Promise<WarrenConfig> {
  const config = await loadConfigFile(EXAMPLE);
  if (config instanceof ConfigErrors) throw new Error(`example is invalid:\n${config.message}`);
  return config;
}

test("warren.example.toml validates, with five listeners", async () => {
  const config = await loadExample();
  expect(config.listeners.map((l) => l.name)).toEqual(["web", "redis", "redis-pool", "edge", "sni"]);
});

test("the example's edge listener accepts and sends the PROXY protocol, every key spelled out", async () => {
  const edge = (await loadExample()).listeners[3]!;
  expect(edge.sendProxy).toBe("v2");
  const { trusted, ...rest } = edge.proxyProtocol!;
  expect(rest).toEqual({ ...DEFAULTS.proxyProtocol });
  expect(trusted.map((r) => r.text)).toEqual(["10.0.0.0/8", "fd00::/8"]);
  const web = (await loadExample()).listeners[0]!;
  expect([web.proxyProtocol, web.sendProxy]).toEqual([null, null]);
});

test("the example's log, shutdown and first listener spell out exactly the defaults", async () => {
  const config = await loadExample();
  expect(config.log).toEqual({ ...DEFAULTS.log });
  expect(config.shutdown).toEqual({ ...DEFAULTS.shutdown });
  const web = config.listeners[0]!;
  expect(web.name).toBe("web");
  expect(web.listen).toEqual({ host: "127.0.0.1", port: Number(DEFAULTS.listenAddress.split(":")[1]) });
  expect(web).toMatchObject({ ...DEFAULTS.listener, allow: [], deny: [], health: DEFAULTS.health });
  const backends = web.backends;
  // The string form and the table form written with every default mean the same thing.
  const { address: _first, ...stringForm } = backends[0]!;
  const { address: _second, ...tableForm } = backends[1]!;
  expect(stringForm).toEqual({ ...DEFAULTS.backend });
  expect(tableForm).toEqual({ ...DEFAULTS.backend });
});

test("the example's second listener shows non-default values, including [[listeners.backends]] tables and IPv6", async () => {
  const redis = (await loadExample()).listeners[1]!;
  expect(redis).toMatchObject({ name: "redis", balance: "least-connections", idleTimeoutMs: 0, queueSize: 0 });
  expect(redis.backends).toEqual([
    { address: { host: "127.0.0.1", port: 6379 }, srv: null, weight: 3, maxConnections: 1000, drain: false },
    { address: { host: "::1", port: 6379 }, srv: null, weight: 1, maxConnections: 0, drain: false },
    { address: { host: "127.0.0.1", port: 6381 }, srv: null, weight: 1, maxConnections: 0, drain: true },
  ]);
  expect([...redis.allow, ...redis.deny].map((range) => range.text)).toEqual(["127.0.0.0/8", "::1/128", "10.0.0.0/8", "10.66.0.0/16"]);
  expect(redis.health.active).toEqual({
    enabled: true,
    intervalMs: 1000,
    timeoutMs: 500,
    rise: 3,
    fall: 2,
    send: "PING\r\n",
    expect: "+PONG",
  });
});

/**
 * The key lists are read from the validator's sources (every `const …_KEYS = [...]`
 * in src/config), so a key added there without documentation fails here,
 * including a whole new list.
 */
test("every key the validator accepts is documented in the example", async () => {
  const lists = new Map<string, string[]>();
  for (const file of new Bun.Glob("src/config/*.ts").scanSync(ROOT)) {
    const source = await Bun.file(`${ROOT}${file}`).text();
    for (const m of source.matchAll(/const (\w+_KEYS) = \[([^\]]*)\]/g)) {
      lists.set(
        m[1]!,
        [...m[2]!.matchAll(/"([^"]+)"/g)].map((k) => k[1]!),
      );
    }
  }
  expect([...lists.keys()]).toEqual(expect.arrayContaining(["TOP_KEYS", "LOG_KEYS", "SHUTDOWN_KEYS", "LISTENER_KEYS", "BACKEND_KEYS"]));

  // A key counts as documented when it is set (`key =`, or `# key =` for one without a default) or
  // names a table in a header (`[log]`, `[[listeners]]`, `[listeners.health.passive]`).
  const example = await Bun.file(EXAMPLE).text();
  const undocumented: string[] = [];
  for (const [list, keys] of lists) {
    for (const key of keys) {
      const set = new RegExp(`(^|[\\s{,])${key}\\s*=`, "m");
      const header = new RegExp(`^\\[\\[?([\\w.]+\\.)?${key}(\\.[\\w.]+)?\\]\\]?`, "m");
      if (!set.test(example) && !header.test(example)) undocumented.push(`${list}: ${key}`);
    }
  }
  expect(undocumented).toEqual([]);
});

/**
 * expandBackends (src/discovery/expand.ts): how a listener's backend entries become the servers it
 * balances over, given what each named entry last resolved to.
 */
import { describe, expect, test } from "bun:test";
import type { BackendConfig } from "../../../src/config/schema.ts";
import { type EntryAnswer, entryKey, expandBackends, sameBackends } from "../../../src/discovery/expand.ts";

const entry = (host: string, port: number, more: Partial<BackendConfig> = {}): BackendConfig => ({
  address: { host, port },
  srv: null,
  weight: 1,
  maxConnections: 0,
  drain: false,
  ...more,
});
const srv = (name: string, more: Partial<BackendConfig> = {}): BackendConfig => ({ ...entry(name, 0), srv: name, ...more });
const servers = (list: ReturnType<typeof expandBackends>) =>
  list.map((b) => `${b.address.host}:${b.address.port} w${b.weight}${b.from === null ? "" : ` <${b.from}`}`);

describe("entryKey: what an entry asks DNS for", () => {
  test("IP addresses ask nothing; names and SRV names are asked by name", () => {
    expect(entryKey(entry("10.0.0.1", 80))).toBeNull();
    expect(entryKey(entry("fe80::1%eth0", 80))).toBeNull();
    expect(entryKey(entry("db.internal", 5432))).toBe("name db.internal");
    expect(entryKey(srv("_pg._tcp.internal"))).toBe("srv _pg._tcp.internal");
  });
});

describe("expandBackends", () => {
  const answers = new Map<string, EntryAnswer>([
    ["name db.internal", { kind: "name", addresses: ["10.0.0.9", "10.0.0.7", "fd00::7"] }],
    [
      "srv _redis._tcp.internal",
      {
        kind: "srv",
        targets: [
          { name: "a.internal", port: 7001, weight: 3, addresses: ["10.1.0.1"] },
          { name: "b.internal", port: 7002, weight: 1, addresses: ["10.1.0.2", "10.1.0.3"] },
        ],
      },
    ],
  ]);

  test("an IP entry is itself; a name is one server per address, in address order, on the entry's port and settings", () => {
    const list = expandBackends([entry("10.0.0.1", 80), entry("db.internal", 5432, { weight: 2, maxConnections: 9 })], answers, "all");
    expect(servers(list)).toEqual([
      "10.0.0.1:80 w1",
      "10.0.0.7:5432 w2 <db.internal",
      "10.0.0.9:5432 w2 <db.internal",
      "fd00::7:5432 w2 <db.internal",
    ]);
    expect(list.every((b) => b.from === null || b.maxConnections === 9)).toBe(true);
  });

  test('"first" takes only the first address the name resolved to', () => {
    expect(servers(expandBackends([entry("db.internal", 5432)], answers, "first"))).toEqual(["10.0.0.9:5432 w1 <db.internal"]);
  });

  test("an SRV name is one server per target address, with the record's port and weight", () => {
    expect(servers(expandBackends([srv("_redis._tcp.internal", { drain: true })], answers, "all"))).toEqual([
      "10.1.0.1:7001 w3 <_redis._tcp.internal",
      "10.1.0.2:7002 w1 <_redis._tcp.internal",
      "10.1.0.3:7002 w1 <_redis._tcp.internal",
    ]);
  });

  test("SRV weights of 0: kept out beside heavier targets, weighing 1 each when all are 0", () => {
    const zero = (w: number[]) =>
      new Map<string, EntryAnswer>([
        [
          "srv _s._tcp.x",
          { kind: "srv", targets: w.map((weight, i) => ({ name: `t${i}.x`, port: 1000 + i, weight, addresses: [`10.2.0.${i}`] })) },
        ],
      ]);
    expect(servers(expandBackends([srv("_s._tcp.x")], zero([0, 5]), "all"))).toEqual([
      "10.2.0.0:1000 w0 <_s._tcp.x",
      "10.2.0.1:1001 w5 <_s._tcp.x",
    ]);
    expect(servers(expandBackends([srv("_s._tcp.x")], zero([0, 0]), "all"))).toEqual([
      "10.2.0.0:1000 w1 <_s._tcp.x",
      "10.2.0.1:1001 w1 <_s._tcp.x",
    ]);
  });

  test("a name not resolved yet contributes nothing; a server listed twice is kept where it came first", () => {
    expect(
      servers(
        expandBackends([entry("later.internal", 80), entry("10.0.0.7", 5432, { weight: 5 }), entry("db.internal", 5432)], answers, "all"),
      ),
    ).toEqual(["10.0.0.7:5432 w5", "10.0.0.9:5432 w1 <db.internal", "fd00::7:5432 w1 <db.internal"]);
  });

  test("the same addresses in another order are the same servers", () => {
    const shuffled = new Map<string, EntryAnswer>([["name db.internal", { kind: "name", addresses: ["fd00::7", "10.0.0.7", "10.0.0.9"] }]]);
    const a = expandBackends([entry("db.internal", 1)], answers, "all");
    const b = expandBackends([entry("db.internal", 1)], shuffled, "all");
    expect(sameBackends(a, b)).toBe(true);
    expect(sameBackends(a, b.slice(1))).toBe(false);
  });
});

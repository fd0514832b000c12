/** applyProbeResult and GroupWatch: what the checker records and logs for each probe, without sockets. */
import { describe, expect, test } from "bun:test";
import { applyProbeResult } from "../../../src/health/active.ts";
import { GroupWatch } from "../../../src/health/group.ts";
import { active, backend, CONTEXT, recordingLogger } from "./helpers.ts";

const cfg = active({ rise: 2, fall: 3 });
const REFUSED = { ok: false, reason: "connect refused (ECONNREFUSED)" } as const;
const OK = { ok: true, ms: 0.4 } as const;

describe("applyProbeResult", () => {
  test("records the last check for stats", () => {
    const b = backend();
    const log = recordingLogger();
    expect([b.lastCheckAt, b.lastCheckOk, b.lastCheckReason]).toEqual([0, null, null]);
    applyProbeResult(b, OK, cfg, 100, log, CONTEXT);
    expect([b.lastCheckAt, b.lastCheckOk, b.lastCheckMs, b.lastCheckReason]).toEqual([100, true, 0.4, "ok"]);
    applyProbeResult(b, REFUSED, cfg, 200, log, CONTEXT);
    expect([b.lastCheckAt, b.lastCheckOk, b.lastCheckMs, b.lastCheckReason]).toEqual([200, false, 0, REFUSED.reason]);
    expect([b.checksTotal, b.checksFailed, b.checkSuccesses, b.checkFailures]).toEqual([2, 1, 0, 1]);
  });

  test("down after `fall` failures and up after `rise` successes, each logged once with its reason", () => {
    const b = backend();
    const log = recordingLogger();
    const results = [REFUSED, REFUSED, REFUSED, REFUSED, OK, OK, OK];
    results.forEach((r, i) => applyProbeResult(b, r, cfg, 1000 + i * 100, log, CONTEXT));
    expect(log.lines).toEqual([
      {
        level: "warn",
        msg: "backend down",
        listener: "redis",
        backend: "10.0.0.1:6379",
        reason: "connect refused (ECONNREFUSED)",
        source: "active",
        consecutive: 3,
      },
      {
        level: "info",
        msg: "backend up",
        listener: "redis",
        backend: "10.0.0.1:6379",
        reason: "check passed",
        source: "active",
        consecutive: 2,
        ms: 0.4,
        downForMs: 300,
      },
    ]);
    expect(b.healthy).toBe(true);
  });

  test("while down, downReason follows the freshest failure", () => {
    const b = backend();
    const log = recordingLogger();
    for (let i = 0; i < 3; i++) applyProbeResult(b, REFUSED, cfg, i, log, CONTEXT);
    applyProbeResult(b, { ok: false, reason: "timeout after 1000 ms (connecting)" }, cfg, 4, log, CONTEXT);
    expect(b.downReason).toBe("timeout after 1000 ms (connecting)");
    expect(b.downSince).toBe(2);
  });
});

describe("GroupWatch", () => {
  test("logs once when the last backend goes down and once when one comes back", () => {
    const log = recordingLogger();
    const group = [backend(1), backend(2)];
    const watch = new GroupWatch();
    watch.observe(group, log, CONTEXT);
    group[0]!.healthy = false;
    watch.observe(group, log, CONTEXT);
    group[1]!.healthy = false;
    watch.observe(group, log, CONTEXT);
    watch.observe(group, log, CONTEXT);
    group[1]!.healthy = true;
    watch.observe(group, log, CONTEXT);
    group[0]!.healthy = true;
    watch.observe(group, log, CONTEXT);
    expect(log.lines).toEqual([
      { level: "warn", msg: "no healthy backend in group", listener: "redis", backends: 2 },
      { level: "info", msg: "group recovered", listener: "redis", healthy: 1, backends: 2 },
    ]);
  });

  test("an empty group is not 'all down'", () => {
    const log = recordingLogger();
    new GroupWatch().observe([], log, CONTEXT);
    expect(log.lines).toEqual([]);
  });
});

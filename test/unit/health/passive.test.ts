/** Passive health: connect failures of real sessions take a backend out for a cooldown. */
import { describe, expect, test } from "bun:test";
import { applyProbeResult } from "../../../src/health/active.ts";
import { HealthChecker } from "../../../src/health/checker.ts";
import { noteConnectFailure, noteConnectSuccess, reviveExpired } from "../../../src/health/passive.ts";
import { active, backend, CONTEXT, passive, recordingLogger } from "./helpers.ts";

const REFUSED = "connect refused (ECONNREFUSED)";

describe("marking down", () => {
  test("the `failures`-th consecutive failure marks the backend down, once, with a warn line", () => {
    const log = recordingLogger();
    const b = backend();
    const cfg = passive({ failures: 3, cooldownMs: 10_000 });
    noteConnectFailure(b, cfg, 100, log, CONTEXT, REFUSED);
    noteConnectFailure(b, cfg, 200, log, CONTEXT, REFUSED);
    expect(b.healthy).toBe(true);
    expect(log.lines).toEqual([]);
    noteConnectFailure(b, cfg, 300, log, CONTEXT, REFUSED);
    expect(b.healthy).toBe(false);
    expect(b.isAvailable()).toBe(false);
    expect(b.passiveDown).toBe(true);
    expect(b.passiveDownUntil).toBe(10_300);
    expect(b.downReason).toBe(REFUSED);
    expect(b.downSince).toBe(300);
    expect(log.lines).toEqual([
      {
        level: "warn",
        msg: "backend down",
        listener: "redis",
        backend: "10.0.0.1:6379",
        reason: REFUSED,
        source: "passive",
        consecutive: 3,
        retry: "in 10000 ms",
      },
    ]);
  });

  test("failures while already down are counted but do not log again or extend the cooldown", () => {
    const log = recordingLogger();
    const b = backend();
    const cfg = passive({ failures: 1 });
    noteConnectFailure(b, cfg, 0, log, CONTEXT, REFUSED);
    noteConnectFailure(b, cfg, 5_000, log, CONTEXT, "CONNECT_TIMEOUT");
    expect(log.lines).toHaveLength(1);
    expect(b.passiveDownUntil).toBe(10_000);
    expect(b.downReason).toBe(REFUSED);
    expect(b.connectFailures).toBe(2);
    expect(b.consecutiveFailures).toBe(2);
  });

  test("it counts every failure in connectFailures and consecutiveFailures", () => {
    const b = backend();
    for (let i = 0; i < 5; i++) noteConnectFailure(b, passive({ failures: 100 }), i, recordingLogger(), CONTEXT, REFUSED);
    expect(b.connectFailures).toBe(5);
    expect(b.consecutiveFailures).toBe(5);
  });

  test("failures 0 turns passive health off: counted, never marked down", () => {
    const log = recordingLogger();
    const b = backend();
    for (let i = 0; i < 50; i++) noteConnectFailure(b, passive({ failures: 0 }), i, log, CONTEXT, REFUSED);
    expect(b.healthy).toBe(true);
    expect(b.connectFailures).toBe(50);
    expect(log.lines).toEqual([]);
  });

  test("a success resets the run: failures must be consecutive", () => {
    const log = recordingLogger();
    const b = backend();
    const cfg = passive({ failures: 3 });
    for (let i = 0; i < 10; i++) {
      noteConnectFailure(b, cfg, i, log, CONTEXT, REFUSED);
      noteConnectFailure(b, cfg, i, log, CONTEXT, REFUSED);
      noteConnectSuccess(b);
    }
    expect(b.healthy).toBe(true);
    expect(b.consecutiveFailures).toBe(0);
    expect(b.connectFailures).toBe(20);
    expect(log.lines).toEqual([]);
  });

  test("a late success (a connect started before the mark) does not lift the mark", () => {
    const b = backend();
    noteConnectFailure(b, passive({ failures: 1 }), 0, recordingLogger(), CONTEXT, REFUSED);
    noteConnectSuccess(b);
    expect(b.healthy).toBe(false);
  });
});

describe("cooldown revival", () => {
  test("the backend comes back once the cooldown has passed, with an info line", () => {
    const log = recordingLogger();
    const b = backend();
    noteConnectFailure(b, passive({ failures: 1, cooldownMs: 1_000 }), 500, log, CONTEXT, REFUSED);
    expect(reviveExpired([b], 1_499, log, CONTEXT)).toBe(0);
    expect(b.healthy).toBe(false);
    expect(reviveExpired([b], 1_500, log, CONTEXT)).toBe(1);
    expect(b.healthy).toBe(true);
    expect(b.passiveDown).toBe(false);
    expect(b.downReason).toBe(null);
    expect(log.lines.map((l) => l.msg)).toEqual(["backend down", "backend up"]);
    expect(log.lines[1]).toEqual({
      level: "info",
      msg: "backend up",
      listener: "redis",
      backend: "10.0.0.1:6379",
      reason: "cooldown elapsed, retrying",
      source: "passive",
      downForMs: 1_000,
    });
    expect(reviveExpired([b], 9_999, log, CONTEXT)).toBe(0); // nothing left to revive
    expect(log.lines).toHaveLength(2);
  });

  test("a revived backend is on probation: its first failure marks it down again", () => {
    const log = recordingLogger();
    const b = backend();
    const cfg = passive({ failures: 3, cooldownMs: 1_000 });
    for (let i = 0; i < 3; i++) noteConnectFailure(b, cfg, 0, log, CONTEXT, REFUSED);
    reviveExpired([b], 1_000, log, CONTEXT);
    expect(b.healthy).toBe(true);
    noteConnectFailure(b, cfg, 1_001, log, CONTEXT, REFUSED);
    expect(b.healthy).toBe(false);
    expect(b.passiveDownUntil).toBe(2_001);
    expect(log.lines.map((l) => `${l.msg} ${l.consecutive ?? ""}`)).toEqual(["backend down 3", "backend up ", "backend down 4"]);
  });

  test("a revived backend that connects is fully trusted again", () => {
    const b = backend();
    const cfg = passive({ failures: 2, cooldownMs: 1_000 });
    const log = recordingLogger();
    noteConnectFailure(b, cfg, 0, log, CONTEXT, REFUSED);
    noteConnectFailure(b, cfg, 0, log, CONTEXT, REFUSED);
    reviveExpired([b], 1_000, log, CONTEXT);
    noteConnectSuccess(b);
    noteConnectFailure(b, cfg, 1_001, log, CONTEXT, REFUSED);
    expect(b.healthy).toBe(true);
  });

  test("only expired backends of the group are revived", () => {
    const log = recordingLogger();
    const [a, b, c] = [backend(1), backend(2), backend(3)];
    noteConnectFailure(a, passive({ failures: 1, cooldownMs: 100 }), 0, log, CONTEXT, REFUSED);
    noteConnectFailure(b, passive({ failures: 1, cooldownMs: 500 }), 0, log, CONTEXT, REFUSED);
    expect(reviveExpired([a, b, c], 200, log, CONTEXT)).toBe(1);
    expect([a.healthy, b.healthy, c.healthy]).toEqual([true, false, true]);
  });
});

describe("with active checks on", () => {
  test("the cooldown does not revive: the checker decides", () => {
    const log = recordingLogger();
    const b = backend();
    b.activeChecks = true;
    noteConnectFailure(b, passive({ failures: 1, cooldownMs: 100 }), 0, log, CONTEXT, REFUSED);
    expect(log.lines[0]).toMatchObject({ msg: "backend down", retry: "after active checks pass" });
    expect(reviveExpired([b], 1_000_000, log, CONTEXT)).toBe(0);
    expect(b.healthy).toBe(false);
  });

  test("`rise` passing probes after the mark lift it; successes from before the mark do not count", () => {
    const log = recordingLogger();
    const b = backend();
    b.activeChecks = true;
    const cfg = active({ rise: 2, fall: 3 });
    applyProbeResult(b, { ok: true, ms: 1 }, cfg, 10, log, CONTEXT);
    applyProbeResult(b, { ok: true, ms: 1 }, cfg, 20, log, CONTEXT);
    noteConnectFailure(b, passive({ failures: 1 }), 25, log, CONTEXT, REFUSED);
    applyProbeResult(b, { ok: true, ms: 1 }, cfg, 30, log, CONTEXT);
    expect(b.healthy).toBe(false);
    applyProbeResult(b, { ok: true, ms: 1.5 }, cfg, 40, log, CONTEXT);
    expect(b.healthy).toBe(true);
    expect(b.passiveDown).toBe(false);
    expect(log.lines).toEqual([
      expect.objectContaining({ msg: "backend down", source: "passive", reason: REFUSED }),
      {
        level: "info",
        msg: "backend up",
        listener: "redis",
        backend: "10.0.0.1:6379",
        reason: "check passed",
        source: "active",
        consecutive: 2,
        ms: 1.5,
        downForMs: 15,
      },
    ]);
  });

  test("a failed probe restarts the count towards lifting the mark", () => {
    const log = recordingLogger();
    const b = backend();
    b.activeChecks = true;
    const cfg = active({ rise: 2, fall: 3 });
    noteConnectFailure(b, passive({ failures: 1 }), 0, log, CONTEXT, REFUSED);
    applyProbeResult(b, { ok: true, ms: 1 }, cfg, 10, log, CONTEXT);
    applyProbeResult(b, { ok: false, reason: "closed before reply" }, cfg, 20, log, CONTEXT);
    applyProbeResult(b, { ok: true, ms: 1 }, cfg, 30, log, CONTEXT);
    expect(b.healthy).toBe(false);
    expect(b.activeDown).toBe(false); // one failure is below `fall`: only the passive mark holds it
    applyProbeResult(b, { ok: true, ms: 1 }, cfg, 40, log, CONTEXT);
    expect(b.healthy).toBe(true);
  });

  test("a passive mark on a backend the checker already holds down changes nothing visible", () => {
    const log = recordingLogger();
    const b = backend();
    b.activeChecks = true;
    const cfg = active({ rise: 2, fall: 1 });
    applyProbeResult(b, { ok: false, reason: REFUSED }, cfg, 10, log, CONTEXT);
    noteConnectFailure(b, passive({ failures: 1 }), 15, log, CONTEXT, "ECONNRESET");
    expect(log.lines.map((l) => `${l.msg} ${l.source}`)).toEqual(["backend down active"]);
    applyProbeResult(b, { ok: true, ms: 1 }, cfg, 20, log, CONTEXT);
    applyProbeResult(b, { ok: true, ms: 1 }, cfg, 30, log, CONTEXT);
    expect(b.healthy).toBe(true);
    expect(log.lines.map((l) => `${l.msg} ${l.source}`)).toEqual(["backend down active", "backend up active"]);
  });
});

describe("HealthChecker.sweep (passive only: no probes, no sockets)", () => {
  test("revives expired backends and reports the group going all down and coming back", () => {
    const log = recordingLogger();
    const group = [backend(1), backend(2)];
    using checker = new HealthChecker(group, active({ enabled: false }), log, CONTEXT);
    checker.start();
    const cfg = passive({ failures: 1, cooldownMs: 1_000 });
    noteConnectFailure(group[0]!, cfg, 0, log, CONTEXT, REFUSED);
    checker.sweep(10);
    noteConnectFailure(group[1]!, cfg, 20, log, CONTEXT, REFUSED);
    checker.sweep(30);
    checker.sweep(1_000);
    checker.sweep(1_020);
    expect(log.lines.map((l) => `${l.msg}${l.backend === undefined ? "" : ` ${l.backend}`}`)).toEqual([
      "backend down 10.0.0.1:1",
      "backend down 10.0.0.1:2",
      "no healthy backend in group",
      "backend up 10.0.0.1:1",
      "group recovered",
      "backend up 10.0.0.1:2",
    ]);
  });
});

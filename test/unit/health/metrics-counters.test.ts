/**
 * The health counters the metrics read (warren_server_connection_errors_total{code},
 * warren_server_check_up_down_total, warren_server_downtime_seconds_total): each moves once per event,
 * on the clock the health code is given.
 */
import { describe, expect, test } from "bun:test";
import { applyProbeResult } from "../../../src/health/active.ts";
import { markDownNow, noteConnectFailure, reviveExpired } from "../../../src/health/passive.ts";
import { active, backend, CONTEXT, passive, recordingLogger } from "./helpers.ts";

describe("connect errors by code", () => {
  test("every failure counts under its code, and the codes add up to connectFailures", () => {
    const b = backend();
    const cfg = passive({ failures: 0 });
    const log = recordingLogger();
    noteConnectFailure(b, cfg, 1, log, CONTEXT, "ECONNREFUSED");
    noteConnectFailure(b, cfg, 2, log, CONTEXT, "ECONNREFUSED");
    noteConnectFailure(b, cfg, 3, log, CONTEXT, "backend connect timeout", "CONNECT_TIMEOUT");
    markDownNow(b, cfg, 4, log, CONTEXT, "AUTH refused");
    expect(Object.fromEntries(b.connectErrors)).toEqual({ ECONNREFUSED: 2, CONNECT_TIMEOUT: 1, SETUP_FAILED: 1 });
    expect(b.connectFailures).toBe(4);
  });
});

describe("up → down transitions and downtime", () => {
  test("passive: one transition per outage, downtime is the outage's length once it is revived", () => {
    const b = backend();
    const cfg = passive({ failures: 1, cooldownMs: 1000 });
    const log = recordingLogger();
    noteConnectFailure(b, cfg, 500, log, CONTEXT, "ECONNREFUSED");
    noteConnectFailure(b, cfg, 600, log, CONTEXT, "ECONNREFUSED"); // already down: no second transition
    expect([b.downTransitions, b.downtimeMsTotal]).toEqual([1, 0]);
    reviveExpired([b], 1500, log, CONTEXT);
    expect([b.healthy, b.downTransitions, b.downtimeMsTotal]).toEqual([true, 1, 1000]);
    noteConnectFailure(b, cfg, 2000, log, CONTEXT, "ECONNREFUSED");
    reviveExpired([b], 3250, log, CONTEXT);
    expect([b.downTransitions, b.downtimeMsTotal]).toEqual([2, 2250]);
  });

  test("active: fall failed probes take it down once, rise passing probes end the outage and add its length", () => {
    const b = backend();
    b.activeChecks = true;
    const cfg = active({ rise: 2, fall: 2 });
    const log = recordingLogger();
    const fail = { ok: false, reason: "refused" } as const;
    const pass = { ok: true, ms: 1 } as const;
    applyProbeResult(b, fail, cfg, 100, log, CONTEXT);
    applyProbeResult(b, fail, cfg, 200, log, CONTEXT);
    applyProbeResult(b, fail, cfg, 300, log, CONTEXT);
    expect([b.healthy, b.downTransitions, b.checksFailed]).toEqual([false, 1, 3]);
    applyProbeResult(b, pass, cfg, 400, log, CONTEXT);
    applyProbeResult(b, pass, cfg, 700, log, CONTEXT);
    expect([b.healthy, b.downTransitions, b.downtimeMsTotal]).toEqual([true, 1, 500]);
  });
});

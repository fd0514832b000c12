export { HealthChecker } from "./checker.ts";
export { applyProbeResult } from "./active.ts";
export { type ActiveHealthConfig, type HealthConfig, type PassiveHealthConfig } from "../config/schema.ts";
export { GroupWatch } from "./group.ts";
export { noteConnectFailure, noteConnectSuccess, reviveExpired, type HealthContext } from "./passive.ts";
export { probe, type ProbeResult } from "./probe.ts";
export { nextState, type CheckState } from "./thresholds.ts";

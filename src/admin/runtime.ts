import type { AdminState } from "../balance/backend.ts";
import type { ProxyStats } from "../stats.ts";

/*
 * What the admin server needs from the warren it serves. One process answers from its ProxyServer
 * (local.ts); a supervisor answers from its workers over IPC (src/workers/supervisor.ts). Everything
 * that can fail comes back as a value with a stable code, never as a throw.
 */

/** AdminError is the body of every failed API call: `{ "error": { code, message } }`, plus key paths for a config. */
export interface AdminError {
  readonly code: string;
  readonly message: string;
  /** For CONFIG_INVALID: each problem with its key path. */
  readonly errors?: readonly { readonly path: string; readonly message: string }[];
}

/** StatsView is GET /api/v1/stats: the total (one process's stats, or the workers' sum) and each worker's. */
export interface StatsView {
  readonly total: ProxyStats;
  /** Empty when warren runs as one process. */
  readonly perWorker: readonly { readonly worker: number; readonly stats: ProxyStats }[];
}

/** SessionView is one live session as GET /api/v1/sessions lists it. */
export interface SessionView {
  readonly id: number;
  readonly listener: string;
  readonly mode: "tunnel" | "pool";
  readonly state: string;
  readonly client: string;
  readonly backend: string | null;
  readonly sni: string | null;
  readonly ageMs: number;
  readonly bytesFromClient: number;
  readonly bytesToClient: number;
  /** The worker serving it (with workers), else absent. */
  readonly worker?: number;
}

export type BackendAction = "drain" | "enable" | "disable";

/** The admin state each action sets: drain → DRAIN, disable → MAINT, enable → back in rotation. */
export const ACTION_STATE: Readonly<Record<BackendAction, AdminState>> = { drain: "drain", enable: "ready", disable: "maint" };

export interface AdminRuntime {
  stats(): Promise<StatsView | AdminError>;
  /** The /metrics body; with perWorker, a `worker` label on every series (workers only). */
  metrics(perWorker: boolean): Promise<string | AdminError>;
  /** Live sessions of one listener (or all), at most `limit`, largest (bytes) or oldest (age) first. */
  sessions(listener: string | undefined): Promise<SessionView[] | AdminError>;
  setBackendState(listener: string, address: string, state: AdminState): Promise<{ backends: number } | AdminError>;
  /** Re-read the config file as SIGHUP does; the listeners' names on success. */
  reload(): Promise<{ listeners: string[] } | AdminError>;
  /** null when ready to take traffic (every listener bound, not draining), else why not. */
  readiness(): string | null;
}

export function isAdminError(v: unknown): v is AdminError {
  return (
    typeof v === "object" &&
    v !== null &&
    !Array.isArray(v) &&
    typeof (v as AdminError).code === "string" &&
    typeof (v as AdminError).message === "string"
  );
}

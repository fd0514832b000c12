import type { AdminError, SessionView } from "../admin/runtime.ts";
import type { AdminState } from "../balance/backend.ts";
import type { ProcessSample } from "../metrics/process.ts";
import type { ProxyStats } from "../stats.ts";

/*
 * What a supervisor and its workers say to each other over Bun's IPC channel (structured clone). The
 * supervisor validates the config once and sends it as read; each worker validates it again (its own
 * framer modules, its share of the limits) and answers.
 */

/** Supervisor → worker. */
export type ToWorker =
  | {
      readonly type: "start";
      readonly index: number;
      readonly workers: number;
      readonly input: unknown;
      readonly source: string;
      readonly baseDir: string | undefined;
    }
  | { readonly type: "reload"; readonly id: number; readonly input: unknown; readonly source: string; readonly baseDir: string | undefined }
  | { readonly type: "stop"; readonly graceful: boolean }
  | { readonly type: "reopen-log" }
  | { readonly type: "stats"; readonly id: number }
  /** The admin API (src/admin), forwarded to every worker: live sessions, and a backend's runtime state. */
  | { readonly type: "sessions"; readonly id: number; readonly listener: string | null }
  | {
      readonly type: "backend-state";
      readonly id: number;
      readonly listener: string;
      readonly address: string;
      readonly state: AdminState;
    };

/** Worker → supervisor. */
export type FromWorker =
  | { readonly type: "started"; readonly pid: number }
  /** The start failed: exitCode 2 for a config the worker rejected, 1 for a listener that could not bind. */
  | { readonly type: "failed"; readonly exitCode: number; readonly error: string }
  | { readonly type: "reloaded"; readonly id: number; readonly error: string | null }
  | { readonly type: "stats"; readonly id: number; readonly stats: ProxyStats; readonly process: ProcessSample }
  | { readonly type: "sessions"; readonly id: number; readonly sessions: SessionView[] }
  | { readonly type: "backend-state"; readonly id: number; readonly result: { backends: number } | AdminError };

/** The environment variable that makes a warren process a worker ("INDEX/COUNT"). */
export const WORKER_ENV = "WARREN_WORKER";

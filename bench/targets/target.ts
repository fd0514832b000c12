/**
 * A target is one way for the load generator to reach the backend: directly,
 * or through one of the proxies. Each proxy runs as its own process with two
 * listeners, one in front of the echo backend and one in front of the sink.
 */
import type { Checkout } from "../baseline.ts";

/** A pair of ports: one echo, one sink (a proxy's two listeners, or a backend's first two). */
export interface ListenPorts {
  echo: number;
  sink: number;
}

/**
 * The backend process's ports: `echo` and `sink` are the single backend most
 * targets use; `echoes` and `sinks` list every listener (the first of each is
 * `echo`/`sink`), for targets that balance over several backends.
 */
export interface BackendPorts extends ListenPorts {
  echoes: readonly number[];
  sinks: readonly number[];
}

export interface RunningTarget {
  readonly name: string;
  /** Where the load generator connects for echo workloads. */
  readonly echoPort: number;
  /** Where bulk connects (forwards to the sink). */
  readonly sinkPort: number;
  /** The process that carries the traffic, whose memory and CPU time are read (nginx: the worker); null for direct. */
  workerPid(): number | null;
  /** The load generator must send a PROXY header first on each connection (a target with proxyProtocol). */
  readonly proxyHeader?: boolean;
  /** The load generator must send a TLS ClientHello first on each connection (a target with SNI routes). */
  readonly clientHello?: boolean;
  /** False once the process has exited on its own. */
  alive(): boolean;
  stop(): Promise<void>;
}

export type Probe = { ok: true; version: string; notes: string } | { ok: false; reason: string };

export interface TargetKind {
  readonly name: string;
  /** True for proxies; direct is the baseline and has no memory of its own to measure. */
  readonly isProxy: boolean;
  /** probe says whether the target can run here and which version it is, without starting it. */
  probe(): Promise<Probe>;
  /** start runs the target with its config in `dir` and resolves once both ports accept. */
  start(backend: BackendPorts, dir: string): Promise<RunningTarget>;
  /** The same target run from another checkout of warren (`warren@base`); only warren's targets have it. */
  readonly at?: (checkout: Checkout) => TargetKind;
  /** The workloads it runs, if not all (warren-sni: those whose load generator sends its ClientHello). */
  readonly workloads?: readonly string[];
}

/** Timeouts every proxy gets: connect 5 s, idle 10 min (warren's and nginx's defaults). */
export const CONNECT_TIMEOUT_S = 5;
export const IDLE_TIMEOUT_S = 600;
/** Concurrent sessions every proxy allows: idle-rss needs at least its connection count. */
export const MAX_SESSIONS = 9000;

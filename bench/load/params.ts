/** What the bench asks of one load-generator process, and what it prints back (one JSON line). */

export interface WindowParams {
  port: number;
  /** The target process whose CPU time is read at the window's edges; null for direct. */
  cpuPid: number | null;
  /** Traffic that runs before counting starts: connections warm up, the JIT compiles. */
  warmupMs: number;
  /** The counted window. */
  durationMs: number;
  /** Send a PROXY v2 header first on every connection (a target with proxyProtocol). */
  proxyHeader?: boolean;
  /** Send a TLS ClientHello first on every connection (a target with SNI routes), and skip its echo. */
  clientHello?: boolean;
}

export interface RrParams extends WindowParams {
  workload: "rr";
  connections: number;
  requestBytes: number;
}

export interface PipelinedParams extends WindowParams {
  workload: "pipelined";
  connections: number;
  /** Requests each connection keeps in flight. */
  depth: number;
  requestBytes: number;
}

export interface ConnectParams extends WindowParams {
  workload: "connect";
  /** Connections being opened, used and closed at any moment. */
  concurrency: number;
  requestBytes: number;
}

export interface BulkParams {
  workload: "bulk";
  port: number;
  cpuPid: number | null;
  totalBytes: number;
  timeoutMs: number;
  proxyHeader?: boolean;
}

export interface IdleParams {
  workload: "idle";
  port: number;
  connections: number;
  /** Connects in flight at once: more would overflow the proxies' accept queues. */
  concurrency: number;
  timeoutMs: number;
  proxyHeader?: boolean;
}

export type LoadParams = RrParams | PipelinedParams | ConnectParams | BulkParams | IdleParams;

/** LoadResult is the last line a load process prints: named numbers, or why it failed. */
export type LoadResult = { ok: true; metrics: Record<string, number> } | { ok: false; error: string };

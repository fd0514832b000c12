/**
 * Every metric warren exports, in one table: name, type, labels and help text. The names follow
 * HAProxy's built-in Prometheus exporter (frontend / backend / server / process) with a `warren_` prefix
 * and the same label names — `proxy` for the listener, `server` for a backend address — so dashboards and
 * alerts written for HAProxy map over by changing the prefix. The README's metric table is checked
 * against this one (test/unit/metrics/readme.test.ts).
 */

export type MetricType = "counter" | "gauge" | "histogram";

export interface MetricDef {
  readonly name: string;
  readonly type: MetricType;
  /** Label names in the order they are written (a histogram's `le` is not listed). */
  readonly labels: readonly string[];
  readonly help: string;
}

const def = (name: string, type: MetricType, labels: readonly string[], help: string): MetricDef => ({
  name: `warren_${name}`,
  type,
  labels,
  help,
});

const P = ["proxy"] as const;
const PS = ["proxy", "server"] as const;

export const METRICS = {
  // Frontend: one series per listener.
  frontendCurrentSessions: def("frontend_current_sessions", "gauge", P, "Clients connected to the listener now."),
  frontendSessionsTotal: def("frontend_sessions_total", "counter", P, "Clients admitted by the listener."),
  frontendBytesIn: def("frontend_bytes_in_total", "counter", P, "Bytes received from clients."),
  frontendBytesOut: def("frontend_bytes_out_total", "counter", P, "Bytes received from backends for clients (relayed to them)."),
  frontendLimitSessions: def("frontend_limit_sessions", "gauge", P, "The listener's maxConnections."),
  frontendDenied: def("frontend_denied_connections_total", "counter", [...P, "reason"], "Clients refused, by reason."),
  frontendSessionEnds: def(
    "frontend_session_ends_total",
    "counter",
    [...P, "code", "side"],
    "Sessions ended, by end code and the side at fault.",
  ),
  frontendSessionDuration: def("frontend_session_duration_seconds", "histogram", P, "How long sessions lasted, from admission to end."),
  // Backend: the listener's group of servers.
  backendCurrentSessions: def(
    "backend_current_sessions",
    "gauge",
    P,
    "Sessions (tunnel) or pooled connections (pool) on the group's servers now.",
  ),
  backendActiveServers: def("backend_active_servers", "gauge", P, "Servers taking new sessions now (UP, weight above 0)."),
  backendCurrentQueue: def(
    "backend_current_queue",
    "gauge",
    P,
    "Clients (tunnel) or requests' clients (pool) waiting for a backend slot now.",
  ),
  backendConnectionErrors: def("backend_connection_errors_total", "counter", P, "Failed backend connects, all servers."),
  // Server: one backend of a listener.
  serverStatus: def(
    "server_status",
    "gauge",
    [...PS, "state"],
    "1 for the server's current state (UP, DOWN, DRAIN, MAINT), 0 for the others.",
  ),
  serverCurrentSessions: def("server_current_sessions", "gauge", PS, "Sessions (tunnel) or pooled connections (pool) on the server now."),
  serverSessionsTotal: def("server_sessions_total", "counter", PS, "Sessions (tunnel) or client bindings (pool) sent to the server."),
  serverConnectionErrors: def("server_connection_errors_total", "counter", [...PS, "code"], "Failed connects to the server, by code."),
  serverCheckFailures: def("server_check_failures_total", "counter", PS, "Active health checks that failed."),
  serverCheckUpDown: def("server_check_up_down_total", "counter", PS, "Transitions from UP to DOWN (active checks or passive health)."),
  serverDowntime: def("server_downtime_seconds_total", "counter", PS, "Time the server spent DOWN."),
  serverConnectDuration: def("server_connect_duration_seconds", "histogram", PS, "Time of successful TCP connects to the server."),
  // Pool: one backend's pool of a pooled listener.
  poolConnections: def("pool_connections", "gauge", [...PS, "state"], "Pooled connections now, by state (in_use, idle, connecting)."),
  poolWaitingRequests: def("pool_waiting_requests", "gauge", PS, "Clients waiting for a pooled connection now."),
  poolPinnedClients: def("pool_pinned_clients", "gauge", PS, "Clients holding a pinned connection now."),
  poolRequests: def("pool_requests_total", "counter", PS, "Requests written to the server's pooled connections."),
  poolWaitDuration: def("pool_wait_duration_seconds", "histogram", PS, "Time clients waited for a pooled connection."),
  // Process.
  processStartTime: def("process_start_time_seconds", "gauge", [], "Start time of the process, in seconds since the Unix epoch."),
  processResidentMemory: def("process_resident_memory_bytes", "gauge", [], "Resident memory of the process."),
  processOpenFds: def("process_open_fds", "gauge", [], "Open file descriptors of the process."),
  processMaxFds: def("process_max_fds", "gauge", [], "The process's limit on open file descriptors."),
  processCpu: def("process_cpu_seconds_total", "counter", [], "User and system CPU time of the process."),
  processEventLoopDelay: def(
    "process_event_loop_delay_seconds",
    "gauge",
    [],
    "The largest lateness of warren's sweep timer over the last second: how long the event loop was busy.",
  ),
  buildInfo: def("build_info", "gauge", ["version", "bun"], "Always 1; the labels say which warren and which Bun."),
} as const satisfies Record<string, MetricDef>;

export type MetricId = keyof typeof METRICS;

/** The states of warren_server_status, one series each. */
export const SERVER_STATES = ["UP", "DOWN", "DRAIN", "MAINT"] as const;
export type ServerState = (typeof SERVER_STATES)[number];

/** The states of warren_pool_connections, one series each. */
export const POOL_CONNECTION_STATES = ["in_use", "idle", "connecting"] as const;

/** The reasons of warren_frontend_denied_connections_total, as the listener counts them (ListenerStats.rejected). */
export const DENIED_REASONS = ["maxConnections", "noBackend", "denied", "perClient", "queueFull"] as const;

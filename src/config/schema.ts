import type { BalanceAlgorithm } from "../balance/balancer.ts";
import type { CidrRange } from "../access/cidr.ts";
import type { LogFormat, LogLevel } from "../log.ts";
import type { FramerConfig } from "../framing/index.ts";

/**
 * HostPort is a parsed "HOST:PORT" (IPv6 hosts are written "[::1]:80"), or a unix socket "unix:/PATH":
 * then `unix` holds the path, and host is "" and port 0.
 */
export interface HostPort {
  readonly host: string;
  readonly port: number;
  /** The socket file's path of a "unix:/PATH" address; absent for TCP. */
  readonly unix?: string;
}

/**
 * BackendConfig is one entry of a listener's backends: one server at an IP address, every server a host
 * name resolves to (see ListenerConfig.resolve), or every server an SRV record lists.
 */
export interface BackendConfig {
  /** "HOST:PORT" of the server, the host an IP address or a name. For an SRV entry: the SRV name, port 0. */
  readonly address: HostPort;
  /** An SRV name such as "_redis._tcp.example.internal": its records give host, port and weight. Default null. */
  readonly srv: string | null;
  /** Share of new sessions relative to the group's other backends. Default 1. */
  readonly weight: number;
  /** Concurrent sessions allowed to this backend; 0 = unlimited. Default 0. */
  readonly maxConnections: number;
  /** No new sessions; live sessions continue. Default false. */
  readonly drain: boolean;
}

/** ListenerConfig is one listening address and the group of backends it forwards to. */
export interface ListenerConfig {
  /** Identifies the listener in logs, stats and reloads. Default: the listen address. */
  readonly name: string;
  /** "HOST:PORT" to accept clients on (port 0 picks a free port), or "unix:/PATH" for a unix socket. Default 127.0.0.1:9509. */
  readonly listen: HostPort;
  /** At least one backend. */
  readonly backends: readonly BackendConfig[];
  /** A backend named by host name: "all" of its A/AAAA records become backends, or only the "first". Default "all". */
  readonly resolve: ResolveMode;
  /** Names and SRV records are resolved again this often, or sooner when their TTL is shorter, in ms. Default 30000. */
  readonly resolveIntervalMs: number;
  /** How a backend is picked for a new session. Default "round-robin". */
  readonly balance: BalanceAlgorithm;
  /** Concurrent sessions on this listener; extra clients are closed at once. Default 10000. */
  readonly maxConnections: number;
  /** Give up on a backend connect after this long. Default 5000. */
  readonly connectTimeoutMs: number;
  /** End a session when neither direction moved for this long; 0 = never. Default 600000. */
  readonly idleTimeoutMs: number;
  /** End a session this long after it started, whatever it is doing; 0 = never. Default 0. */
  readonly maxLifetimeMs: number;
  /** Bytes queued in one direction before its source is paused. Default 262144. */
  readonly highWaterBytes: number;
  /** Bytes accepted from a client before its backend connects; then the client is paused. Default 262144. */
  readonly earlyDataBytes: number;
  /** TCP_NODELAY on both sockets. Default true. */
  readonly noDelay: boolean;
  /** TCP keepalive initial delay on both sockets; 0 = off. Default 0. */
  readonly keepAliveMs: number;
  /** Clients whose address matches none of these are refused (empty: everyone may connect). Default []. */
  readonly allow: readonly CidrRange[];
  /** Clients whose address matches any of these are refused; checked before `allow`. Default []. */
  readonly deny: readonly CidrRange[];
  /** Concurrent sessions per client address; 0 = unlimited. Default 0. */
  readonly maxConnectionsPerClient: number;
  /** Backends tried before giving up on a client (retries only before any byte reached a backend). Default 3. */
  readonly connectAttempts: number;
  /**
   * Tunnel connects in flight at once per backend; a backend with this many is
   * skipped like one at its maxConnections, and clients queue when every backend
   * is full. Pool mode bounds its connects by pool.maxPerBackend instead. Default 256.
   */
  readonly maxConnectingPerBackend: number;
  /** Clients that may wait when every backend is at its maxConnections (or maxConnectingPerBackend); 0 = refuse at once. Default 1000. */
  readonly queueSize: number;
  /** How long a queued client waits for a free backend slot. Default 5000. */
  readonly queueTimeoutMs: number;
  /** Passive and active health checking of the backends. */
  readonly health: HealthConfig;
  /** "tunnel": one backend connection per client (1:1). "pool": clients share pooled connections (n:1). Default "tunnel". */
  readonly mode: "tunnel" | "pool";
  /** Pool settings; set exactly when mode is "pool". */
  readonly pool: PoolConfig | null;
  /** Read a PROXY protocol header from every client before anything else; null: off. Default null. */
  readonly proxyProtocol: ProxyProtocolConfig | null;
  /** Send a PROXY protocol header ("v1" or "v2") first on every backend connection; null: none. Tunnel mode only. Default null. */
  readonly sendProxy: "v1" | "v2" | null;
  /** The socket file's permissions (e.g. 0o660) of a `unix:` listen address; null: as the umask leaves them. Default null. */
  readonly socketMode: number | null;
  /** SNI routing: a backend group per server name in the client's TLS ClientHello; `backends` is the default route. Tunnel mode only. Default []. */
  readonly routes: readonly RouteConfig[];
  /** How much and how long the ClientHello is read (with routes only). */
  readonly clientHello: ClientHelloConfig;
  /** Terminate TLS from clients (`[listeners.tls]`); null: the stream is relayed as it comes. Default null. */
  readonly tls: TlsConfig | null;
  /** Speak TLS to the backends (`[listeners.backendTls]`); null: plain TCP. Default null. */
  readonly backendTls: BackendTlsConfig | null;
}

/**
 * TlsConfig: warren terminates TLS on this listener; the mode sees plaintext. Files are PEM, read at
 * start and at every reload (SIGHUP), so a certificate rotates without a restart.
 */
export interface TlsConfig {
  /** The default certificate chain (PEM file): served when no `certs` entry matches the SNI, or none is sent. Required. */
  readonly cert: string;
  /** Its private key (PEM file). Required. */
  readonly key: string;
  /** More certificates, picked by the client's SNI: exact names first, then "*.example.com" (one label). Default []. */
  readonly certs: readonly TlsCertConfig[];
  /** The oldest TLS version accepted: "TLSv1.2" or "TLSv1.3". Default "TLSv1.2". */
  readonly minVersion: "TLSv1.2" | "TLSv1.3";
  /** ALPN protocols offered, in preference order (e.g. ["h2", "http/1.1"]); [] = no ALPN. Default []. */
  readonly alpn: readonly string[];
  /** CA certificates (PEM file) that client certificates must chain to; null: no client certificates asked for. Default null. */
  readonly clientCa: string | null;
  /** With clientCa: a client without a valid certificate is refused (without it, one is only checked if sent). Default false. */
  readonly requireClientCert: boolean;
  /** A client whose handshake is not complete after this long is closed (TLS_HANDSHAKE_TIMEOUT). Default 10000. */
  readonly handshakeTimeoutMs: number;
}

/** TlsCertConfig is one more certificate of a TLS listener, for the server names that match `serverName`. */
export interface TlsCertConfig {
  /** "a.example.com" or "*.example.com", lower-cased. */
  readonly serverName: string;
  readonly cert: string;
  readonly key: string;
}

/** BackendTlsConfig: warren is a TLS client to the backends (connections, pooled connections, health probes). */
export interface BackendTlsConfig {
  /** Off turns the table off without deleting it. Default true (when the table is given). */
  readonly enabled: boolean;
  /** CA certificates (PEM file) the backends' certificates must chain to; null: the system's CA store. Default null. */
  readonly ca: string | null;
  /** The SNI sent and the name the certificate must carry; null: the backend's host (an IP address is checked as one, and not sent as SNI). Default null. */
  readonly serverName: string | null;
  /** Verify the backend's certificate chain and name; a failure is a connect failure (TLS_VERIFY_FAILED). Default true. */
  readonly verify: boolean;
  /** A client certificate (PEM file) for backends that ask for one, and its key; both or neither. Default null. */
  readonly cert: string | null;
  readonly key: string | null;
}

/** RouteConfig is one SNI route: clients whose ClientHello names a matching server go to its backends. */
export interface RouteConfig {
  /** "a.example.com" (exact) or "*.example.com" (one or more labels in front), lower-cased. */
  readonly sni: string;
  /** At least one, HOST:PORT or tables as for a listener's backends (no SRV entries). */
  readonly backends: readonly BackendConfig[];
}

/** ClientHelloConfig bounds what warren reads of a ClientHello to route it. */
export interface ClientHelloConfig {
  /** The ClientHello's TLS records, headers included, may take this many bytes at most. Default 16384. */
  readonly maxBytes: number;
  /** A client that has not sent its whole ClientHello after this long is closed. Default 5000. */
  readonly timeoutMs: number;
}

/**
 * ProxyProtocolConfig: a listener behind a load balancer that speaks the PROXY protocol (HAProxy's
 * proxy-protocol.txt). The header is required from the trusted sources, never guessed at.
 */
export interface ProxyProtocolConfig {
  /** Which header versions are accepted: "v1", "v2" or "any". Default "any". */
  readonly accept: "v1" | "v2" | "any";
  /** The sources (CIDR ranges) allowed to send a header. Required, at least one. */
  readonly trusted: readonly CidrRange[];
  /** How long a trusted source may take to send its whole header. Default 3000. */
  readonly timeoutMs: number;
  /** A connection from any other source: "refuse" (closed, counted) or "direct" (served with its own address). Default "refuse". */
  readonly untrusted: "refuse" | "direct";
}

/** WarrenConfig is a whole, validated configuration. */
export interface WarrenConfig {
  /**
   * Worker processes, each serving every listener on a shared port (SO_REUSEPORT); "auto" in the file is
   * the number of CPUs warren may use. Limits stay totals, split across the workers. Default 1.
   */
  readonly workers: number;
  readonly log: {
    /** debug | info | warn | error | silent. Default "info". */
    readonly level: LogLevel;
    /** pretty | json | auto (pretty on a terminal, JSON lines otherwise). Default "auto". */
    readonly format: LogFormat;
    /** One access-log line per finished session. Default true. */
    readonly access: boolean;
    /**
     * Append log lines to this file instead of stderr; reopened on SIGUSR1 so logrotate can
     * rename it. A relative path is resolved against the config file's directory. Default null (stderr).
     */
    readonly file: string | null;
  };
  readonly shutdown: {
    /** On SIGTERM/SIGINT, wait this long for live sessions before closing them. Default 30000. */
    readonly drainTimeoutMs: number;
  };
  readonly listeners: readonly ListenerConfig[];
  readonly dns: DnsConfig;
  readonly admin: AdminConfig;
}

/** AdminConfig is the `[admin]` table: the HTTP server for metrics, probes, the runtime API and the dashboard (src/admin). */
export interface AdminConfig {
  /** Whether warren runs an admin server at all (`--admin off` sets false). Default true. */
  readonly enabled: boolean;
  /** "HOST:PORT" it listens on; port 0 picks one. Default 127.0.0.1:9510. */
  readonly listen: HostPort;
  /**
   * Whether `listen` was given (in the file or by `--admin`) rather than the built-in default: a taken
   * default is a warning (a second warren on the host runs without one), a taken configured address a
   * start failure.
   */
  readonly listenConfigured: boolean;
  /** The bearer token state changes need (from `token`, `tokenFile` or WARREN_ADMIN_TOKEN), at least 16 characters; null for none. Default null. */
  readonly token: string | null;
}

/** ResolveMode: which of a backend name's addresses become backends. */
export type ResolveMode = "all" | "first";

/** DnsConfig: how backend names and SRV records are resolved. */
export interface DnsConfig {
  /**
   * DNS servers to ask ("HOST" or "HOST:PORT", port 53 by default); with them, records' TTLs are honoured.
   * Empty: the system's resolver (getaddrinfo for names, as every other program on the host resolves
   * them, /etc/hosts included; /etc/resolv.conf's servers for SRV). Default [].
   */
  readonly servers: readonly HostPort[];
  /** A query that has not been answered after this long fails (and is retried on the next resolution), ms. Default 2000. */
  readonly timeoutMs: number;
}

/**
 * Health settings of one backend group. Passive health watches the connects of
 * real sessions; active health probes each backend on a timer. Both can run at
 * once: a passive mark-down is then lifted by the checker's probes, not by the
 * cooldown (see passive.ts).
 */

/** PassiveHealthConfig: connect failures of real sessions take a backend out of rotation. */
export interface PassiveHealthConfig {
  /** Consecutive connect failures that mark a backend down; 0 turns passive health off. Default 3. */
  readonly failures: number;
  /** How long a passively-downed backend stays out before it is tried again, in ms. Default 10000. */
  readonly cooldownMs: number;
}

/** ActiveHealthConfig: a probe per backend every `intervalMs`, with rise/fall thresholds. */
export interface ActiveHealthConfig {
  /** Whether the group's backends are probed at all. Default false. */
  readonly enabled: boolean;
  /** Time from the start of one probe of a backend to the start of its next, in ms. Default 2000. */
  readonly intervalMs: number;
  /** A probe that has not finished (connect, send, reply) after this many ms fails. Default 1000. */
  readonly timeoutMs: number;
  /** Consecutive successful probes that bring a down backend back up. Default 2. */
  readonly rise: number;
  /** Consecutive failed probes that take an up backend down. Default 3. */
  readonly fall: number;
  /** Bytes written right after connecting; null makes the probe a plain TCP connect check. Default null. */
  readonly send: string | null;
  /**
   * The reply must start with these bytes (prefix match); null accepts any reply
   * or none, so the probe passes once connected and `send` is written. Default null.
   */
  readonly expect: string | null;
}

/** HealthConfig is the health section of one listener (one backend group). */
export interface HealthConfig {
  readonly passive: PassiveHealthConfig;
  readonly active: ActiveHealthConfig;
}

/** PoolAuth is the identity warren authenticates its pooled connections with (Redis ACL user or requirepass). */
export interface PoolAuth {
  /** ACL user name; null sends `AUTH <password>` semantics (the default user). Default null. */
  readonly username: string | null;
  readonly password: string;
}

/** PoolConfig: the n:1 pooled mode of a listener (mode = "pool"). */
export interface PoolConfig {
  /** How requests and responses are framed. Required in pool mode. */
  readonly framer: FramerConfig;
  /** Pooled connections per backend at most. Default 8. */
  readonly maxPerBackend: number;
  /** Idle connections kept open per backend (reopened when they die). Default 1. */
  readonly minIdlePerBackend: number;
  /** Clients whose request may wait for a pooled connection, per backend; 0 = fail at once. Default 10000. */
  readonly queueSize: number;
  /** How long a request waits for a pooled connection before it is failed. Default 5000. */
  readonly queueTimeoutMs: number;
  /** Write many clients' requests back to back on one connection (in-order protocols only). Default false. */
  readonly multiplex: boolean;
  /**
   * Connections of one backend that may be pinned to a client at once (MULTI/WATCH, SELECT and other
   * connection state, SUBSCRIBE/MONITOR pass-through, a blocking command in flight). Default
   * maxPerBackend - 1, so at least one connection always serves shared traffic.
   */
  readonly maxPinnedPerBackend: number;
  /** Pinned connections held at once by the clients of one address; 0 = no limit. Default 0. */
  readonly maxPinnedPerClient: number;
  /** A client holding a pinned connection with nothing outstanding and idle this long is closed; 0 = never. Default 60000. */
  readonly pinnedIdleTimeoutMs: number;
  /**
   * A pooled connection whose oldest outstanding reply has not progressed for this long is closed (its
   * clients get an error), and a slow reader that keeps a connection paused this long is closed. Blocking
   * commands are exempt. 0 = never. Default 60000.
   */
  readonly replyTimeoutMs: number;
  /** Credentials warren sends on every pooled connection before use (RESP only). Default none. */
  readonly auth: PoolAuth | null;
  /** The password clients must AUTH with (answered by warren, RESP only); null: no client auth. Default null. */
  readonly clientPassword: string | null;
}

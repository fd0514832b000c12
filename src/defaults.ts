import type { LogFormat, LogLevel } from "./log.ts";

/**
 * DEFAULTS holds every default warren uses, in one place: the listener's, the pool's, the health
 * checker's, the framers' and the hash ring's. The config schema (config/schema.ts) documents each key
 * and names its default from here; nothing else hard-codes a default. A leaf: it imports no folder, so
 * every module may read it.
 */
export const DEFAULTS = {
  /** One process; "auto" or N runs a supervisor and N workers (src/workers). */
  workers: 1,
  /** The original design listened on 9509 and forwarded to 9501. */
  listenAddress: "127.0.0.1:9509",
  backendAddress: "127.0.0.1:9501",
  log: {
    level: "info" as LogLevel,
    format: "auto" as LogFormat,
    access: true,
    /** null: log to stderr. A path: append there instead (reopened on SIGUSR1, for logrotate). */
    file: null as string | null,
  },
  admin: {
    enabled: true,
    /** Next to the default listener's 9509, so `bun run proxy` alone has a dashboard. */
    listen: "127.0.0.1:9510",
    /** Shorter tokens are refused: a bearer token is the only thing between the network and drain/reload. */
    minTokenChars: 16,
    /** The environment variable a token may come from (Kubernetes Secrets, systemd credentials). */
    tokenEnv: "WARREN_ADMIN_TOKEN",
  },
  shutdown: {
    /** How long SIGTERM waits for live sessions before closing them. */
    drainTimeoutMs: 30_000,
  },
  listener: {
    balance: "round-robin",
    maxConnections: 10_000,
    connectTimeoutMs: 5_000,
    /** Like nginx stream's proxy_timeout: a session where nothing moved for 10 minutes ends. */
    idleTimeoutMs: 600_000,
    /** 0: no limit on a session's lifetime. */
    maxLifetimeMs: 0,
    /** Queued bytes per direction before the source is paused. */
    highWaterBytes: 256 * 1024,
    /** Bytes a client may send before its backend has connected. */
    earlyDataBytes: 256 * 1024,
    noDelay: true,
    /** 0: TCP keepalive off; otherwise the idle time before the first probe. */
    keepAliveMs: 0,
    /** 0: no per-client-address limit on concurrent sessions. */
    maxConnectionsPerClient: 0,
    /** Backends tried for one client before giving up (1 = no retry). */
    connectAttempts: 3,
    /**
     * Tunnel connects in flight at once to one backend. Bounds what a backend
     * that never answers can hold (a socket and a descriptor per connect, until
     * connectTimeoutMs); a healthy backend completes a loopback or LAN connect in
     * well under a millisecond, so 256 in flight is far above its normal load.
     */
    maxConnectingPerBackend: 256,
    /** Clients that may wait for a backend slot when every backend is at maxConnections (or maxConnectingPerBackend). */
    queueSize: 1000,
    /** How long a queued client waits for a slot before it is closed. */
    queueTimeoutMs: 5_000,
    /** A backend named by host name becomes one backend per address it resolves to. */
    resolve: "all",
    /** A changed DNS answer is noticed within 30 s (sooner when its TTL is shorter). */
    resolveIntervalMs: 30_000,
  },
  /** How backend names are resolved: the system resolver unless servers are given. */
  dns: {
    servers: [] as readonly { host: string; port: number }[],
    timeoutMs: 2_000,
  },
  backend: {
    srv: null,
    weight: 1,
    maxConnections: 0,
    drain: false,
  },
  /** The n:1 pooled mode (mode = "pool"). */
  pool: {
    maxPerBackend: 8,
    minIdlePerBackend: 1,
    queueSize: 10_000,
    queueTimeoutMs: 5_000,
    multiplex: false,
    /** null: maxPerBackend - 1 (at least 0), computed when the config is read. */
    maxPinnedPerBackend: null,
    maxPinnedPerClient: 0,
    pinnedIdleTimeoutMs: 60_000,
    replyTimeoutMs: 60_000,
    auth: null,
    clientPassword: null,
  },
  /** A listener's `proxyProtocol` table (there is no default `trusted`: it must be given). */
  proxyProtocol: {
    /** Both versions, as the spec recommends for v2 receivers; the header is still required. */
    accept: "any",
    /** The spec: a receiver may abort after a few seconds, at least 3 to cover a TCP retransmit. */
    timeoutMs: 3_000,
    untrusted: "refuse",
  },
  /** SNI routing (a listener's `routes`): how much and how long warren reads of a client's TLS ClientHello. */
  clientHello: {
    /** 16 KiB: one full TLS record. Clients send 0.5-2 KiB (post-quantum key shares included); OpenSSL's server takes up to 128 KiB. */
    maxBytes: 16 * 1024,
    /** Clients write the hello at once on connect; 5 s covers a retransmitted SYN-ACK and a slow link. */
    timeoutMs: 5_000,
  },
  /** A listener's `[listeners.tls]` table (cert and key have no default: they must be given). */
  tls: {
    /** TLS 1.0 and 1.1 are deprecated (RFC 8996). */
    minVersion: "TLSv1.2" as "TLSv1.2" | "TLSv1.3",
    alpn: [] as string[],
    requireClientCert: false,
    /** A handshake takes a few round trips; 10 s is HAProxy's `timeout client`-like order, and bounds silent clients. */
    handshakeTimeoutMs: 10_000,
  },
  /** A listener's `[listeners.backendTls]` table. */
  backendTls: {
    enabled: true,
    /** Verification on: a TLS backend that cannot prove who it is gets no client's bytes. */
    verify: true,
  },
  /** HAProxy's inter 2s, rise 2, fall 3. */
  health: {
    passive: {
      failures: 3,
      cooldownMs: 10_000,
    },
    active: {
      enabled: false,
      intervalMs: 2_000,
      timeoutMs: 1_000,
      rise: 2,
      fall: 3,
      send: null,
      expect: null,
    },
  },
  /** Framer options: an option left undefined in a FramerConfig takes its value from here. */
  framer: {
    length: {
      /** Bytes before the length field (e.g. a magic number or message type). */
      lengthOffset: 0,
      /** Width of the length field: 1, 2, 4 or 8 bytes. */
      lengthBytes: 4,
      endian: "big",
      /** Most protocols count only the payload after the header. */
      lengthIncludesHeader: false,
      lengthAdjustment: 0,
      /** 16 MiB: generous for RPC protocols, small enough to catch a desynchronised stream early. */
      maxFrameBytes: 16 * 1024 * 1024,
    },
    delimiter: {
      /** CR LF ends a line in most text protocols (SMTP, memcached text, POP3). */
      delimiter: "\r\n",
      /** 1 MiB: a line-oriented protocol that needs more is better served by a length framer. */
      maxFrameBytes: 1024 * 1024,
    },
    resp: {
      /** 1 GiB, Redis's default client-query-buffer-limit; the pool may use Infinity for responses. */
      maxFrameBytes: 1024 * 1024 * 1024,
      /** 512 MiB, Redis's default proto-max-bulk-len. */
      maxBulkBytes: 512 * 1024 * 1024,
      /** Nesting depth of aggregates; Redis replies rarely exceed 5 (e.g. XREAD, COMMAND DOCS). */
      maxDepth: 64,
      /** 64 KiB, Redis's PROTO_INLINE_MAX_SIZE, bounds inline commands, request count and length lines, and reply lines alike. */
      maxLineBytes: 64 * 1024,
      /** Read a client's requests as Redis's server does (RespRequestScanner); set false for a scanner that reads replies (RespScanner). */
      inline: true,
    },
  },
  /** The consistent-hash ring: about ±3% per backend for groups whose weights sum to 64 or less. */
  hash: { pointsPerWeight: 1024, maxPoints: 65_536 },
} as const;

/**
 * DEFAULT_FRAMER_OPTIONS holds every framer option default in one place; an option left
 * undefined in a FramerConfig takes its value from here.
 */
export const DEFAULT_FRAMER_OPTIONS = {
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
} as const;

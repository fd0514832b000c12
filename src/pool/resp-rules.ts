/**
 * RESP pinning rules: what a command does to the connection it runs on, and so
 * whether it may share a pooled connection. Looked up once per request by its
 * upper-cased name (respCommandName).
 *
 * The rules, and why:
 * - MULTI pins the client to its connection until EXEC or DISCARD: the queued
 *   commands live in that connection's state.
 * - WATCH pins until EXEC, DISCARD or UNWATCH: the watched keys are per connection.
 * - Blocking commands (BLPOP, BRPOP, BLMOVE, BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP,
 *   BRPOPLPUSH, XREAD, XREADGROUP, WAIT, WAITAOF) get a connection of their own
 *   for the duration of the command, so they never stall other clients'
 *   replies. XREAD/XREADGROUP are treated as blocking even without BLOCK: the
 *   rule looks at the name only, and the cost is one exclusive round trip.
 * - Connection-state commands pin for the rest of the client's life, and the
 *   connection is closed (not returned dirty) when the client leaves: SELECT,
 *   AUTH, HELLO (may switch to RESP3), CLIENT (SETNAME, TRACKING, ...), RESET,
 *   READONLY/READWRITE, ASKING. SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE and MONITOR also
 *   pin for life and switch the connection to pass-through: replies are pushes,
 *   no longer one per request, so they are relayed unframed to their only client.
 * - Refused with `-ERR warren: <NAME> is not supported in pooled mode`: SYNC,
 *   PSYNC and REPLCONF (replication streams are not request/reply).
 * - CLIENT REPLY OFF and SKIP are refused with `-ERR warren: CLIENT REPLY is
 *   not supported in pooled mode`: warren routes replies by counting one per
 *   request, and a backend told not to reply breaks that count (the client
 *   would wait for replies that never come, or get another request's).
 *   CLIENT REPLY ON is answered +OK by warren (it is the only mode there is).
 * - QUIT is answered by warren (+OK, after every earlier reply) and closes the
 *   client; it never reaches a pooled connection, which Redis would close.
 */

/** No effect on connection state: the request may share a connection. */
export const RULE_NONE = 0;
/** MULTI: pin until EXEC/DISCARD. */
export const RULE_MULTI = 1;
/** EXEC, DISCARD: end the transaction pin and the watch pin. */
export const RULE_TXN_END = 2;
/** WATCH: pin until EXEC/DISCARD/UNWATCH. */
export const RULE_WATCH = 3;
/** UNWATCH: end the watch pin. */
export const RULE_UNWATCH = 4;
/** A blocking command: exclusive for its own duration. */
export const RULE_BLOCKING = 5;
/** Connection state changed for good: pinned for life, closed when the client leaves. */
export const RULE_PIN_LIFE = 6;
/** Pinned for life and the connection turns into pass-through (pub/sub, MONITOR). */
export const RULE_PASS_THROUGH = 7;
/** Answered by warren with +OK, then the client is closed. */
export const RULE_QUIT = 8;
/** Refused with an error reply; never forwarded. */
export const RULE_REFUSE = 9;

const RULES = new Map<string, number>([
  ["MULTI", RULE_MULTI],
  ["EXEC", RULE_TXN_END],
  ["DISCARD", RULE_TXN_END],
  ["WATCH", RULE_WATCH],
  ["UNWATCH", RULE_UNWATCH],
  ...["BLPOP", "BRPOP", "BLMOVE", "BLMPOP", "BZPOPMIN", "BZPOPMAX", "BZMPOP", "BRPOPLPUSH", "XREAD", "XREADGROUP", "WAIT", "WAITAOF"].map(
    (n) => [n, RULE_BLOCKING] as [string, number],
  ),
  ...["SELECT", "AUTH", "HELLO", "CLIENT", "RESET", "READONLY", "READWRITE", "ASKING"].map((n) => [n, RULE_PIN_LIFE] as [string, number]),
  ...["SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "MONITOR"].map((n) => [n, RULE_PASS_THROUGH] as [string, number]),
  ["QUIT", RULE_QUIT],
  ...["SYNC", "PSYNC", "REPLCONF"].map((n) => [n, RULE_REFUSE] as [string, number]),
]);

/**
 * RULE_SHAPES holds (length, first letter, last letter) of every command that
 * has a rule, so the common case — GET, SET, INCR… — is recognised as rule-free
 * from three bytes of the frame, without building the command-name string.
 */
const RULE_SHAPES = new Set<number>([...RULES.keys()].map((n) => shapeKey(n.length, n.charCodeAt(0), n.charCodeAt(n.length - 1))));

function shapeKey(length: number, first: number, last: number): number {
  return length * 65536 + (first & 0xdf) * 256 + (last & 0xdf); // & 0xdf: ASCII upper case
}

/**
 * mayHaveRule is a fast pre-check on one complete request frame: false means
 * the command certainly has no rule (RULE_NONE); true means look at its name.
 * It reads only the array header and the first bulk string's length: a frame
 * of another shape (inline commands) always answers true.
 */
export function mayHaveRule(buf: Uint8Array, start: number, end: number): boolean {
  if (buf[start] !== 0x2a /* * */) return true;
  let i = start + 1;
  while (i < end && buf[i] !== 0x0a) i++;
  i++;
  if (i >= end || buf[i] !== 0x24 /* $ */) return true;
  i++;
  let length = 0;
  while (i < end) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) break;
    length = length * 10 + d;
    i++;
  }
  const nameStart = i + 2; // past CR LF
  const nameEnd = nameStart + length;
  if (length === 0 || nameEnd > end) return true;
  return RULE_SHAPES.has(shapeKey(length, buf[nameStart]!, buf[nameEnd - 1]!));
}

/** respRule returns the RULE_* for a command name (null: not a command, treated as RULE_NONE). */
export function respRule(name: string | null): number {
  if (name === null) return RULE_NONE;
  return RULES.get(name) ?? RULE_NONE;
}

/** Pin bits kept on a client while a rule's effect lasts. */
export const PIN_TXN = 1;
export const PIN_WATCH = 2;
export const PIN_LIFE = 4;

const CLIENT_REPLY_ARRAY = /^(?:\s|\*(?:0|-1)\r\n)*\*\d+\r\n\$6\r\nCLIENT\r\n\$5\r\nREPLY\r\n(?:\$\d+\r\n([^\r]*)\r\n)?/i;
const CLIENT_REPLY_INLINE = /^\s*["']?CLIENT["']?\s+["']?REPLY["']?(?:\s+["']?([^\s"']*))?/i;

/**
 * clientReplyMode reads a CLIENT request: for CLIENT REPLY it returns the
 * upper-cased mode argument ("" when there is none), for any other CLIENT
 * subcommand null. Only CLIENT requests pay for it (a short latin1 string of
 * the frame's head).
 */
export function clientReplyMode(buf: Uint8Array, start: number, end: number): string | null {
  const head = Buffer.from(buf.buffer, buf.byteOffset + start, Math.min(end - start, 256)).toString("latin1");
  const m = CLIENT_REPLY_ARRAY.exec(head) ?? CLIENT_REPLY_INLINE.exec(head);
  return m === null ? null : (m[1] ?? "").toUpperCase();
}

/**
 * The RESP command table of the pool: what each command does to the connection it runs on, and so how
 * warren must route it and count its replies. Looked up once per request by upper-cased name; the few
 * commands whose effect depends on an argument (CLIENT, XREAD) are classified with their arguments.
 *
 * Reply counting is the pool's first duty: replies are routed by counting them, so a command whose reply
 * count warren got wrong would hand one client another client's reply. The table therefore never
 * guesses: a command with a known odd count is counted (UNSUBSCRIBE family), one whose count or effect
 * cannot be known is pinned to its client for good (pass-through) or refused. Every other command
 * follows the protocol's rule of exactly one reply per request, errors included.
 *
 * | command | what warren does |
 * | --- | --- |
 * | MULTI | pins the client until EXEC or DISCARD |
 * | WATCH | pins until EXEC, DISCARD or UNWATCH |
 * | EXEC DISCARD UNWATCH with extra arguments | refused by Redis, so they end nothing (the pin stays) |
 * | EXEC DISCARD UNWATCH answered with an error | the connection's state is unknown: it is closed once released |
 * | BLPOP BRPOP BLMOVE BLMPOP BRPOPLPUSH BZPOPMIN BZPOPMAX BZMPOP WAIT WAITAOF, XREAD/XREADGROUP with BLOCK | a connection of its own for the command |
 * | SELECT READONLY READWRITE ASKING, CLIENT NO-EVICT / NO-TOUCH | pin for the client's life |
 * | SUBSCRIBE PSUBSCRIBE SSUBSCRIBE MONITOR, CLIENT TRACKING ON, SCRIPT DEBUG YES/SYNC | pass-through for the client's life (replies no longer counted) |
 * | UNSUBSCRIBE PUNSUBSCRIBE SUNSUBSCRIBE (not subscribed) | one reply per argument, one without arguments; a first reply that is an error is the only one |
 * | CLIENT KILL, SHUTDOWN, DEBUG | a connection of its own, closed after the reply (it may close or wedge the connection) |
 * | QUIT HELLO AUTH RESET, CLIENT SETNAME GETNAME SETINFO, CLIENT REPLY ON | answered by warren |
 * | SYNC PSYNC REPLCONF, CLIENT REPLY OFF/SKIP, CLIENT TRACKING … REDIRECT | refused |
 */

/** One reply, no effect on the connection: may share a connection. */
export const R_NONE = 0;
export const R_MULTI = 1;
export const R_EXEC = 2;
export const R_DISCARD = 3;
export const R_WATCH = 4;
export const R_UNWATCH = 5;
/** Exclusive for the command's own duration. */
export const R_BLOCKING = 6;
/** Connection state changed for good: pinned for life, closed when the client leaves. */
export const R_PIN_LIFE = 7;
/** Pinned for life and the connection turns pass-through: replies are no longer counted. */
export const R_PASS = 8;
/** One reply per argument (at least one); an error first reply ends it. */
export const R_UNSUB = 9;
/** Exclusive, and the connection is closed once the reply is in. */
export const R_RETIRE = 10;
/** Answered by warren (the kind is in LOCAL_*). */
export const R_LOCAL = 11;
/** Refused with an error reply; never forwarded. */
export const R_REFUSE = 12;

/** What warren answers itself, for R_LOCAL. */
export const LOCAL_QUIT = 1;
export const LOCAL_HELLO = 2;
export const LOCAL_AUTH = 3;
export const LOCAL_RESET = 4;
export const LOCAL_SETNAME = 5;
export const LOCAL_GETNAME = 6;
export const LOCAL_SETINFO = 7;
export const LOCAL_REPLY_ON = 8;

/** A command's classification: the rule and, for R_LOCAL, which local command; for R_REFUSE, why. */
export interface Classified {
  readonly rule: number;
  readonly local: number;
  readonly refusal: string | null;
}

const BLOCKING = ["BLPOP", "BRPOP", "BLMOVE", "BLMPOP", "BRPOPLPUSH", "BZPOPMIN", "BZPOPMAX", "BZMPOP", "WAIT", "WAITAOF"];

const BY_NAME = new Map<string, Classified>([
  ["MULTI", c(R_MULTI)],
  ["EXEC", c(R_EXEC)],
  ["DISCARD", c(R_DISCARD)],
  ["WATCH", c(R_WATCH)],
  ["UNWATCH", c(R_UNWATCH)],
  ...BLOCKING.map((n) => [n, c(R_BLOCKING)] as [string, Classified]),
  ...["SELECT", "READONLY", "READWRITE", "ASKING"].map((n) => [n, c(R_PIN_LIFE)] as [string, Classified]),
  ...["SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "MONITOR"].map((n) => [n, c(R_PASS)] as [string, Classified]),
  ...["UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE"].map((n) => [n, c(R_UNSUB)] as [string, Classified]),
  ...["SHUTDOWN", "DEBUG"].map((n) => [n, c(R_RETIRE)] as [string, Classified]),
  ["QUIT", c(R_LOCAL, LOCAL_QUIT)],
  ["HELLO", c(R_LOCAL, LOCAL_HELLO)],
  ["AUTH", c(R_LOCAL, LOCAL_AUTH)],
  ["RESET", c(R_LOCAL, LOCAL_RESET)],
  ...["SYNC", "PSYNC", "REPLCONF"].map((n) => [n, refuse(`${n} is not supported in pooled mode`)] as [string, Classified]),
]);

/** Commands classified with their arguments; the caller decodes the arguments only for these. */
const BY_ARGS = new Set(["CLIENT", "XREAD", "XREADGROUP", "SCRIPT"]);

const NONE = c(R_NONE);

function c(rule: number, local = 0): Classified {
  return { rule, local, refusal: null };
}

function refuse(why: string): Classified {
  return { rule: R_REFUSE, local: 0, refusal: why };
}

/** needsArgs says whether classify needs the request's arguments for this command name. */
export function needsArgs(name: string): boolean {
  return BY_ARGS.has(name);
}

/**
 * classify returns what a request does. `name` is the upper-cased command name (null when the request
 * has none warren can read, which is then an ordinary one-reply command); `args` are the request's
 * arguments including the name, required when needsArgs(name).
 */
export function classify(name: string | null, args: readonly Uint8Array[] | null): Classified {
  if (name === null) return NONE;
  const byName = BY_NAME.get(name);
  if (byName !== undefined) return byName;
  if (!BY_ARGS.has(name) || args === null) return NONE;
  if (name === "CLIENT") return classifyClient(args);
  if (name === "SCRIPT") {
    // The Lua debugger answers with a session of its own, not one reply per request.
    const debug = args.length === 3 && upper(args[1]!) === "DEBUG" && upper(args[2]!) !== "NO";
    return debug ? c(R_PASS) : NONE;
  }
  // XREAD and XREADGROUP block only with a BLOCK option (before STREAMS); without it they are ordinary.
  for (let i = 1; i < args.length; i++) {
    const word = upper(args[i]!);
    if (word === "STREAMS") break;
    if (word === "BLOCK") return c(R_BLOCKING);
  }
  return NONE;
}

const CLIENT_SUB = new Map<string, Classified>([
  ["SETNAME", c(R_LOCAL, LOCAL_SETNAME)],
  ["GETNAME", c(R_LOCAL, LOCAL_GETNAME)],
  ["SETINFO", c(R_LOCAL, LOCAL_SETINFO)],
  ["NO-EVICT", c(R_PIN_LIFE)],
  ["NO-TOUCH", c(R_PIN_LIFE)],
  ["KILL", c(R_RETIRE)],
]);

function classifyClient(args: readonly Uint8Array[]): Classified {
  if (args.length < 2) return NONE;
  const sub = upper(args[1]!);
  if (sub === "REPLY") {
    // Replies are routed by counting one per request: a backend told to skip replies would break it.
    const mode = args.length === 3 ? upper(args[2]!) : "";
    if (mode === "ON") return c(R_LOCAL, LOCAL_REPLY_ON);
    if (mode === "OFF" || mode === "SKIP") return refuse("CLIENT REPLY is not supported in pooled mode");
    return NONE; // a syntax error: Redis answers it once
  }
  if (sub === "TRACKING") {
    if (args.length < 3 || upper(args[2]!) !== "ON") return NONE;
    // REDIRECT sends invalidations to another connection, which may be a shared pooled one: refused.
    for (let i = 3; i < args.length; i++)
      if (upper(args[i]!) === "REDIRECT") return refuse("CLIENT TRACKING REDIRECT is not supported in pooled mode");
    return c(R_PASS); // RESP3 invalidation pushes arrive between replies: only pass-through can carry them
  }
  return CLIENT_SUB.get(sub) ?? NONE;
}

/** upper reads an argument as upper-case ASCII (arguments compared here are short keywords). */
export function upper(arg: Uint8Array): string {
  if (arg.byteLength > 32) return "";
  let s = "";
  for (let i = 0; i < arg.byteLength; i++) {
    const b = arg[i]!;
    s += String.fromCharCode(b >= 0x61 && b <= 0x7a ? b - 0x20 : b);
  }
  return s;
}

/**
 * RULE_SHAPES holds (length, first letter, last letter) of every command that has a rule, so the common
 * case — GET, SET, INCR… — is recognised as rule-free from three bytes of the frame, without building the
 * command-name string.
 */
const RULE_SHAPES = new Set<number>(
  [...BY_NAME.keys(), ...BY_ARGS].map((n) => shapeKey(n.length, n.charCodeAt(0), n.charCodeAt(n.length - 1))),
);

function shapeKey(length: number, first: number, last: number): number {
  return length * 65536 + (first & 0xdf) * 256 + (last & 0xdf); // & 0xdf: ASCII upper case
}

/**
 * mayHaveRule is a fast pre-check on one complete multibulk request frame: false means the command
 * certainly has no rule (R_NONE); true means look at its name. It reads only a plain array header and
 * the first bulk string's length: any other shape (folded no-ops, odd line ends) answers true.
 */
export function mayHaveRule(buf: Uint8Array, start: number, end: number): boolean {
  if (buf[start] !== 0x2a /* * */ || buf[start + 1] === 0x2d /* - */ || buf[start + 1] === 0x30 /* 0 */) return true;
  let i = start + 1;
  while (i < end && buf[i] !== 0x0d) i++;
  i += 2;
  if (i >= end || buf[i - 1] !== 0x0a || buf[i] !== 0x24 /* $ */) return true;
  i++;
  let length = 0;
  while (i < end) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) break;
    length = length * 10 + d;
    i++;
  }
  if (buf[i] !== 0x0d || buf[i + 1] !== 0x0a) return true;
  const nameStart = i + 2;
  const nameEnd = nameStart + length;
  if (length === 0 || nameEnd > end) return true;
  return RULE_SHAPES.has(shapeKey(length, buf[nameStart]!, buf[nameEnd - 1]!));
}

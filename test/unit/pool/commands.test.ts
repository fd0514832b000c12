/** The pool's command table (src/pool/commands.ts): how each command is routed and its replies counted. */
import { describe, expect, test } from "bun:test";
import { multibulkArgs } from "../../../src/framing/resp-args.ts";
import { respCommandName } from "../../../src/framing/resp-command.ts";
import {
  LOCAL_AUTH,
  LOCAL_GETNAME,
  LOCAL_HELLO,
  LOCAL_QUIT,
  LOCAL_REPLY_ON,
  LOCAL_RESET,
  LOCAL_SETINFO,
  LOCAL_SETNAME,
  R_BLOCKING,
  R_DISCARD,
  R_EXEC,
  R_LOCAL,
  R_MULTI,
  R_NONE,
  R_PASS,
  R_PIN_LIFE,
  R_REFUSE,
  R_RETIRE,
  R_UNSUB,
  R_UNWATCH,
  R_WATCH,
  classify,
  mayHaveRule,
} from "../../../src/pool/commands.ts";
import { encodeCommand } from "../../helpers/redis.ts";

/** rule classifies a command given as words, the way the pool does for a complete request frame. */
function of(...words: string[]): { rule: number; local: number; refusal: string | null } {
  const frame = encodeCommand(...words);
  return classify(respCommandName(frame, 0, frame.byteLength), multibulkArgs(frame, 0, frame.byteLength));
}

test("transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH", () => {
  expect(of("MULTI").rule).toBe(R_MULTI);
  expect(of("exec").rule).toBe(R_EXEC);
  expect(of("Discard").rule).toBe(R_DISCARD);
  expect(of("WATCH", "k").rule).toBe(R_WATCH);
  expect(of("UNWATCH").rule).toBe(R_UNWATCH);
});

test("blocking commands get a connection of their own; XREAD and XREADGROUP only with BLOCK", () => {
  for (const name of ["BLPOP", "BRPOP", "BLMOVE", "BLMPOP", "BRPOPLPUSH", "BZPOPMIN", "BZPOPMAX", "BZMPOP", "WAIT", "WAITAOF"]) {
    expect(of(name, "k", "0").rule).toBe(R_BLOCKING);
  }
  expect(of("XREAD", "BLOCK", "0", "STREAMS", "s", "$").rule).toBe(R_BLOCKING);
  expect(of("xreadgroup", "GROUP", "g", "c", "block", "10", "STREAMS", "s", ">").rule).toBe(R_BLOCKING);
  expect(of("XREAD", "COUNT", "1", "STREAMS", "s", "0").rule).toBe(R_NONE);
  // "BLOCK" after STREAMS is a stream name, not the option.
  expect(of("XREAD", "STREAMS", "BLOCK", "0").rule).toBe(R_NONE);
});

test("connection state pins for life; pub/sub, MONITOR and tracking turn pass-through", () => {
  for (const name of ["SELECT", "READONLY", "READWRITE", "ASKING"]) expect(of(name, "1").rule).toBe(R_PIN_LIFE);
  expect(of("CLIENT", "NO-EVICT", "on").rule).toBe(R_PIN_LIFE);
  expect(of("client", "no-touch", "on").rule).toBe(R_PIN_LIFE);
  for (const name of ["SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "MONITOR"]) expect(of(name, "c").rule).toBe(R_PASS);
  expect(of("CLIENT", "TRACKING", "on").rule).toBe(R_PASS);
  expect(of("CLIENT", "TRACKING", "off").rule).toBe(R_NONE);
});

test("UNSUBSCRIBE, PUNSUBSCRIBE and SUNSUBSCRIBE are counted, not pinned", () => {
  for (const name of ["UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE"]) expect(of(name, "a", "b", "c").rule).toBe(R_UNSUB);
});

test("answered by warren: QUIT, HELLO, AUTH, RESET, CLIENT SETNAME/GETNAME/SETINFO, CLIENT REPLY ON", () => {
  expect(of("QUIT")).toEqual({ rule: R_LOCAL, local: LOCAL_QUIT, refusal: null });
  expect(of("HELLO", "3").local).toBe(LOCAL_HELLO);
  expect(of("AUTH", "pw").local).toBe(LOCAL_AUTH);
  expect(of("RESET").local).toBe(LOCAL_RESET);
  expect(of("CLIENT", "SETNAME", "n").local).toBe(LOCAL_SETNAME);
  expect(of("client", "getname").local).toBe(LOCAL_GETNAME);
  expect(of("CLIENT", "SETINFO", "LIB-NAME", "x").local).toBe(LOCAL_SETINFO);
  expect(of("CLIENT", "REPLY", "on").local).toBe(LOCAL_REPLY_ON);
});

test("refused with a reason: replication, skipped replies, tracking redirected to another connection", () => {
  expect(of("PSYNC", "?", "-1")).toEqual({ rule: R_REFUSE, local: 0, refusal: "PSYNC is not supported in pooled mode" });
  expect(of("SYNC").refusal).toBe("SYNC is not supported in pooled mode");
  expect(of("REPLCONF", "ack", "0").refusal).toBe("REPLCONF is not supported in pooled mode");
  expect(of("CLIENT", "REPLY", "OFF").refusal).toBe("CLIENT REPLY is not supported in pooled mode");
  expect(of("client", "reply", "skip").refusal).toBe("CLIENT REPLY is not supported in pooled mode");
  expect(of("CLIENT", "TRACKING", "ON", "REDIRECT", "7").refusal).toBe("CLIENT TRACKING REDIRECT is not supported in pooled mode");
});

test("commands that may close or wedge their connection retire it after the reply", () => {
  expect(of("CLIENT", "KILL", "ID", "1").rule).toBe(R_RETIRE);
  expect(of("DEBUG", "SLEEP", "0").rule).toBe(R_RETIRE);
  expect(of("SHUTDOWN").rule).toBe(R_RETIRE);
});

test("everything else is one reply per request and may share a connection", () => {
  for (const words of [
    ["GET", "k"],
    ["SET", "k", "v"],
    ["CLIENT", "ID"],
    ["CLIENT", "INFO"],
    ["CLIENT", "REPLY"],
    ["PING"],
    ["EVAL", "return 1", "0"],
  ]) {
    expect(of(...words).rule).toBe(R_NONE);
  }
  expect(classify(null, null).rule).toBe(R_NONE);
});

describe("mayHaveRule (the fast pre-check before reading a command name)", () => {
  const RULED = [
    "MULTI",
    "EXEC",
    "DISCARD",
    "WATCH",
    "UNWATCH",
    "BLPOP",
    "BRPOPLPUSH",
    "XREADGROUP",
    "XREAD",
    "WAIT",
    "SELECT",
    "AUTH",
    "HELLO",
    "CLIENT",
    "RESET",
    "READONLY",
    "READWRITE",
    "ASKING",
    "SUBSCRIBE",
    "PSUBSCRIBE",
    "SSUBSCRIBE",
    "MONITOR",
    "QUIT",
    "SYNC",
    "PSYNC",
    "REPLCONF",
    "UNSUBSCRIBE",
    "PUNSUBSCRIBE",
    "SUNSUBSCRIBE",
    "SHUTDOWN",
    "DEBUG",
  ];

  test.each(RULED)("%s (any case) is never skipped", (name) => {
    for (const n of [name, name.toLowerCase()]) {
      const f = encodeCommand(n, "arg");
      expect(mayHaveRule(f, 0, f.byteLength)).toBe(true);
    }
  });

  test.each(["GET", "SET", "INCR", "DEL", "HGETALL", "LPUSH", "PUBLISH"])("%s is recognised as rule-free from the header", (name) => {
    const f = encodeCommand(name, "k", "v");
    expect(mayHaveRule(f, 0, f.byteLength)).toBe(false);
  });

  test("frames of odd shape (folded no-ops, unchecked line ends) are always looked at", () => {
    const folded = Buffer.concat([Buffer.from("*0\r\n"), encodeCommand("GET", "a")]);
    expect(mayHaveRule(folded, 0, folded.byteLength)).toBe(true);
    const lax = Buffer.from("*2\rX$3\r\nGET\r\n$1\r\na\r\n");
    expect(mayHaveRule(lax, 0, lax.byteLength)).toBe(true);
    const two = Buffer.concat([encodeCommand("GET", "a"), encodeCommand("MULTI")]);
    const first = encodeCommand("GET", "a").byteLength;
    expect(mayHaveRule(two, 0, first)).toBe(false);
    expect(mayHaveRule(two, first, two.byteLength)).toBe(true);
  });
});

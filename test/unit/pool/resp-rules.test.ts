import { describe, expect, test } from "bun:test";
import { respCommandName } from "../../../src/framing/index.ts";
import { RULE_NONE, RULE_PIN_LIFE, clientReplyMode, mayHaveRule, respRule } from "../../../src/pool/resp-rules.ts";
import { encodeCommand } from "../../helpers/redis.ts";

function mode(frame: string | Buffer): string | null {
  const buf = typeof frame === "string" ? Buffer.from(frame) : frame;
  return clientReplyMode(buf, 0, buf.length);
}

test("clientReplyMode reads CLIENT REPLY's mode from array and inline requests, any case", () => {
  expect(mode(encodeCommand("CLIENT", "REPLY", "OFF"))).toBe("OFF");
  expect(mode(encodeCommand("client", "reply", "skip"))).toBe("SKIP");
  expect(mode(encodeCommand("Client", "Reply", "on"))).toBe("ON");
  expect(mode(encodeCommand("CLIENT", "REPLY"))).toBe("");
  expect(mode("CLIENT REPLY OFF\r\n")).toBe("OFF");
  expect(mode("  client  reply  skip\r\n")).toBe("SKIP");
  expect(mode("CLIENT REPLY\r\n")).toBe("");
  // Blank lines and empty arrays the scanner folds into the frame come first.
  expect(mode(Buffer.concat([Buffer.from("\r\n*0\r\n"), encodeCommand("CLIENT", "REPLY", "OFF")]))).toBe("OFF");
});

test("clientReplyMode is null for other CLIENT subcommands", () => {
  expect(mode(encodeCommand("CLIENT", "SETNAME", "reply"))).toBe(null);
  expect(mode(encodeCommand("CLIENT", "REPLYX", "OFF"))).toBe(null);
  expect(mode("CLIENT ID\r\n")).toBe(null);
  expect(mode(encodeCommand("CLIENT"))).toBe(null);
});

test("CLIENT still pins for life (its other subcommands change connection state)", () => {
  expect(respRule("CLIENT")).toBe(RULE_PIN_LIFE);
});

describe("mayHaveRule (the fast pre-check before reading a command name)", () => {
  const frame = (...args: string[]) => Buffer.from(`*${args.length}\r\n${args.map((a) => `$${a.length}\r\n${a}\r\n`).join("")}`);
  const RULED = ["MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH", "BLPOP", "BRPOPLPUSH", "XREADGROUP", "WAIT", "SELECT", "AUTH",
    "HELLO", "CLIENT", "RESET", "READONLY", "READWRITE", "ASKING", "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "MONITOR", "QUIT",
    "SYNC", "PSYNC", "REPLCONF"];

  test.each(RULED)("%s (any case) is never skipped", (name) => {
    for (const n of [name, name.toLowerCase()]) {
      const f = frame(n, "arg");
      expect(mayHaveRule(f, 0, f.byteLength)).toBe(true);
      expect(respRule(respCommandName(f, 0, f.byteLength))).not.toBe(RULE_NONE);
    }
  });

  test.each(["GET", "SET", "INCR", "DEL", "HGETALL", "LPUSH", "PUBLISH"])("%s is recognised as rule-free from the header", (name) => {
    const f = frame(name, "k", "v");
    expect(mayHaveRule(f, 0, f.byteLength)).toBe(false);
    expect(respRule(respCommandName(f, 0, f.byteLength))).toBe(RULE_NONE);
  });

  test("inline commands and frames inside a larger buffer are looked at properly", () => {
    const inline = Buffer.from("MULTI\r\n");
    expect(mayHaveRule(inline, 0, inline.byteLength)).toBe(true);
    const two = Buffer.concat([frame("GET", "a"), frame("MULTI")]);
    const first = frame("GET", "a").byteLength;
    expect(mayHaveRule(two, 0, first)).toBe(false);
    expect(mayHaveRule(two, first, two.byteLength)).toBe(true);
  });
});

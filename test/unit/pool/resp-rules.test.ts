import { expect, test } from "bun:test";
import { RULE_PIN_LIFE, clientReplyMode, respRule } from "../../../src/pool/resp-rules.ts";
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

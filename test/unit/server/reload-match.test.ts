import { expect, test } from "bun:test";
import type { ListenerConfig } from "../../../src/config/schema.ts";
import { holdsAddress } from "../../../src/server/reload.ts";

const at = (host: string, port: number) => ({ listen: { host, port } }) as ListenerConfig;
const running = (host: string, configPort: number, boundPort: number | null) => ({
  config: at(host, configPort),
  server: boundPort === null ? null : { port: boundPort },
});

test.each([
  ["the same fixed address", running("127.0.0.1", 7000, 7000), at("127.0.0.1", 7000), true],
  ["another port", running("127.0.0.1", 7000, 7000), at("127.0.0.1", 7001), false],
  ["another host", running("127.0.0.1", 7000, 7000), at("0.0.0.0", 7000), false],
  ["port 0 again: keeps the port it got", running("127.0.0.1", 0, 41234), at("127.0.0.1", 0), true],
  ["port 0's real port", running("127.0.0.1", 0, 41234), at("127.0.0.1", 41234), true],
  ["another port than port 0's real one", running("127.0.0.1", 0, 41234), at("127.0.0.1", 41235), false],
  ["port 0 for a listener on a fixed port: picks anew", running("127.0.0.1", 7000, 7000), at("127.0.0.1", 0), false],
  ["a listener not bound yet", running("127.0.0.1", 0, null), at("127.0.0.1", 41234), false],
])("%s → %p", (_what, r, next, expected) => {
  expect(holdsAddress(r, next)).toBe(expected);
});

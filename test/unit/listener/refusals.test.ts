/**
 * The refused-clients log (src/listener/refusals.ts): every refusal is counted, but at most one line per
 * reason per second is written, and the line after a quiet spell says how many were not logged.
 */
import { expect, test } from "bun:test";
import { REFUSAL_LOG_INTERVAL_MS, RefusalLog } from "../../../src/listener/refusals.ts";
import { memoryLogger } from "../../helpers/proxy.ts";

function refusalLog() {
  const log = memoryLogger();
  return { log, refusals: new RefusalLog(log, () => "web") };
}

test("the first refusal is logged at once, with the client and the reason", () => {
  const { log, refusals } = refusalLog();
  refusals.refused("denied", "192.0.2.1", 1000);
  expect(log.lines).toMatchObject([
    { level: "warn", msg: "client refused", listener: "web", reason: "denied", client: "192.0.2.1", suppressed: 0 },
  ]);
});

test("within the interval refusals are only counted; the next line after it says how many were suppressed", () => {
  const { log, refusals } = refusalLog();
  refusals.refused("denied", "192.0.2.1", 0);
  for (let i = 0; i < 50; i++) refusals.refused("denied", `192.0.2.${i + 2}`, 10 + i);
  expect(log.lines).toHaveLength(1);
  refusals.refused("denied", "192.0.2.99", REFUSAL_LOG_INTERVAL_MS);
  expect(log.lines).toHaveLength(2);
  expect(log.lines[1]).toMatchObject({ msg: "client refused", client: "192.0.2.99", suppressed: 50 });
});

test("each reason has its own interval", () => {
  const { log, refusals } = refusalLog();
  refusals.refused("denied", "192.0.2.1", 0);
  refusals.refused("maxConnections", "192.0.2.1", 1);
  refusals.refused("perClient", "192.0.2.1", 2);
  refusals.refused("denied", "192.0.2.1", 3);
  expect(log.lines.map((l) => l.reason)).toEqual(["denied", "maxConnections", "perClient"]);
});

test("the sweep writes a suppressed count once the interval is over, even if no refusal follows", () => {
  const { log, refusals } = refusalLog();
  refusals.refused("perClient", "198.51.100.7", 0);
  refusals.refused("perClient", "198.51.100.7", 5);
  refusals.refused("perClient", "198.51.100.8", 6);
  refusals.sweep(REFUSAL_LOG_INTERVAL_MS - 1);
  expect(log.lines).toHaveLength(1);
  refusals.sweep(REFUSAL_LOG_INTERVAL_MS);
  expect(log.lines[1]).toMatchObject({
    msg: "clients refused (suppressed since the last line)",
    reason: "perClient",
    client: "198.51.100.8",
    suppressed: 2,
  });
  // Nothing left to say: the sweep stays quiet.
  refusals.sweep(10 * REFUSAL_LOG_INTERVAL_MS);
  expect(log.lines).toHaveLength(2);
});

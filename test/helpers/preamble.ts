/**
 * testPreamble: a preamble for tests of the preamble stage (src/listener/preamble.ts), shaped like a
 * small PROXY header: the magic "WRN1", one length byte, then that many bytes of "ADDRESS:PORT" (the
 * client address to admit the client as, or empty for the socket's own). It holds every byte it reads
 * until the header is complete, then hands the rest over.
 */
import type { Preamble, PreambleParser, PreambleResult } from "../../src/index.ts";

const MAGIC = Buffer.from("WRN1");

export function testHeader(client = ""): Buffer {
  return Buffer.concat([MAGIC, Buffer.from([client.length]), Buffer.from(client, "latin1")]);
}

export function testPreamble(timeoutMs = 1000): Preamble {
  return {
    timeoutMs,
    start(): PreambleParser {
      let held = Buffer.alloc(0);
      return {
        feed(chunk): PreambleResult {
          held = Buffer.concat([held, chunk]);
          const known = Math.min(held.length, MAGIC.length);
          if (!held.subarray(0, known).equals(MAGIC.subarray(0, known)))
            return { kind: "failed", code: "MALFORMED_REQUEST", reason: "bad magic" };
          if (held.length < MAGIC.length + 1) return { kind: "more" };
          const n = held[MAGIC.length]!;
          const end = MAGIC.length + 1 + n;
          if (held.length < end) return { kind: "more" };
          const text = held.subarray(MAGIC.length + 1, end).toString("latin1");
          const colon = text.lastIndexOf(":");
          const client = text === "" ? null : { address: text.slice(0, colon), port: Number(text.slice(colon + 1)) };
          return { kind: "done", rest: held.length > end ? held.subarray(end) : null, client };
        },
      };
    },
  };
}

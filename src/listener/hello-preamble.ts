import type { ClientHelloConfig } from "../config/schema.ts";
import { CH_MALFORMED, CH_NEED_MORE, CH_NOT_TLS, CH_OK, CH_TOO_LARGE, ClientHelloReader } from "../edge/client-hello.ts";
import type { EndCode } from "../errors.ts";
import { MORE, type Preamble, type PreambleParser, type PreambleResult } from "./preamble.ts";

/**
 * helloPreamble reads each client's TLS ClientHello for SNI routing. Unlike a PROXY header, the hello is
 * part of the stream: every byte read here is handed on as the mode's first bytes, untouched, so the
 * backend completes the handshake with the client as if warren were not there.
 */
export function helloPreamble(cfg: ClientHelloConfig): Preamble {
  return {
    timeoutMs: cfg.timeoutMs,
    start: () => new HelloPreamble(new ClientHelloReader(cfg.maxBytes)),
  };
}

/** HelloPreamble turns the reader's status numbers into the preamble stage's results. */
export class HelloPreamble implements PreambleParser {
  readonly timeoutCode: EndCode = "CLIENT_HELLO_TIMEOUT";

  constructor(private readonly reader: ClientHelloReader) {}

  feed(chunk: Uint8Array): PreambleResult {
    const h = this.reader;
    const r = h.feed(chunk);
    if (r === CH_NEED_MORE) return MORE;
    // Not TLS: no name to route by, so the default route (if there is one) gets the bytes as they are.
    if (r === CH_OK || r === CH_NOT_TLS)
      return { kind: "done", rest: h.held() ?? chunk, client: null, serverName: h.serverName, tls: r === CH_OK };
    if (r === CH_TOO_LARGE) return { kind: "failed", code: "CLIENT_HELLO_TOO_LARGE", reason: h.reason };
    r satisfies typeof CH_MALFORMED; // the one status left: the type checker says so if another is added
    return { kind: "failed", code: "CLIENT_HELLO_MALFORMED", reason: h.reason };
  }
}

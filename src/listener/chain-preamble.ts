import type { EndCode } from "../errors.ts";
import { MORE, type Preamble, type PreambleDone, type PreambleParser, type PreambleResult } from "./preamble.ts";

/**
 * chainPreamble runs two preamble stages in turn: a PROXY header, then the ClientHello that follows it.
 * The second stage reads the bytes after the first's; what each learned is merged (the client address
 * from the header, the server name from the hello). The timeout is the two stages' together, counted
 * from accept, and a connection that times out is counted under the stage it was in.
 */
export function chainPreamble(first: Preamble, second: Preamble): Preamble {
  return {
    timeoutMs: first.timeoutMs + second.timeoutMs,
    start(peer) {
      const a = first.start(peer);
      if ("kind" in a && a.kind === "failed") return a;
      const b = second.start(peer);
      if ("kind" in b) {
        if (b.kind === "failed") return b;
        return "kind" in a ? merge(a, b) : new Chain(a, b);
      }
      return "kind" in a ? new Chain(null, b, a) : new Chain(a, b);
    },
  };
}

function merge(a: PreambleDone, b: PreambleDone): PreambleDone {
  return {
    ...a,
    ...b,
    client: b.client ?? a.client,
    destination: b.destination ?? a.destination ?? null,
    authority: b.authority ?? a.authority ?? null,
    header: b.header ?? a.header ?? null,
  };
}

/** Chain is one connection's two parsers: `first` until it is done (null once it is), then `second`. */
class Chain implements PreambleParser {
  constructor(
    private first: PreambleParser | null,
    private readonly second: PreambleParser | PreambleDone,
    private told: PreambleDone | null = null,
  ) {}

  get timeoutCode(): EndCode | undefined {
    return this.first !== null ? this.first.timeoutCode : "feed" in this.second ? this.second.timeoutCode : undefined;
  }

  feed(chunk: Uint8Array): PreambleResult {
    if (this.first !== null) {
      const r = this.first.feed(chunk);
      if (r.kind !== "done") return r;
      this.first = null;
      this.told = r;
      if (!("feed" in this.second)) return merge(r, this.second);
      if (r.rest === null) return MORE;
      chunk = r.rest;
    }
    const second = this.second as PreambleParser;
    const r = second.feed(chunk);
    if (r.kind !== "done") return r;
    return merge(this.told!, r);
  }
}

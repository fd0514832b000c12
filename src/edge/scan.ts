import type { ProxyAccept, ProxyFailure, ProxyHeader } from "./proxy-header.ts";

/** A scanner's verdicts besides a header length (≥ 0): more bytes are needed, or the header is invalid. */
export const PP_NEED_MORE = -1;
export const PP_FAILED = -2;

/**
 * ScanSink is where the v1 and v2 scanners put what they found: `done` records the header and returns
 * its length, `fail` records why and returns PP_FAILED, so a scanner ends with `return sink.…(…)`.
 */
export interface ScanSink {
  readonly accept: ProxyAccept;
  readonly maxV2Bytes: number;
  done(header: ProxyHeader): number;
  fail(code: ProxyFailure, reason: string): number;
}

import type { Socket, SocketHandler } from "bun";
import type { BackendAddress } from "../balance/backend.ts";
import type { ActiveHealthConfig } from "../config/schema.ts";
import { isIP } from "node:net";

/** ProbeResult: how long a passing probe took, or why it failed, in words for the log. */
export type ProbeResult = { readonly ok: true; readonly ms: number } | { readonly ok: false; readonly reason: string };

/**
 * ProbeTls: probes of a group with backendTls complete a TLS handshake (verified as the group's
 * connects are) before they send or expect anything: a backend whose certificate fails is down.
 */
export interface ProbeTls {
  /** Bun.connect `tls` options: ca, cert, key, rejectUnauthorized. */
  readonly options: Readonly<Record<string, unknown>>;
  /** The SNI and name to check; null: the backend's host when it is a name. */
  readonly serverName: string | null;
  readonly verify: boolean;
}

/** Bytes of the reply kept to quote in a mismatch reason. */
const SAMPLE_BYTES = 32;

const encoder = new TextEncoder();

/**
 * Probe is the state of one health probe; the socket's `data` points here so
 * the handlers below are declared once, with no closure per probe.
 */
class Probe {
  socket: Socket<Probe> | null = null;
  done = false;
  /** Bytes of `send` still to write after a short write. */
  unsent: Uint8Array | null;
  /** Bytes of `expect` matched so far. */
  matched = 0;
  readonly sample = new Uint8Array(SAMPLE_BYTES + 1); // one more, to know the quote is cut
  sampled = 0;
  timer: ReturnType<typeof setTimeout> | null = null;
  /** A PROXY header to write in plaintext, then upgradeTLS (a group with both sendProxy and backendTls), or null. */
  upgrade: { readonly prefix: Uint8Array; readonly tls: Record<string, unknown> } | null = null;
  readonly startedAt = performance.now();

  constructor(
    readonly send: Uint8Array | null,
    readonly expect: Uint8Array | null,
    readonly timeoutMs: number,
    readonly resolve: (r: ProbeResult) => void,
    /** Whether a TLS probe must see a verified certificate. */
    readonly verify = false,
  ) {
    this.unsent = send;
  }
}

/**
 * probe checks one backend: connect, write `prefix` (a PROXY header, for backends that expect one on
 * every connection) and `cfg.send` if set, then read until
 * the reply starts with `cfg.expect` (or provably does not). It never throws or
 * rejects, resolves exactly once within `cfg.timeoutMs` (plus a timer tick),
 * and leaves no socket or timer behind: a connect that opens after the timeout
 * is terminated on open, and a late connect error is ignored.
 */
export function probe(
  address: BackendAddress,
  cfg: ActiveHealthConfig,
  prefix: Uint8Array | null = null,
  tls: ProbeTls | null = null,
): Promise<ProbeResult> {
  return new Promise<ProbeResult>((resolve) => {
    const own = cfg.send === null || cfg.send === "" ? null : encoder.encode(cfg.send);
    // With TLS the prefix (a PROXY header) goes in plaintext before the handshake, and `send` inside it.
    const plainPrefix = tls !== null && prefix !== null ? prefix : null;
    // One write for both, as the spec asks a header to be sent at once.
    const send = prefix === null || plainPrefix !== null ? own : own === null ? prefix : Buffer.concat([prefix, own]);
    const expect = cfg.expect === null || cfg.expect === "" ? null : encoder.encode(cfg.expect);
    const p = new Probe(send, expect, cfg.timeoutMs, resolve, tls?.verify ?? false);
    if (plainPrefix !== null) p.upgrade = { prefix: plainPrefix, tls: tlsOptions(tls!, address) };
    // Bun has no connect timeout: our own timer fails the probe and marks it done.
    p.timer = setTimeout(onProbeTimeout, cfg.timeoutMs, p);
    const failed = (err: unknown): void => finish(p, { ok: false, reason: `connect failed (${describe(err)})` });
    try {
      // connectError normally reports the failure first; this catch is the backstop (and a no-op then).
      const socket = plainPrefix !== null ? probeUpgradeHandlers : tls === null ? probeHandlers : probeTlsHandlers;
      const secure = tls === null || plainPrefix !== null ? {} : { tls: tlsOptions(tls, address) };
      const connecting =
        address.unix !== undefined
          ? Bun.connect<Probe>({ unix: address.unix, data: p, socket, ...secure })
          : Bun.connect<Probe>({ hostname: address.host, port: address.port, data: p, socket, ...secure });
      connecting.catch(failed);
    } catch (err) {
      failed(err);
    }
  });
}

function finish(p: Probe, result: ProbeResult): void {
  if (p.done) return;
  p.done = true;
  if (p.timer !== null) clearTimeout(p.timer);
  p.timer = null;
  const s = p.socket;
  p.socket = null;
  if (s !== null) s.end();
  p.resolve(result);
}

function pass(p: Probe): void {
  finish(p, { ok: true, ms: Math.round((performance.now() - p.startedAt) * 10) / 10 });
}

function onProbeTimeout(p: Probe): void {
  p.timer = null;
  const phase = p.socket === null ? "connecting" : p.unsent !== null ? "sending" : "waiting for reply";
  finish(p, { ok: false, reason: `timeout after ${p.timeoutMs} ms (${phase})` });
}

function onProbeOpen(s: Socket<Probe>): void {
  const p = s.data;
  if (p.done) {
    s.terminate(); // opened after the timeout gave up on it
    return;
  }
  p.socket = s;
  writeUnsent(p, s);
}

/** writeUnsent writes what is left of `send`; once it is all out, a probe without `expect` has passed. */
function writeUnsent(p: Probe, s: Socket<Probe>): void {
  const bytes = p.unsent;
  if (bytes !== null) {
    const n = s.write(bytes);
    if (n < 0) return finish(p, { ok: false, reason: "closed before send" });
    if (n < bytes.byteLength) {
      p.unsent = bytes.subarray(n); // the rest goes out on drain
      return;
    }
    p.unsent = null;
  }
  if (p.expect === null) pass(p);
}

function onProbeDrain(s: Socket<Probe>): void {
  const p = s.data;
  if (p.done || p.unsent === null) return; // drain also fires spuriously
  writeUnsent(p, s);
}

function onProbeData(s: Socket<Probe>, chunk: Buffer): void {
  const p = s.data;
  if (p.done) return;
  const take = Math.min(chunk.byteLength, p.sample.byteLength - p.sampled);
  if (take > 0) {
    p.sample.set(chunk.subarray(0, take), p.sampled);
    p.sampled += take;
  }
  const expect = p.expect;
  if (expect === null) return; // no expectation: the probe passed once `send` was written
  for (let i = 0; i < chunk.byteLength && p.matched < expect.byteLength; i++, p.matched++) {
    if (chunk[i] !== expect[p.matched]) {
      const got = quote(p.sample.subarray(0, p.sampled));
      return finish(p, { ok: false, reason: `reply did not match: expected prefix ${quote(expect)}, got ${got}` });
    }
  }
  if (p.matched === expect.byteLength) pass(p);
}

function onProbeEnd(s: Socket<Probe>): void {
  onProbeClose(s);
}

function onProbeClose(s: Socket<Probe>, err?: Error): void {
  const p = s.data;
  if (p.done) return;
  p.socket = null; // already closed: nothing to end
  if (err !== undefined) return finish(p, { ok: false, reason: `connection lost (${describe(err)})` });
  if (p.sampled === 0) return finish(p, { ok: false, reason: "closed before reply" });
  finish(p, { ok: false, reason: `closed after partial reply ${quote(p.sample.subarray(0, p.sampled))}` });
}

function onProbeConnectError(s: Socket<Probe>, err: Error): void {
  const p = s.data;
  if (p.done) return; // the timeout already failed this probe
  const code = describe(err);
  finish(p, { ok: false, reason: code === "ECONNREFUSED" ? "connect refused (ECONNREFUSED)" : `connect failed (${code})` });
}

function onProbeError(s: Socket<Probe>, err: Error): void {
  const p = s.data;
  if (p.done) return;
  finish(p, { ok: false, reason: `internal error in probe (${describe(err)})` });
}

/**
 * With a handshake handler Bun drops writes made in `open` (BUN-SOCKETS.md), so a TLS probe starts
 * sending from `handshake`, once the certificate checked out.
 */
function onProbeTlsOpen(s: Socket<Probe>): void {
  const p = s.data;
  if (p.done) s.terminate();
}

function onProbeHandshake(s: Socket<Probe>, success: boolean, err: Error | null): void {
  const p = s.data;
  if (p.done) return void s.terminate();
  p.socket = s;
  // Bun reports an unverified chain as success with authorized = false: the probe checks it itself.
  if (!success || (p.verify && !s.authorized))
    return finish(p, { ok: false, reason: `TLS handshake failed (${describe(err ?? new Error("not authorized"))})` });
  writeUnsent(p, s);
}

function tlsOptions(tls: ProbeTls, address: BackendAddress): Record<string, unknown> {
  const name = tls.serverName ?? (address.unix === undefined && isIP(address.host) === 0 ? address.host : undefined);
  return { ...tls.options, ...(name === undefined ? {} : { serverName: name }) };
}

/**
 * onProbeUpgradeOpen: the header in plaintext, then the same socket upgraded to TLS. The raw socket
 * gets no-op handlers first: after upgradeTLS it still receives the ciphertext as `data`.
 */
function onProbeUpgradeOpen(s: Socket<Probe>): void {
  const p = s.data;
  if (p.done || p.upgrade === null) return void s.terminate();
  s.reload({ socket: rawIgnored });
  if (s.write(p.upgrade.prefix) !== p.upgrade.prefix.byteLength) return finish(p, { ok: false, reason: "closed before the PROXY header" });
  const upgraded = (s as unknown as { upgradeTLS(o: unknown): [Socket<Probe>, Socket<Probe>] }).upgradeTLS({
    tls: p.upgrade.tls,
    socket: probeTlsHandlers,
    data: p,
  });
  p.socket = upgraded[1];
}

function ignore(): void {}
const rawIgnored = { data: ignore, drain: ignore, end: ignore, close: ignore, error: ignore } satisfies SocketHandler<Probe>;

const probeUpgradeHandlers = {
  open: onProbeUpgradeOpen,
  connectError: onProbeConnectError,
  close: onProbeClose,
  data: ignore,
  error: onProbeError,
} satisfies SocketHandler<Probe>;

const probeTlsHandlers = {
  open: onProbeTlsOpen,
  handshake: onProbeHandshake,
  data: onProbeData,
  drain: onProbeDrain,
  end: onProbeEnd,
  close: onProbeClose,
  connectError: onProbeConnectError,
  error: onProbeError,
} satisfies SocketHandler<Probe>;

const probeHandlers = {
  open: onProbeOpen,
  data: onProbeData,
  drain: onProbeDrain,
  end: onProbeEnd,
  close: onProbeClose,
  connectError: onProbeConnectError,
  error: onProbeError,
} satisfies SocketHandler<Probe>;

/** describe names an error by its code (ECONNREFUSED) or, lacking one, its message. */
function describe(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string" && code !== "") return code;
  return err instanceof Error ? err.message : String(err);
}

/** quote shows bytes as a JSON string, so CR/LF and control bytes are visible in the log. */
function quote(bytes: Uint8Array): string {
  const shown = bytes.byteLength > SAMPLE_BYTES ? bytes.subarray(0, SAMPLE_BYTES) : bytes;
  const text = JSON.stringify(Buffer.from(shown.buffer, shown.byteOffset, shown.byteLength).toString("utf8"));
  return shown === bytes ? text : `${text}…`;
}

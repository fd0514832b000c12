import type { Socket } from "bun";
import type { Backend } from "../balance/backend.ts";
import type { EndCode } from "../errors.ts";
import { noteConnectFailure, noteConnectSuccess } from "../health/passive.ts";
import { cancelConnect, startConnect } from "./connect.ts";
import { finishSession, flushToBackend } from "./lifecycle.ts";
import type { TunnelMode } from "./mode.ts";
import { queueProxyHeader } from "./send-proxy.ts";
import { moveTo, type Session } from "./session.ts";

/**
 * dispatch picks a backend for a new session and connects, or queues the session when every usable
 * backend is at its maxConnections or maxConnectingPerBackend, or ends it when none is usable.
 */
export function dispatch(s: Session): void {
  const listener = s.listener;
  const group = s.info.route ?? listener; // an SNI route's backends, or the listener's own
  const target = group.balancer.pick(s.clientAddress);
  if (target !== null) {
    connectBackend(s, target);
    return;
  }
  if (group.anyBackendFull()) {
    const mode = s.mode;
    if (mode.waiting.length < s.config.queueSize) {
      moveTo(s, "queued");
      s.phaseStartedAt = performance.now();
      mode.waiting.push(s);
      return;
    }
    listener.counters.rejectedQueueFull++;
    finishSession(s, "QUEUE_FULL", "internal");
    return;
  }
  listener.counters.rejectedNoBackend++;
  listener.noteNoBackend();
  finishSession(s, "NO_BACKEND", "internal");
}

function connectBackend(s: Session, target: Backend): void {
  moveTo(s, "connecting");
  s.target = target;
  target.active++;
  target.sessionsTotal++;
  s.attempts++;
  s.phaseStartedAt = performance.now();
  startConnect(s, target);
}

/**
 * onConnectOpen adopts the backend socket of the attempt the session waits for (connect.ts has given it
 * the backend handlers). `headerSent`: the PROXY header already went out in plaintext, before TLS.
 */
export function onConnectOpen(s: Session, backend: Socket<Session>, headerSent = false): void {
  backend.data = s;
  moveTo(s, "open");
  s.backend = backend;
  const cfg = s.config;
  if (!cfg.noDelay) backend.setNoDelay(false);
  if (cfg.keepAliveMs > 0) backend.setKeepAlive(true, cfg.keepAliveMs);
  if (cfg.sendProxy !== null && !headerSent) {
    queueProxyHeader(s);
    // The header goes out at once. A backend that reset on accept shows here as a failed write, and Bun
    // then reports a FIN rather than the reset (bun-sockets.test.ts): fail over as for a reset.
    if (s.bytesFromClient === 0 && s.toBackend.flushTo(backend) < 0) return retryOrFail(s, "ECONNRESET");
  }
  if (s.target !== null) {
    noteConnectSuccess(s.target);
    s.target.connectDuration.observe((performance.now() - s.phaseStartedAt) / 1000);
  }
  s.listener.noteBackendAvailable();
  flushToBackend(s, backend);
  s.mode.onSlotFreed(); // a connect slot (maxConnectingPerBackend) is free: queued clients may go
}

/**
 * retryOrFail handles a failed connect (refused, timed out, or reset before any byte moved): the
 * backend's failure is noted for passive health, and the session tries another backend while attempts
 * remain. Early client bytes are still in `toBackend`, so the backend that finally answers gets them
 * intact.
 */
export function retryOrFail(s: Session, code: EndCode): void {
  cancelConnect(s); // a timed-out connect is closed now, not when the kernel gives up
  const listener = s.listener;
  const failed = s.target;
  if (failed !== null) {
    noteConnectFailure(failed, s.config.health.passive, performance.now(), listener.log, { listener: s.config.name }, code);
  }
  if (failed !== null && s.attempts < s.config.connectAttempts) {
    const next = (s.info.route ?? listener).balancer.pick(s.clientAddress, (s.tried ??= []).concat(failed));
    if (next !== null) {
      s.tried.push(failed);
      failed.active--;
      s.target = null;
      s.backend = null;
      listener.counters.retries++;
      connectBackend(s, next);
      s.mode.onSlotFreed();
      return;
    }
  }
  finishSession(s, code, "backend");
}

/** admitWaiting moves queued sessions onto backends while slots are free. */
export function admitWaiting(mode: TunnelMode): void {
  const q = mode.waiting;
  while (q.length > 0) {
    const s = q.peek()!;
    if (s.state !== "queued") {
      q.shift();
      continue;
    }
    // Head-of-line: a queued session whose group is still full holds the queue, as without routes.
    const target = (s.info.route ?? mode.listener).balancer.pick(s.clientAddress);
    if (target === null) return;
    q.shift();
    connectBackend(s, target);
  }
}

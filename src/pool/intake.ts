import { INVALID, NEED_MORE } from "../framing/index.ts";
import { multibulkArgs, multibulkCount } from "../framing/resp-args.ts";
import { respCommandName } from "../framing/resp-command.ts";
import { encodeCommand, parseInlineFrame } from "../framing/resp-inline.ts";
import {
  F_BLOCKING,
  F_ENDS_PIN,
  F_ERROR_ENDS,
  F_PUSH,
  F_RETIRE,
  Outgoing,
  PIN_LIFE,
  PIN_TXN,
  PIN_WATCH,
  type PoolClient,
  localEntry,
  moveClient,
} from "./client.ts";
import {
  LOCAL_AUTH,
  LOCAL_HELLO,
  LOCAL_QUIT,
  LOCAL_RESET,
  R_BLOCKING,
  R_DISCARD,
  R_EXEC,
  R_LOCAL,
  R_MULTI,
  R_NONE,
  R_PASS,
  R_PIN_LIFE,
  R_REFUSE,
  R_RETIRE,
  R_UNSUB,
  R_UNWATCH,
  R_WATCH,
  classify,
  mayHaveRule,
  needsArgs,
} from "./commands.ts";
import { NOAUTH, OK, answerLocal, errorBytes, warrenError } from "./local-commands.ts";
import { noteSegment, noteStreamed } from "./bulk-gc.ts";
import { closeClient, noteFailure } from "./pump.ts";
import { Ring } from "../util/ring.ts";

/*
 * Reading a pooled client's requests. A request is framed exactly as Redis frames it (the request
 * scanner) and what warren forwards is what warren understood: inline commands are re-encoded as arrays
 * of bulk strings, so the command Redis runs is the command the rules below saw. Complete requests that
 * arrive back to back in one chunk are merged into one subarray (one write, no copy). A request larger
 * than highWaterBytes is streamed to a connection held for it until its last byte, so a client's
 * buffered bytes stay bounded whatever the request size.
 */

const EMPTY = new Uint8Array(0);

/** onRequestBytes frames one chunk of a client's bytes into its outbox. */
export function onRequestBytes(c: PoolClient, chunk: Uint8Array): void {
  const end = chunk.byteLength;
  const scanner = c.scanner;
  let i = 0;
  while (i < end && c.state === "open") {
    const stream = c.stream;
    const r = scanner.feed(chunk, i, end);
    if (r === INVALID) {
      malformed(c, scannerError(c));
      return;
    }
    if (stream !== null) {
      const stop = r === NEED_MORE ? end : r;
      stream.pieces!.push(i === 0 && stop === end ? chunk : chunk.subarray(i, stop));
      c.outboxBytes += stop - i;
      noteStreamed(stop - i);
      if (r === NEED_MORE) return;
      stream.complete = true;
      c.stream = null;
      i = r;
      continue;
    }
    if (r === NEED_MORE) {
      c.partial.append(chunk, i, end);
      noteSegment(end - i);
      if (c.partial.length > c.config.highWaterBytes) maybeStream(c);
      return;
    }
    if (c.partial.length === 0) addRequest(c, chunk, i, r);
    else {
      c.partial.append(chunk, i, r);
      const whole = c.partial.take();
      addRequest(c, whole, 0, whole.byteLength);
    }
    i = r;
  }
}

/** The reply to a request the scanner found INVALID: Redis's own error text (RESP), or a generic one. */
function scannerError(c: PoolClient): string {
  const text = (c.scanner as { error?: unknown }).error;
  return `ERR ${typeof text === "string" && text !== "" ? text : "warren: malformed request"}`;
}

/**
 * maybeStream turns the partial request into a streamed one once it outgrows highWaterBytes, when that
 * is safe: its command must be known (its header is complete) and be one warren forwards without
 * interpreting it. Inline commands are never streamed: warren re-encodes them, and Redis bounds them to
 * 64 KiB anyway. An unauthenticated client's request is bounded by Redis's own limits instead.
 */
function maybeStream(c: PoolClient): void {
  const runtime = c.runtime;
  if (!runtime.resp) return startStream(c);
  if ((c.scanner as { inline?: boolean }).inline === true || !c.authenticated) return;
  const head = c.partial.view();
  const name = respCommandName(head, 0, head.byteLength);
  if (name === null) return; // its header is not complete yet: keep reading (header lines are bounded)
  if (c.readRaw || (c.readPin & PIN_TXN) !== 0) return startStream(c);
  const rule = classify(name, null).rule;
  if (rule === R_NONE && !needsArgs(name)) return startStream(c);
  malformed(c, `ERR warren: ${name} request larger than highWaterBytes (${c.config.highWaterBytes}) is not supported in pooled mode`);
}

function startStream(c: PoolClient): void {
  const item = new Outgoing(false, EMPTY, c.readRaw ? 0 : 1, 0, c.readPin, false, true, c.proto);
  item.pieces = new Ring<Uint8Array>();
  const head = c.partial.take();
  item.pieces.push(head);
  item.complete = false;
  c.outboxBytes += head.byteLength;
  c.stream = item;
  push(c, item);
}

/** addRequest queues one complete request buf[start, end) with what it does. */
function addRequest(c: PoolClient, buf: Uint8Array, start: number, end: number): void {
  if (!c.runtime.resp) return pushRequest(c, buf, start, end, 1, 0, false, false);
  if ((c.scanner as { inline?: boolean }).inline === true) {
    const args = parseInlineFrame(buf, start, end);
    if (args === null) return malformed(c, "ERR Protocol error: unbalanced quotes in request");
    if (args.length === 0) return; // nothing to run (the scanner folds these, but be sure)
    const bytes = encodeCommand(args);
    return addCommand(c, bytes, 0, bytes.byteLength, upperName(args[0]!), args);
  }
  if (c.readRaw) return pushRequest(c, buf, start, end, 0, 0, false, false);
  // The common case — GET, SET, INCR… — is recognised from three bytes of the frame.
  if (c.authenticated && !mayHaveRule(buf, start, end)) return pushRequest(c, buf, start, end, 1, 0, false, false);
  const name = respCommandName(buf, start, end);
  const args = name !== null && (needsArgs(name) || wantsArgs(name)) ? multibulkArgs(buf, start, end) : null;
  addCommand(c, buf, start, end, name, args);
}

/** Commands whose handling reads their arguments (besides those classify needs). */
function wantsArgs(name: string): boolean {
  return name === "HELLO" || name === "AUTH";
}

function upperName(arg: Uint8Array): string | null {
  if (arg.byteLength === 0 || arg.byteLength > 64) return null;
  let s = "";
  for (const b of arg) s += String.fromCharCode(b >= 0x61 && b <= 0x7a ? b - 0x20 : b);
  return s;
}

/** argCount is the number of arguments after the command name. */
function argCount(buf: Uint8Array, start: number, end: number, args: readonly Uint8Array[] | null): number {
  return (args !== null ? args.length : multibulkCount(buf, start, end)) - 1;
}

/**
 * addCommand applies the command table (commands.ts) to one request, in order: the client's pins,
 * protocol and identity change as Redis would change its connection's, and the request is queued with
 * what its connection must do.
 */
function addCommand(c: PoolClient, buf: Uint8Array, start: number, end: number, name: string | null, args: Uint8Array[] | null): void {
  if (c.readRaw) return pushRequest(c, buf, start, end, 0, 0, false, false);
  let k = classify(name, args);
  // RESET takes no arguments: with any, Redis refuses it (one error reply) and resets nothing.
  if (k.local === LOCAL_RESET && argCount(buf, start, end, args) !== 0) k = classify(null, null);
  const local = k.rule === R_LOCAL ? k.local : 0;
  // With a clientPassword, only AUTH, HELLO, QUIT and RESET run before authentication (Redis's no-auth commands).
  if (!c.authenticated && local !== LOCAL_AUTH && local !== LOCAL_HELLO && local !== LOCAL_QUIT && local !== LOCAL_RESET) {
    return push(c, localEntry(NOAUTH));
  }
  // MULTI, EXEC, DISCARD and UNWATCH take no arguments: with any, Redis refuses them (one error reply)
  // and they start or end nothing. This must be exact: inside what warren takes for a transaction,
  // commands are forwarded as queued, so a MULTI Redis refused would let them run unseen.
  const noArgs = k.rule === R_MULTI || k.rule === R_EXEC || k.rule === R_DISCARD || k.rule === R_UNWATCH;
  const rule = noArgs && argCount(buf, start, end, args) !== 0 ? R_NONE : k.rule;
  if ((c.readPin & PIN_TXN) !== 0 && local !== LOCAL_QUIT && local !== LOCAL_RESET) return addInTransaction(c, buf, start, end, rule);
  switch (rule) {
    case R_NONE:
    case R_EXEC: // outside MULTI: an error reply, no effect (WATCH stays)
    case R_DISCARD:
      return pushRequest(c, buf, start, end, 1, 0, false, false);
    case R_MULTI:
      c.readPin |= PIN_TXN;
      return pushRequest(c, buf, start, end, 1, 0, false, false);
    case R_WATCH:
      c.readPin |= PIN_WATCH;
      return pushRequest(c, buf, start, end, 1, 0, false, false);
    case R_UNWATCH:
      c.readPin &= ~PIN_WATCH;
      return pushRequest(c, buf, start, end, 1, F_ENDS_PIN, false, false);
    case R_BLOCKING:
      return pushRequest(c, buf, start, end, 1, F_BLOCKING, false, true);
    case R_PIN_LIFE:
      c.readPin |= PIN_LIFE;
      return pushRequest(c, buf, start, end, 1, 0, false, false);
    case R_PASS:
      c.readPin |= PIN_LIFE;
      c.readRaw = true;
      return pushRequest(c, buf, start, end, 1, 0, true, false);
    case R_UNSUB:
      // Not subscribed (a subscribed client is pass-through): one reply per channel, one without channels.
      return pushRequest(c, buf, start, end, Math.max(1, argCount(buf, start, end, args)), F_ERROR_ENDS | F_PUSH, false, false);
    case R_RETIRE:
      return pushRequest(c, buf, start, end, 1, F_RETIRE, false, true);
    case R_REFUSE:
      noteFailure(c, "REFUSED_COMMAND");
      return push(c, localEntry(warrenError(k.refusal ?? "command not supported in pooled mode")));
    case R_LOCAL:
      return addLocal(c, local, args ?? []);
  }
}

/**
 * addInTransaction queues a command inside MULTI as-is: Redis queues it (+QUEUED) and runs it at EXEC.
 * A queued command warren would otherwise interpret (SELECT, SUBSCRIBE, HELLO, CLIENT SETNAME…) leaves
 * the connection in a state warren cannot follow, so the end of the transaction then turns it
 * pass-through for good — at DISCARD too: if Redis refused the MULTI (NOPERM, BUSY…), those commands ran
 * at once, and what they changed stays.
 */
function addInTransaction(c: PoolClient, buf: Uint8Array, start: number, end: number, rule: number): void {
  if (rule === R_EXEC || rule === R_DISCARD) {
    const dirty = c.readTxnDirty;
    c.readPin &= ~(PIN_TXN | PIN_WATCH);
    c.readTxnDirty = false;
    if (dirty) {
      c.readPin |= PIN_LIFE;
      c.readRaw = true;
    }
    return pushRequest(c, buf, start, end, 1, F_ENDS_PIN, dirty, false);
  }
  if (rule !== R_NONE && rule !== R_BLOCKING && rule !== R_MULTI && rule !== R_WATCH && rule !== R_UNWATCH) {
    c.readTxnDirty = true; // (blocking commands do not block inside MULTI; MULTI and WATCH are refused there)
  }
  pushRequest(c, buf, start, end, 1, 0, false, false);
}

function addLocal(c: PoolClient, kind: number, args: readonly Uint8Array[]): void {
  if (kind === LOCAL_QUIT) {
    // Answered here: Redis would close a shared connection. Nothing after it is read.
    moveClient(c, "draining");
    return push(c, localEntry(OK, true));
  }
  const answer = answerLocal(c, kind, args);
  const item = localEntry(answer.bytes);
  item.helloProto = answer.helloProto;
  item.resetsPins = answer.reset;
  if (answer.reset) {
    c.readPin = 0;
    c.readRaw = false;
    c.readTxnDirty = false;
  }
  setUnauthenticated(c);
  push(c, item);
}

/** Redis applies smaller request limits to a client that has not authenticated yet; so does the scanner. */
function setUnauthenticated(c: PoolClient): void {
  const scanner = c.scanner as { unauthenticated?: boolean };
  if (typeof scanner.unauthenticated === "boolean") scanner.unauthenticated = !c.authenticated;
}

/**
 * pushRequest queues request bytes buf[start, end) expecting `count` replies; back-to-back plain requests
 * in one chunk are merged into one subarray (one write, no copy).
 */
function pushRequest(
  c: PoolClient,
  buf: Uint8Array,
  start: number,
  end: number,
  count: number,
  flags: number,
  rawAfter: boolean,
  exclusive: boolean,
): void {
  const tail = c.tail;
  const pin = c.readPin;
  c.outboxBytes += end - start;
  if (
    flags === 0 &&
    !rawAfter &&
    !exclusive &&
    tail !== null &&
    c.outbox.length > 0 &&
    !tail.isLocal &&
    tail.pieces === null &&
    tail.flags === 0 &&
    !tail.rawAfter &&
    !tail.exclusive &&
    tail.pinAfter === pin &&
    tail.proto === c.proto &&
    tail.bytes.buffer === buf.buffer &&
    tail.bytes.byteOffset + tail.bytes.byteLength === buf.byteOffset + start
  ) {
    // Back-to-back requests in one chunk: one subarray, one write.
    tail.bytes = new Uint8Array(buf.buffer, tail.bytes.byteOffset, tail.bytes.byteLength + (end - start));
    tail.count += count;
    return;
  }
  const bytes = start === 0 && end === buf.byteLength ? buf : buf.subarray(start, end);
  push(c, new Outgoing(false, bytes, count, flags, pin, rawAfter, exclusive, c.proto));
}

function push(c: PoolClient, item: Outgoing): void {
  c.outbox.push(item);
  c.tail = item;
}

/**
 * malformed: a request Redis would refuse as a protocol error. The client gets the error (Redis's own
 * text) after the replies to its earlier requests, then is closed; nothing of the bad request is
 * forwarded. A request being streamed is abandoned, and its connection with it (clientGone).
 */
export function malformed(c: PoolClient, text: string): void {
  moveClient(c, "draining");
  c.partial.clear();
  noteFailure(c, "MALFORMED_REQUEST");
  c.endCode = "MALFORMED_REQUEST"; // counted in the listener's errors, like any other failed session
  c.endSide = "client";
  if (c.stream !== null) {
    // Part of the request may be on a connection already: that connection is unusable (clientGone closes
    // it), and so is the client.
    if (c.runtime.resp) c.socket.write(errorBytes(text));
    closeClient(c);
    return;
  }
  push(c, localEntry(c.runtime.resp ? errorBytes(text) : EMPTY, true));
}

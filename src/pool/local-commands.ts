import { timingSafeEqual } from "node:crypto";
import type { PoolClient } from "./client.ts";
import { LOCAL_AUTH, LOCAL_GETNAME, LOCAL_HELLO, LOCAL_REPLY_ON, LOCAL_RESET, LOCAL_SETINFO, LOCAL_SETNAME, upper } from "./commands.ts";
import { NULL, array, bulk, encodeValue, integer, map, type RespValue } from "./resp-values.ts";
import type { ServerInfo } from "./setup.ts";

/*
 * The commands warren answers itself instead of forwarding (see commands.ts): they change the state of
 * the client's own connection, which in a pool is not a connection of its own. Each is answered in
 * Redis's own words (Redis 7's replies and error texts) and changes the client's state at once, in
 * request order, as Redis would for the requests that follow.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const OK = encoder.encode("+OK\r\n");
export const RESET_REPLY = encoder.encode("+RESET\r\n");

/** errorBytes encodes an error reply. Latin-1, so a raw byte Redis quotes (`expected '$', got '%c'`) stays one byte. */
export function errorBytes(text: string): Uint8Array {
  return Buffer.from(`-${text}\r\n`, "latin1");
}

/** warrenError is the RESP error warren sends for its own failures. */
export function warrenError(reason: string): Uint8Array {
  return errorBytes(`ERR warren: ${reason}`);
}

export const NOAUTH = errorBytes("NOAUTH Authentication required.");
const WRONGPASS = errorBytes("WRONGPASS invalid username-password pair or user is disabled.");
const NO_PASSWORD_SET = errorBytes(
  "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
);
const HELLO_NOAUTH = errorBytes(
  "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
);
const BAD_NAME = errorBytes("ERR Client names cannot contain spaces, newlines or special characters.");

/** What a local command answers: the reply bytes now, or a HELLO reply made when it is sent (it needs the server's info). */
export interface LocalAnswer {
  readonly bytes: Uint8Array;
  /** A HELLO that succeeded: the reply is the server's info in this protocol, made when it is emitted. */
  readonly helloProto: number;
  /** RESET: the client's pinned connection (if any) is dropped when the reply is emitted. */
  readonly reset: boolean;
}

const answer = (bytes: Uint8Array): LocalAnswer => ({ bytes, helloProto: 0, reset: false });

/** answerLocal runs one local command for `c` and returns what to reply. */
export function answerLocal(c: PoolClient, kind: number, args: readonly Uint8Array[]): LocalAnswer {
  switch (kind) {
    case LOCAL_AUTH:
      return answer(auth(c, args));
    case LOCAL_HELLO:
      return hello(c, args);
    case LOCAL_RESET:
      c.proto = 2;
      c.name = "";
      c.libName = "";
      c.libVer = "";
      c.authenticated = c.runtime.config.clientPassword === null;
      return { bytes: RESET_REPLY, helloProto: 0, reset: true };
    case LOCAL_SETNAME: {
      if (args.length !== 3) return answer(wrongArgs("client|setname"));
      const name = decoder.decode(args[2]!);
      if (!validName(args[2]!)) return answer(BAD_NAME);
      c.name = name;
      return answer(OK);
    }
    case LOCAL_GETNAME:
      if (args.length !== 2) return answer(wrongArgs("client|getname"));
      return answer(encodeValue(c.name === "" ? NULL : bulk(c.name), c.proto));
    case LOCAL_SETINFO:
      return answer(setInfo(c, args));
    case LOCAL_REPLY_ON:
      return answer(OK);
  }
  return answer(warrenError("internal: unknown local command"));
}

function wrongArgs(command: string): Uint8Array {
  return errorBytes(`ERR wrong number of arguments for '${command}' command`);
}

/** Redis accepts client names and library info of printable ASCII without spaces ('!'..'~'). */
function validName(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b < 0x21 || b > 0x7e) return false;
  return true;
}

function setInfo(c: PoolClient, args: readonly Uint8Array[]): Uint8Array {
  if (args.length !== 4) return wrongArgs("client|setinfo");
  const attr = upper(args[2]!);
  if (attr !== "LIB-NAME" && attr !== "LIB-VER") return errorBytes(`ERR Unrecognized option '${decoder.decode(args[2]!)}'`);
  if (!validName(args[3]!)) return errorBytes(`ERR ${attr.toLowerCase()} cannot contain spaces, newlines or special characters.`);
  if (attr === "LIB-NAME") c.libName = decoder.decode(args[3]!);
  else c.libVer = decoder.decode(args[3]!);
  return OK;
}

/**
 * checkCredentials answers an AUTH: null when the user may go on, else the error. Without a
 * clientPassword warren behaves as a Redis whose default user has no password: the one-argument form is
 * refused with Redis's own hint, and `AUTH default <anything>` succeeds.
 */
function checkCredentials(c: PoolClient, username: Uint8Array | null, password: Uint8Array): Uint8Array | null {
  const expected = c.runtime.config.clientPassword;
  if (username !== null && decoder.decode(username) !== "default") return WRONGPASS;
  if (expected === null) return username === null ? NO_PASSWORD_SET : null;
  const want = encoder.encode(expected);
  // Constant time, so the reply time tells nothing about how much of the password matched.
  if (want.byteLength !== password.byteLength || !timingSafeEqual(want, password)) return WRONGPASS;
  return null;
}

function auth(c: PoolClient, args: readonly Uint8Array[]): Uint8Array {
  if (args.length !== 2 && args.length !== 3) return wrongArgs("auth");
  const error = checkCredentials(c, args.length === 3 ? args[1]! : null, args[args.length - 1]!);
  if (error !== null) return error;
  c.authenticated = true;
  return OK;
}

/** hello follows Redis 7's helloCommand: version, then AUTH/SETNAME options in order, then the auth check. */
function hello(c: PoolClient, args: readonly Uint8Array[]): LocalAnswer {
  let proto = 0;
  let next = 1;
  if (args.length >= 2) {
    const text = decoder.decode(args[1]!);
    if (!/^-?[0-9]+$/.test(text) || !Number.isSafeInteger(Number(text))) {
      return answer(errorBytes("ERR Protocol version is not an integer or out of range"));
    }
    proto = Number(text);
    next = 2;
    if (proto < 2 || proto > 3) return answer(errorBytes("NOPROTO unsupported protocol version"));
  }
  for (let j = next; j < args.length; j++) {
    const more = args.length - 1 - j;
    const opt = upper(args[j]!);
    if (opt === "AUTH" && more >= 2) {
      const error = checkCredentials(c, args[j + 1]!, args[j + 2]!);
      if (error !== null) return answer(error);
      c.authenticated = true;
      j += 2;
    } else if (opt === "SETNAME" && more >= 1) {
      if (!validName(args[j + 1]!)) return answer(BAD_NAME);
      c.name = decoder.decode(args[j + 1]!);
      j++;
    } else {
      return answer(errorBytes(`ERR Syntax error in HELLO option '${decoder.decode(args[j]!)}'`));
    }
  }
  if (!c.authenticated) return answer(HELLO_NOAUTH);
  if (proto !== 0 && proto !== c.proto && (c.readPin !== 0 || c.readRaw)) {
    // The pinned connection keeps its protocol for the client's state it holds (a transaction, a database…).
    return answer(warrenError("HELLO cannot change the protocol of a pinned connection"));
  }
  if (proto !== 0) c.proto = proto;
  return { bytes: new Uint8Array(0), helloProto: c.proto, reset: false };
}

/** helloReply is the reply to a client's HELLO, shaped like Redis's, with the backend's own facts. */
export function helloReply(c: PoolClient, proto: number, info: ServerInfo): Uint8Array {
  const fields: [RespValue, RespValue][] = [
    [bulk("server"), bulk(info.server)],
    [bulk("version"), bulk(info.version)],
    [bulk("proto"), integer(proto)],
    [bulk("id"), integer(c.id)],
    [bulk("mode"), bulk(info.mode)],
    [bulk("role"), bulk(info.role)],
    [bulk("modules"), info.modules ?? array([])],
  ];
  return encodeValue(map(fields), proto);
}

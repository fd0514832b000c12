/**
 * The TLS ClientHello a load generator sends first on each connection to a target with SNI routes
 * (warren-sni): built by hand, 517 bytes like a browser's padded hello, naming api.example.com and
 * offering h2. The echo backend behind the route echoes it back like any bytes (warren forwards it
 * untouched), so the load generator skips that many bytes of reply before counting echoes. Written once
 * per connection, right after connect; never per request.
 */
const u16 = (n: number): number[] => [(n >> 8) & 0xff, n & 0xff];
const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));

function build(serverName: string): Uint8Array {
  const name = ascii(serverName);
  const sni = [0, 0, ...u16(name.length + 5), ...u16(name.length + 3), 0, ...u16(name.length), ...name];
  const alpn = [0, 16, 0, 5, 0, 3, 2, ...ascii("h2")];
  const versions = [0, 43, 0, 3, 2, 3, 4];
  const fixed = [3, 3, ...new Array(32).fill(0x11), 32, ...new Array(32).fill(0x22), 0, 2, 0x13, 0x01, 1, 0];
  const before = fixed.length + 2 + sni.length + alpn.length + versions.length + 4;
  const pad = Math.max(0, 512 - 4 - before); // RFC 7685 padding up to a 512-byte handshake message
  const extensions = [...sni, ...alpn, ...versions, 0, 21, ...u16(pad), ...new Array(pad).fill(0)];
  const body = [...fixed, ...u16(extensions.length), ...extensions];
  const message = [1, 0, ...u16(body.length), ...body];
  return Uint8Array.from([22, 3, 1, ...u16(message.length), ...message]);
}

const HELLO = build("api.example.com");

export function clientHelloFor(on: boolean | undefined): Uint8Array | null {
  return on === true ? HELLO : null;
}

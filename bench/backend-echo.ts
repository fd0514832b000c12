/**
 * The bench's backend, run as its own process so it never shares an event
 * loop with the load generator or the proxy. Two kinds of listener:
 *
 * - echo: writes back every byte it receives (rr, pipelined, connect, idle-rss).
 * - sink: reads an 8-byte little-endian length, discards that many bytes, then
 *   answers with the same 8 bytes (bulk). One direction only: echoing 512 MiB
 *   back would measure both directions at once and halve what each gets.
 *
 * With a count N (default 1) it opens N echo and N sink listeners, so a proxy
 * can balance over N backends that all live in this one process: the
 * single-backend and the N-backend runs then load the machine identically,
 * and only the proxy's own work differs.
 *
 * It prints `{"echo":PORT,"sink":PORT,"echoes":[…],"sinks":[…]}` on stdout
 * when listening (echo and sink are the first of each list) and exits when
 * its stdin closes, so it cannot outlive the bench even if the bench is
 * killed with SIGKILL.
 *
 * Run: bun bench/backend-echo.ts [N]
 */
import type { Socket, SocketHandler } from "bun";

const HOST = "127.0.0.1";

/** EchoConn holds the unsent tail of a short write; the socket is paused while it is set. */
class EchoConn {
  tail: Uint8Array | null = null;
}

function onEchoOpen(socket: Socket<EchoConn>): void {
  socket.data = new EchoConn();
}

function onEchoData(socket: Socket<EchoConn>, chunk: Buffer): void {
  const c = socket.data;
  if (c.tail !== null) {
    // pause() stops `data` at once, so this is only a safety net: keep order, lose nothing.
    c.tail = Buffer.concat([c.tail, chunk]);
    return;
  }
  const written = socket.write(chunk);
  if (written === chunk.byteLength || written < 0) return;
  c.tail = chunk.subarray(Math.max(written, 0));
  socket.pause();
}

function onEchoDrain(socket: Socket<EchoConn>): void {
  const c = socket.data;
  const tail = c.tail;
  if (tail === null) return;
  const written = socket.write(tail);
  if (written < 0) return;
  if (written < tail.byteLength) {
    c.tail = tail.subarray(written);
    return;
  }
  c.tail = null;
  socket.resume();
}

const echoHandlers = {
  open: onEchoOpen,
  data: onEchoData,
  drain: onEchoDrain,
  error() {},
} satisfies SocketHandler<EchoConn>;

/** SinkConn counts payload bytes after the 8-byte length header. */
class SinkConn {
  header = new Uint8Array(8);
  headerBytes = 0;
  expected = -1;
  received = 0;
}

function onSinkOpen(socket: Socket<SinkConn>): void {
  socket.data = new SinkConn();
}

function onSinkData(socket: Socket<SinkConn>, chunk: Buffer): void {
  const c = socket.data;
  let payload = chunk.byteLength;
  if (c.expected < 0) {
    const take = Math.min(8 - c.headerBytes, chunk.byteLength);
    c.header.set(chunk.subarray(0, take), c.headerBytes);
    c.headerBytes += take;
    payload -= take;
    if (c.headerBytes < 8) return;
    c.expected = Number(new DataView(c.header.buffer).getBigUint64(0, true));
  }
  c.received += payload;
  if (c.received >= c.expected) {
    socket.write(c.header);
    c.expected = Infinity; // answer once
  }
}

const sinkHandlers = {
  open: onSinkOpen,
  data: onSinkData,
  error() {},
} satisfies SocketHandler<SinkConn>;

const count = Number(process.argv[2] ?? "1");
if (!Number.isInteger(count) || count < 1 || count > 256) {
  process.stderr.write(`backend-echo: expected a listener count 1..256, got "${process.argv[2]}"\n`);
  process.exit(2);
}
const echoes: number[] = [];
const sinks: number[] = [];
for (let i = 0; i < count; i++) {
  echoes.push(Bun.listen<EchoConn>({ hostname: HOST, port: 0, socket: echoHandlers, data: new EchoConn() }).port);
  sinks.push(Bun.listen<SinkConn>({ hostname: HOST, port: 0, socket: sinkHandlers, data: new SinkConn() }).port);
}
process.stdout.write(`${JSON.stringify({ echo: echoes[0], sink: sinks[0], echoes, sinks })}\n`);

// Exit when the parent goes away (its end of our stdin closes).
for await (const _ of Bun.stdin.stream()) {
  // nothing is sent on stdin; it is only a lifeline
}
process.exit(0);

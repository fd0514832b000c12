/**
 * blackholeBackend: a loopback port whose accept queue is full and never
 * drained, so a new connect's SYN is never answered — the only way to make a
 * loopback connect hang (Bun's listeners always accept). It uses python3 (on
 * every machine of this project's kind) to listen with backlog 0 and fill the
 * queue with one connection it never accepts. `release()` makes it accept and
 * echo from then on; the hung connects then complete on the client's SYN
 * retransmit (about 1 s later on Linux).
 */
import type { Subprocess } from "bun";

const SCRIPT = `
import socket, sys, threading, select
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0)); srv.listen(0)
filler = socket.create_connection(srv.getsockname())
filler2 = socket.socket(); filler2.setblocking(False)
try: filler2.connect(srv.getsockname())
except BlockingIOError: pass
print(srv.getsockname()[1], flush=True)
sys.stdin.readline()  # released
def echo(c):
    try:
        while True:
            d = c.recv(65536)
            if not d: break
            c.sendall(d)
    except OSError: pass
    c.close()
while True:
    c, _ = srv.accept()
    threading.Thread(target=echo, args=(c,), daemon=True).start()
`;

export interface Blackhole extends AsyncDisposable {
  readonly port: number;
  readonly address: string;
  release(): void;
}

export async function blackholeBackend(): Promise<Blackhole> {
  const proc: Subprocess<"pipe", "pipe", "inherit"> = Bun.spawn(["python3", "-c", SCRIPT], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit",
  });
  const reader = proc.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("blackhole backend exited before printing its port");
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  const port = Number(text.trim());
  return {
    port,
    address: `127.0.0.1:${port}`,
    release() {
      proc.stdin.write("go\n");
      proc.stdin.flush();
    },
    async [Symbol.asyncDispose]() {
      proc.kill();
      await proc.exited;
    },
  };
}

/**
 * synSentFrom counts this process's sockets in SYN_SENT towards `port` (iproute2's
 * ss). Only this process's: the black hole's own second filler connect sits in
 * SYN_SENT to the same port for as long as the kernel retries it (~130 s), so
 * `ss state syn-sent '( dport = :PORT )'` alone would always count one more.
 */
export function synSentFrom(port: number, pid = process.pid): number {
  const out = Bun.spawnSync(["ss", "-tanpH", "state", "syn-sent", `( dport = :${port} )`]).stdout.toString();
  return out.split("\n").filter((line) => line.includes(`pid=${pid},`)).length;
}

/** Failures on one side close the other promptly and are counted; the proxy keeps serving. */
import { describe, expect, test } from "bun:test";
import { closedPort, echoBackend, resetAfterBackend, sinkBackend } from "../helpers/backends.ts";
import { connectClient } from "../helpers/client.ts";
import { memoryLogger, portOf, proxyTo, waitFor } from "../helpers/proxy.ts";

describe("failures", () => {
  test("a refused backend: the client is closed promptly, the failure is logged once with its reason", async () => {
    const log = memoryLogger();
    const port = closedPort();
    await using proxy = await proxyTo([`127.0.0.1:${port}`], {}, log);
    const started = performance.now();
    const client = await connectClient(portOf(proxy));
    await client.closed;
    expect(performance.now() - started).toBeLessThan(1000);
    await waitFor(() => proxy.sessionCount === 0, "session end");
    expect(proxy.stats().errors).toEqual({ ECONNREFUSED: 1 });
    const failures = log.lines.filter((l) => l.level === "warn");
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ msg: "session failed", end: "ECONNREFUSED", side: "backend", backend: `127.0.0.1:${port}` });

    // …and everyone else is still served.
    using echo = echoBackend();
    await using healthy = await proxyTo([echo.address]);
    const other = await connectClient(portOf(healthy));
    await other.send("still fine");
    await other.waitFor(10);
    other.socket.end();
  });

  test("a backend reset mid-stream resets the client promptly and is counted", async () => {
    using backend = resetAfterBackend(1000);
    await using proxy = await proxyTo([backend.address]);
    const client = await connectClient(portOf(proxy));
    await client.send(new Uint8Array(4000));
    const code = await client.closed;
    expect(code).toBe("ECONNRESET");
    await waitFor(() => proxy.sessionCount === 0, "session end");
    expect(proxy.stats().errors).toEqual({ ECONNRESET: 1 });
    const ends = proxy.stats().listeners[0]!.ends;
    expect(ends).toEqual({ ECONNRESET: 1 });
  });

  test("a client reset closes the backend connection promptly", async () => {
    using backend = sinkBackend();
    await using proxy = await proxyTo([backend.address]);
    const client = await connectClient(portOf(proxy));
    await client.send("hello");
    await waitFor(() => backend.open === 1, "backend connection");
    client.socket.terminate();
    await waitFor(() => backend.open === 0, "backend connection to close");
    await waitFor(() => proxy.sessionCount === 0, "session end");
    expect(proxy.stats().errors).toEqual({ ECONNRESET: 1 });
  });

  test("a client that closes fully while the backend is still sending ends the session cleanly", async () => {
    using backend = echoBackend();
    await using proxy = await proxyTo([backend.address]);
    const client = await connectClient(portOf(proxy), { allowHalfOpen: false });
    await client.send("ping");
    await client.waitFor(4);
    client.socket.end();
    await waitFor(() => proxy.sessionCount === 0 && backend.open === 0, "session and backend to close");
    expect(proxy.stats().errors).toEqual({});
  });
});

/** PendingBytes: order, partial writes, coalescing and the closed-socket case. */
import { describe, expect, test } from "bun:test";
import type { Socket } from "bun";
import { PendingBytes } from "../../../src/util/pending.ts";

/** A stand-in sink that accepts up to `budget` bytes per flush; unit tests only (no network). */
function sink(budget: number) {
  const got: number[] = [];
  const calls: number[] = [];
  const s = {
    budget,
    closed: false,
    write(chunk: Uint8Array): number {
      if (s.closed) return -1;
      const n = Math.min(chunk.byteLength, s.budget);
      s.budget -= n;
      calls.push(chunk.byteLength);
      for (let i = 0; i < n; i++) got.push(chunk[i]!);
      return n;
    },
  };
  return { socket: s as unknown as Socket<unknown>, got, calls, state: s };
}

const bytes = (...v: number[]) => new Uint8Array(v);

describe("PendingBytes", () => {
  test("unshift puts a chunk before everything queued; with small chunks it all leaves in one write", () => {
    const q = new PendingBytes();
    for (let i = 0; i < 5; i++) q.push(bytes(10 + i)); // past the ring's first size, so unshift wraps
    q.unshift(bytes(1, 2));
    expect(q.bytes).toBe(7);
    const { socket, got, calls } = sink(100);
    expect(q.flushTo(socket)).toBe(0);
    expect(got).toEqual([1, 2, 10, 11, 12, 13, 14]);
    expect(calls).toEqual([7]);
    const empty = new PendingBytes();
    empty.unshift(bytes(9));
    expect(empty.flushTo(socket)).toBe(0);
    expect(got.at(-1)).toBe(9);
  });

  test("keeps order across short writes and reports what is left", () => {
    const q = new PendingBytes();
    q.push(bytes(1, 2, 3));
    q.push(bytes(4, 5));
    const { socket, got, state } = sink(2);
    expect(q.flushTo(socket)).toBe(3);
    state.budget = 10;
    expect(q.flushTo(socket)).toBe(0);
    expect(got).toEqual([1, 2, 3, 4, 5]);
    expect(q.bytes).toBe(0);
    expect(q.peakBytes).toBe(5);
  });

  test("merges small queued chunks into one write", () => {
    const q = new PendingBytes();
    for (let i = 0; i < 10; i++) q.push(bytes(i));
    const { socket, calls, got } = sink(100);
    expect(q.flushTo(socket)).toBe(0);
    expect(calls).toEqual([10]);
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test("writes large chunks one by one without copying them together", () => {
    const q = new PendingBytes();
    const big = new Uint8Array(100 * 1024);
    q.push(big);
    q.push(big);
    const { socket, calls } = sink(Infinity);
    q.flushTo(socket);
    expect(calls).toEqual([big.byteLength, big.byteLength]);
  });

  test("grows its ring past the initial size and wraps correctly", () => {
    const q = new PendingBytes();
    const { socket, got, state } = sink(0);
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 20; i++) q.push(new Uint8Array(70 * 1024).fill(round * 20 + i));
      state.budget = 70 * 1024 * 15;
      q.flushTo(socket);
    }
    state.budget = Infinity;
    expect(q.flushTo(socket)).toBe(0);
    const firstOfEach = Array.from({ length: 60 }, (_, k) => got[k * 70 * 1024]);
    expect(firstOfEach).toEqual(Array.from({ length: 60 }, (_, k) => k));
  });

  test("a closed socket clears the queue and returns -1", () => {
    const q = new PendingBytes();
    q.push(bytes(1));
    const { socket, state } = sink(10);
    state.closed = true;
    expect(q.flushTo(socket)).toBe(-1);
    expect(q.bytes).toBe(0);
    expect(q.chunks).toBe(0);
  });
});

/**
 * The pure parts of src/edge/tls-context.ts: which certificate a server name picks (exact, then a
 * one-label wildcard, else the default), and ALPN's wire format.
 */
import { expect, test } from "bun:test";
import { alpnWire, contextFor, type ServerTls } from "../../../src/edge/tls-context.ts";

const exact = { name: "exact" };
const wild = { name: "wild" };
const deeper = { name: "deeper" };
const t = {
  exact: new Map([["a.example.com", exact]]),
  wildcard: new Map([
    ["example.com", wild],
    ["b.example.com", deeper],
  ]),
} as unknown as ServerTls;

test("an exact name first, then the wildcard one label up, case-insensitive; else undefined (the default)", () => {
  expect(contextFor(t, "a.example.com")).toBe(exact);
  expect(contextFor(t, "A.Example.COM")).toBe(exact);
  expect(contextFor(t, "x.example.com")).toBe(wild);
  expect(contextFor(t, "x.b.example.com")).toBe(deeper);
  expect(contextFor(t, "x.y.example.com")).toBeUndefined(); // certificates match one label only
  expect(contextFor(t, "example.com")).toBeUndefined();
  expect(contextFor(t, "localhost")).toBeUndefined();
  expect(contextFor(t, "")).toBeUndefined();
});

test("ALPN's wire format: each protocol name prefixed by its length", () => {
  expect([...alpnWire(["h2", "http/1.1"])]).toEqual([2, 0x68, 0x32, 8, ...Buffer.from("http/1.1")]);
  expect(alpnWire([]).byteLength).toBe(0);
});

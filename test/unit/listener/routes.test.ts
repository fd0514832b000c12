/**
 * The SNI route table (src/listener/routes.ts): the exact name first, then the longest wildcard suffix,
 * then null (the default route); a wildcard needs at least one label in front of its suffix.
 */
import { expect, test } from "bun:test";
import { validateConfig } from "../../../src/config/validate.ts";
import { ConfigErrors } from "../../../src/errors.ts";
import { Route, RouteTable } from "../../../src/listener/routes.ts";
import { memoryLogger } from "../../helpers/proxy.ts";

function table(patterns: string[]): RouteTable {
  const config = validateConfig({
    listeners: [
      { listen: "127.0.0.1:0", backends: ["127.0.0.1:1"], routes: patterns.map((sni, i) => ({ sni, backends: [`127.0.0.1:${i + 10}`] })) },
    ],
  });
  if (config instanceof ConfigErrors) throw config;
  const l = config.listeners[0]!;
  return new RouteTable(l.routes.map((rc) => new Route(rc.sni, l, rc, memoryLogger(), null)));
}

test("exact, then the longest wildcard, then the default, whatever the order in the config", () => {
  const t = table(["*.example.com", "*.b.example.com", "a.b.example.com", "example.com"]);
  const picked = (name: string | null) => t.match(name)?.sni ?? "default";
  expect(
    [
      "a.b.example.com",
      "x.b.example.com",
      "y.x.b.example.com",
      "b.example.com",
      "z.example.com",
      "example.com",
      "other.org",
      "xexample.com",
      "com",
    ].map((n) => [n, picked(n)]),
  ).toEqual([
    ["a.b.example.com", "a.b.example.com"],
    ["x.b.example.com", "*.b.example.com"],
    ["y.x.b.example.com", "*.b.example.com"],
    ["b.example.com", "*.example.com"],
    ["z.example.com", "*.example.com"],
    ["example.com", "example.com"],
    ["other.org", "default"],
    ["xexample.com", "default"], // a suffix match must end at a label boundary
    ["com", "default"],
  ]);
  expect(picked(null)).toBe("default");
});

test("each route has its own backends and balancer", () => {
  const t = table(["a.example.com", "*.example.com"]);
  const [a, w] = t.routes;
  expect(a!.backends.map((b) => b.key)).toEqual(["127.0.0.1:10"]);
  expect(w!.backends.map((b) => b.key)).toEqual(["127.0.0.1:11"]);
  expect(a!.balancer.pick("192.0.2.1")?.key).toBe("127.0.0.1:10");
  expect(a!.anyBackendFull()).toBe(false);
});

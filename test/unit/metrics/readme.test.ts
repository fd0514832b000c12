/** The README's metric table and src/metrics/names.ts agree: every metric, its type and its labels, and nothing else. */
import { expect, test } from "bun:test";
import { METRICS } from "../../../src/metrics/names.ts";

const README = `${import.meta.dir}/../../../README.md`;

test("the README's Prometheus table lists every metric with its type and labels, and no metric names.ts lacks", async () => {
  const readme = await Bun.file(README).text();
  const section = readme.slice(
    readme.indexOf("## Prometheus metrics"),
    readme.indexOf("\n## ", readme.indexOf("## Prometheus metrics") + 1),
  );
  const rows = new Map<string, string>();
  for (const m of section.matchAll(/^\| `(warren_[a-z0-9_]+)` \| ([a-z]+) \| ([^|]+) \|/gm)) rows.set(m[1]!, `${m[2]} | ${m[3]!.trim()}`);
  const expected = new Map(Object.values(METRICS).map((m) => [m.name, `${m.type} | ${m.labels.length === 0 ? "—" : m.labels.join(", ")}`]));
  expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(expected));
});

#!/usr/bin/env bun
/**
 * check-imports fails when the folders of src/ import each other in a cycle (type-only imports
 * included: a cycle of types is a cycle of ideas). Each folder is one idea and dependencies point one
 * way, down (STYLE.md's layout); files directly in src/ (errors.ts, stats.ts, log.ts…) are leaves
 * everyone may use, and must import no folder themselves except where listed in ROOT_ALLOWED.
 * Run by the test command; prints every cycle with one import that makes each edge.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const SRC = resolve(import.meta.dir, "..", "src");
/** The entry points may import anything: they sit on top. */
const ROOT_ALLOWED = new Set(["main.ts", "index.ts"]);

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...files(path));
    else if (name.endsWith(".ts")) out.push(path);
  }
  return out;
}

/** unitOf names the folder of a file under src ("pool", "listener"), or the file itself for src's own files. */
function unitOf(path: string): string {
  const rel = relative(SRC, path);
  const parts = rel.split("/");
  return parts.length === 1 ? parts[0]! : parts[0]!;
}

const edges = new Map<string, Map<string, string>>(); // from unit → to unit → an example "file imports spec"
const problems: string[] = [];
for (const file of files(SRC)) {
  const from = unitOf(file);
  const text = readFileSync(file, "utf8");
  for (const m of text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"/gms)) {
    const spec = m[1]!;
    if (!spec.startsWith(".")) continue;
    const target = resolve(dirname(file), spec);
    if (!target.startsWith(SRC)) continue;
    const to = unitOf(target);
    if (to === from) continue;
    const fromIsRootFile = !relative(SRC, file).includes("/");
    if (fromIsRootFile && !ROOT_ALLOWED.has(from) && to.includes(".") === false) {
      problems.push(`src/${relative(SRC, file)} imports the folder ${to}/ (${spec}): files directly in src/ are leaves`);
    }
    const row = edges.get(from) ?? new Map<string, string>();
    if (!row.has(to)) row.set(to, `src/${relative(SRC, file)} imports ${spec}`);
    edges.set(from, row);
  }
}

// Find cycles with a depth-first search over units.
const cycles = new Set<string>();
function visit(unit: string, path: string[]): void {
  const at = path.indexOf(unit);
  if (at >= 0) {
    const cycle = path.slice(at);
    const start = cycle.indexOf([...cycle].sort()[0]!);
    const canonical = [...cycle.slice(start), ...cycle.slice(0, start)];
    cycles.add(canonical.join(" → "));
    return;
  }
  for (const next of edges.get(unit)?.keys() ?? []) visit(next, [...path, unit]);
}
for (const unit of edges.keys()) visit(unit, []);

for (const c of cycles) {
  const units = c.split(" → ");
  const why = units.map((u, i) => edges.get(u)?.get(units[(i + 1) % units.length]!) ?? "?");
  problems.push(`import cycle: ${c} → ${units[0]}\n    ${why.join("\n    ")}`);
}

if (problems.length > 0) {
  process.stderr.write(`check-imports: ${problems.length} problem(s)\n${problems.map((p) => `  ${p}`).join("\n")}\n`);
  process.exit(1);
}
process.stdout.write(`check-imports: ${edges.size} units, no cycles between folders\n`);

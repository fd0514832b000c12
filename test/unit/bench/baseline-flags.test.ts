import { expect, test } from "bun:test";
import { existsSync, lstatSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO, baselineFlag, checkoutBaseline } from "../../../bench/baseline.ts";
import { runCleanups } from "../../../bench/children.ts";
import { parseOptions } from "../../../bench/options.ts";
import { parsePoolOptions } from "../../../bench/pool/options.ts";

const git = (...args: string[]) =>
  Bun.spawnSync(["git", "-C", REPO, ...args])
    .stdout.toString()
    .trim();
const HEAD = git("rev-parse", "HEAD");

/** Both bench commands' parsers: the baseline flags are shared, so both must read them alike. */
const PARSERS = [
  ["bun run bench", (argv: string[]) => parseOptions(argv, "/results")],
  ["bun bench/pool.ts", (argv: string[]) => parsePoolOptions(argv, "/results")],
] as const;

type Parse = (argv: string[]) => { baseline: unknown } | string;

function parsed(parse: Parse, argv: string[]): { baseline: unknown } {
  const o = parse(argv);
  if (typeof o === "string") throw new Error(`expected valid flags:\n${o}`);
  return o;
}

function rejected(parse: Parse, argv: string[]): string {
  const o = parse(argv);
  if (typeof o !== "string") throw new Error("expected the flags to be rejected");
  return o.split("\n")[0]!;
}

for (const [command, parse] of PARSERS) {
  test(`${command}: no baseline unless asked`, () => {
    expect(parsed(parse, ["--quick"]).baseline).toBeNull();
  });

  test(`${command}: --baseline REV is resolved to its commit while the flags are parsed`, () => {
    expect(parsed(parse, ["--baseline", "HEAD"]).baseline).toEqual({
      kind: "revision",
      revision: "HEAD",
      commit: HEAD,
      subject: git("log", "-1", "--format=%s"),
    });
  });

  test(`${command}: --baseline-dir DIR takes an existing warren checkout`, () => {
    expect(parsed(parse, ["--baseline-dir", REPO]).baseline).toEqual({ kind: "dir", dir: REPO });
  });

  test(`${command}: an unknown revision, a directory that is no checkout, two baselines, no value: each names the flag`, () => {
    expect(rejected(parse, ["--baseline", "no-such-rev"])).toBe(
      `--baseline: unknown revision "no-such-rev": no commit of that name in ${REPO}; give a commit, branch, tag or HEAD~N`,
    );
    // A revision that looks like a flag is a revision git does not know, not an option to git.
    expect(rejected(parse, ["--baseline", "--all"])).toStartWith('--baseline: unknown revision "--all"');
    expect(rejected(parse, ["--baseline-dir", "/nonexistent"])).toBe(
      '--baseline-dir: "/nonexistent" is not a warren checkout (no /nonexistent/src/main.ts)',
    );
    expect(rejected(parse, ["--baseline", "HEAD", "--baseline-dir", REPO])).toBe(
      "--baseline-dir: a run has one baseline, and --baseline HEAD was given already",
    );
    expect(rejected(parse, ["--baseline"])).toBe("--baseline: expected a value");
  });
}

test("an unknown revision ends either bench with exit code 2 and the message, before anything starts", () => {
  for (const entry of ["run.ts", "pool.ts"]) {
    const r = Bun.spawnSync([process.execPath, join(REPO, "bench", entry), "--baseline", "no-such-rev"], {
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.toString().split("\n")[0]).toBe(
      `--baseline: unknown revision "no-such-rev": no commit of that name in ${REPO}; give a commit, branch, tag or HEAD~N`,
    );
    expect(r.stdout.toString()).toBe("");
  }
});

test("a revision is checked out as a detached worktree with this checkout's node_modules, and removed on the way out", () => {
  const temp = mkdtempSync(join(tmpdir(), "warren-baseline-test-"));
  try {
    const c = checkoutBaseline(baselineFlag("--baseline", "HEAD", null), temp)!;
    expect(c).toEqual({
      dir: join(temp, "baseline"),
      suffix: "@base",
      label: `HEAD = ${HEAD.slice(0, 7)} (${git("log", "-1", "--format=%s")})`,
    });
    expect(existsSync(join(c.dir, "src", "main.ts"))).toBe(true);
    expect(Bun.spawnSync(["git", "-C", c.dir, "rev-parse", "HEAD"]).stdout.toString().trim()).toBe(HEAD);
    if (existsSync(join(REPO, "node_modules"))) expect(lstatSync(join(c.dir, "node_modules")).isSymbolicLink()).toBe(true);
    expect(git("worktree", "list")).toContain(c.dir);
    runCleanups();
    expect(existsSync(c.dir)).toBe(false);
    expect(git("worktree", "list")).not.toContain(c.dir);
  } finally {
    runCleanups();
    rmSync(temp, { recursive: true, force: true });
  }
});

/**
 * `--baseline REV` and `--baseline-dir DIR`, shared by both bench commands:
 * run every warren target a second time from another checkout — the code
 * before a change — as `<target>@base`, in the same interleaved rounds, so
 * that current ÷ base can be paired round by round (bench/report-baseline.ts).
 * A revision is checked out with `git worktree add --detach` inside the
 * bench's temp dir and removed again on every way out.
 */
import { existsSync, realpathSync, symlinkSync } from "node:fs";
import { join, resolve } from "node:path";
import { onExit } from "./children.ts";
import { UsageError } from "./flags.ts";

/** This repository: the one whose revisions --baseline names, and whose src/main.ts the current targets run. */
export const REPO = resolve(import.meta.dir, "..");

/** Appended to a warren target's name for its run from the baseline: `warren@base`. */
export const BASE_SUFFIX = "@base";

/** Baseline is what --baseline or --baseline-dir named, checked while the flags are parsed. */
export type Baseline = { kind: "revision"; revision: string; commit: string; subject: string } | { kind: "dir"; dir: string };

/** Checkout is a copy of warren that targets run from: its src/main.ts, with it as the working directory. */
export interface Checkout {
  readonly dir: string;
  /** Appended to the names of the targets it runs: "" for the current code, BASE_SUFFIX for the baseline. */
  readonly suffix: string;
  /** What it is, in the header and the JSON: "this checkout", "HEAD~1 = 26e80d4 (subject)", a directory. */
  readonly label: string;
}

export const THIS_CHECKOUT: Checkout = { dir: REPO, suffix: "", label: "this checkout" };

export const BASELINE_USAGE = `  --baseline REV       also run every warren target from git revision REV of this repository (a commit,
                       branch, tag, HEAD~N; checked out detached in the temp dir) as <target>${BASE_SUFFIX}, in the
                       same rounds, and report current ÷ base paired per round (budget ±3%)
  --baseline-dir DIR   the same with an existing warren checkout DIR as the base`;

/**
 * baselineFlag reads `--baseline REV` or `--baseline-dir DIR`. A revision
 * git does not know, a directory that is no warren checkout, or a second
 * baseline is a UsageError naming the flag: exit code 2 before anything starts.
 */
export function baselineFlag(flag: "--baseline" | "--baseline-dir", value: string, previous: Baseline | null): Baseline {
  if (previous !== null) throw new UsageError(`${flag}: a run has one baseline, and ${describe(previous)} was given already`);
  if (flag === "--baseline-dir") {
    const dir = resolve(value);
    const main = join(dir, "src", "main.ts");
    if (!existsSync(main)) throw new UsageError(`${flag}: "${value}" is not a warren checkout (no ${main})`);
    return { kind: "dir", dir };
  }
  const commit = git(["rev-parse", "--verify", "--quiet", "--end-of-options", `${value}^{commit}`]);
  if (commit === null)
    throw new UsageError(`${flag}: unknown revision "${value}": no commit of that name in ${REPO}; give a commit, branch, tag or HEAD~N`);
  return { kind: "revision", revision: value, commit, subject: git(["log", "-1", "--format=%s", commit]) ?? "" };
}

function describe(b: Baseline): string {
  return b.kind === "revision" ? `--baseline ${b.revision}` : `--baseline-dir ${b.dir}`;
}

/**
 * checkoutBaseline makes the baseline runnable: a revision becomes a detached
 * worktree in `tempDir` (node_modules linked from this checkout), removed on
 * every way out; a directory is used as it is. Null without a baseline.
 */
export function checkoutBaseline(b: Baseline | null, tempDir: string): Checkout | null {
  if (b === null) return null;
  if (b.kind === "dir") return { dir: b.dir, suffix: BASE_SUFFIX, label: b.dir };
  const dir = join(tempDir, "baseline");
  // Registered before `add`: an add cut short by Ctrl-C leaves git's record of the worktree behind too.
  onExit(() => removeWorktree(dir));
  const added = Bun.spawnSync(["git", "-C", REPO, "worktree", "add", "--quiet", "--detach", dir, b.commit], {
    stdout: "pipe",
    stderr: "pipe",
  });
  if (added.exitCode !== 0) throw new Error(`git worktree add ${dir} ${b.commit} failed: ${added.stderr.toString().trim()}`);
  const modules = join(REPO, "node_modules");
  if (existsSync(modules) && !existsSync(join(dir, "node_modules"))) symlinkSync(realpathSync(modules), join(dir, "node_modules"));
  return { dir, suffix: BASE_SUFFIX, label: `${b.revision} = ${b.commit.slice(0, 7)} (${b.subject})` };
}

function removeWorktree(dir: string): void {
  if (!existsSync(dir)) return;
  const removed = Bun.spawnSync(["git", "-C", REPO, "worktree", "remove", "--force", dir], { stdout: "pipe", stderr: "pipe" });
  if (removed.exitCode !== 0) {
    process.stderr.write(
      `bench: could not remove the baseline worktree (${removed.stderr.toString().trim()}); run: git worktree remove --force ${dir}\n`,
    );
  }
}

/** withTwins lists every kind, each warren kind (one that can run `at` another checkout) followed by its baseline twin. */
export function withTwins<K extends { at?: (c: Checkout) => K }>(kinds: readonly K[], base: Checkout | null): K[] {
  if (base === null) return [...kinds];
  return kinds.flatMap((k) => (k.at === undefined ? [k] : [k, k.at(base)]));
}

function git(args: string[]): string | null {
  const r = Bun.spawnSync(["git", "-C", REPO, ...args], { stdout: "pipe", stderr: "ignore" });
  const out = r.stdout.toString().trim();
  return r.exitCode === 0 && out !== "" ? out : null;
}

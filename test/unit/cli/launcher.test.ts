import { expect, test } from "bun:test";
import { alive, launchers, watchLaunchers } from "../../../src/cli/launcher.ts";

test("outside a package script (no npm_lifecycle_event) nothing is watched, so warren may outlive its parent", () => {
  expect(launchers({})).toEqual([]);
});

test("inside one, the chain starts at the parent and ends at the first ancestor not run as a package script", () => {
  const chain = launchers({ npm_lifecycle_event: "test" });
  expect(chain.length).toBeGreaterThan(0);
  expect(chain[0]!.pid).toBe(process.ppid);
  for (const l of chain) expect(alive(l)).toBe(true);
});

test("a launcher that exited is gone, and so is a live process with another start time (a reused pid)", async () => {
  const child = Bun.spawn(["sleep", "30"]);
  const stat = (await Bun.file(`/proc/${child.pid}/stat`).text()).split(") ")[1]!.split(" ");
  const launcher = { pid: child.pid, command: "sleep", startTicks: stat[19]! };
  expect(alive(launcher)).toBe(true);
  expect(alive({ ...launcher, startTicks: "1" })).toBe(false);

  const gone: number[] = [];
  const stop = watchLaunchers([launcher], (l) => gone.push(l.pid), 10);
  child.kill("SIGKILL");
  await child.exited;
  const deadline = performance.now() + 2_000;
  while (gone.length === 0 && performance.now() < deadline) await Bun.sleep(10);
  stop();
  expect(gone).toEqual([child.pid]);
  expect(alive(launcher)).toBe(false);
});

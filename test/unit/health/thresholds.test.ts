/** The rise/fall rule: one blip never flaps a backend; a run of `fall` takes it down, `rise` brings it back. */
import { describe, expect, test } from "bun:test";
import { type CheckState, nextState } from "../../../src/health/thresholds.ts";

const START: CheckState = { up: true, successes: 0, failures: 0 };

/** trace feeds results written as "s" (success) and "f" (failure) and returns up (U) / down (D) after each. */
function trace(results: string, rise: number, fall: number, from: CheckState = START): string {
  let state = from;
  let out = "";
  for (const r of results) {
    state = nextState(state, r === "s", rise, fall);
    out += state.up ? "U" : "D";
  }
  return out;
}

describe("nextState", () => {
  test("an up backend goes down on exactly the `fall`-th failure in a row", () => {
    expect(trace("fff", 2, 3)).toBe("UUD");
    expect(trace("f", 2, 1)).toBe("D");
  });

  test("a success between failures resets the run: blips never take a backend down", () => {
    expect(trace("ffsffsffs", 2, 3)).toBe("UUUUUUUUU");
  });

  test("a down backend comes up on exactly the `rise`-th success in a row", () => {
    expect(trace("fffss", 2, 3)).toBe("UUDDU");
    expect(trace("fffsss", 3, 3)).toBe("UUDDDU");
  });

  test("a failure between successes resets the rise: a flapping backend stays down", () => {
    expect(trace("fffsfsfsfss", 2, 3)).toBe("UUDDDDDDDDU");
  });

  test("rise 1 / fall 1 follows every result", () => {
    expect(trace("fsfsf", 1, 1)).toBe("DUDUD");
  });

  test("runs are counted and reset as documented", () => {
    let s = nextState(START, false, 2, 3);
    expect(s).toEqual({ up: true, successes: 0, failures: 1 });
    s = nextState(s, true, 2, 3);
    expect(s).toEqual({ up: true, successes: 1, failures: 0 });
  });

  test("run lengths stop at the threshold, so a long outage never overflows", () => {
    let s = START;
    for (let i = 0; i < 1000; i++) s = nextState(s, false, 2, 3);
    expect(s).toEqual({ up: false, successes: 0, failures: 3 });
    for (let i = 0; i < 1000; i++) s = nextState(s, true, 2, 3);
    expect(s).toEqual({ up: true, successes: 2, failures: 0 });
  });

  test("a state from before a reload meets new thresholds sensibly", () => {
    // Down with 2 successes under rise 3; the reload lowers rise to 2: the next success brings it up.
    expect(nextState({ up: false, successes: 2, failures: 0 }, true, 2, 3).up).toBe(true);
    // Up with 2 failures; fall raised to 5: two more failures are not enough.
    expect(trace("ff", 2, 5, { up: true, successes: 0, failures: 2 })).toBe("UU");
  });
});

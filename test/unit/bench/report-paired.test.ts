/** The variant cost reports (bench/report-paired.ts): warren-pp or warren-w2 ÷ warren, paired per round, on rr CPU per request. */
import { expect, test } from "bun:test";
import { PP_MAX_COST, PROXY_PROTOCOL, SNI_ROUTING, variantGoals, variantText, WORKERS } from "../../../bench/report-paired.ts";

const proxyProtocolGoals = (r: Results) => variantGoals(r, PROXY_PROTOCOL);
const proxyProtocolText = (r: Results, w: typeof WORKLOADS) => variantText(r, w, PROXY_PROTOCOL);
import type { Cell, Results } from "../../../bench/report.ts";
import { WORKLOADS } from "../../../bench/workloads.ts";

function cell(rounds: number[], cpu: (number | null)[]): Cell {
  return { rounds, extras: { cpuUsPerOp: cpu }, errors: [] };
}

function results(off: (number | null)[], on: (number | null)[]): Results {
  return new Map([
    [
      "rr",
      new Map([
        ["warren", cell([1, 1, 1], off)],
        ["warren-pp", cell([1, 1, 1], on)],
      ]),
    ],
  ]);
}

test("the verdict is the median of the per-round CPU ratios, against the 2% budget", () => {
  expect(PP_MAX_COST).toBe(0.02);
  // Medians alone would say 12 vs 13 (+8%); paired per round the cost is +1%.
  const [within] = proxyProtocolGoals(results([10, 12, 20], [10.1, 12.12, 13]));
  expect(within!.met).toBe(true);
  expect(within!.detail).toContain("1.010×");
  const [over] = proxyProtocolGoals(results([10, 10, 10], [10.3, 10.4, 10.1]));
  expect(over!.met).toBe(false);
  expect(over!.detail).toContain("1.030×");
});

test("fewer than 3 paired rounds are said not to be conclusive; none is not measured; without both targets, nothing", () => {
  expect(proxyProtocolGoals(results([10, null, null], [10, 11, null]))[0]!.detail).toContain("not conclusive");
  expect(proxyProtocolGoals(results([null, null, null], [10, 11, 12]))[0]!.met).toBeNull();
  expect(proxyProtocolGoals(new Map([["rr", new Map([["warren", cell([1], [1])]])]]))).toEqual([]);
  expect(proxyProtocolText(new Map(), WORKLOADS)).toBe("");
});

test("the table names what was compared and prints every round's ratio", () => {
  const text = proxyProtocolText(results([10, 10, 10], [10.1, 9.9, 10.2]), WORKLOADS);
  expect(text).toContain("warren-pp (proxyProtocol on, one v2 header per connection) vs warren (off)");
  expect(text).toContain("1.010, 0.990, 1.020");
});

test("the workers variant is judged the same way against its own 5% budget", () => {
  const r: Results = new Map([
    [
      "rr",
      new Map([
        ["warren", cell([1, 1, 1], [10, 10, 10])],
        ["warren-w2", cell([1, 1, 1], [10.4, 10.45, 10.6])],
      ]),
    ],
  ]);
  const [goal] = variantGoals(r, WORKERS);
  expect(goal!.met).toBe(true);
  expect(goal!.detail).toContain("1.045×");
  expect(variantText(r, WORKLOADS, WORKERS)).toContain("warren-w2 ÷ warren");
});

test("the SNI routing variant is reported the same way, paired per round (not among the issues' goals)", () => {
  const r: Results = new Map([
    [
      "rr",
      new Map([
        ["warren", cell([1, 1, 1], [10, 10, 10])],
        ["warren-sni", cell([1, 1, 1], [10.1, 10.0, 10.2])],
      ]),
    ],
  ]);
  const text = variantText(r, WORKLOADS, SNI_ROUTING);
  expect(text).toContain("warren-sni ÷ warren");
  expect(text).toContain("1.010× (+1.0%)");
});

test("with 6 rounds or more the verdict carries the median's 95% interval, and says when it reaches past the budget", () => {
  const w = (cpu: number[]): Results =>
    new Map([
      [
        "rr",
        new Map([
          [
            "warren",
            cell(
              cpu.map(() => 1),
              cpu.map(() => 10),
            ),
          ],
          [
            "warren-w2",
            cell(
              cpu.map(() => 1),
              cpu,
            ),
          ],
        ]),
      ],
    ]);
  // Seven rounds: [min, max] covers the median with 98.4%; the worst round, +8%, is past the 5% budget.
  const [wide] = variantGoals(w([10.1, 10.2, 9.9, 10.8, 10.0, 9.8, 10.3]), WORKERS);
  expect(wide!.met).toBe(true);
  expect(wide!.detail).toContain("95% interval 0.980–1.080");
  expect(wide!.detail).toContain("reaches past the budget");
  const [tight] = variantGoals(w([10.1, 10.2, 9.9, 10.4, 10.0, 9.8, 10.3]), WORKERS);
  expect(tight!.detail).toContain("95% interval 0.980–1.040");
  expect(tight!.detail).not.toContain("reaches past");
  expect(variantText(w([10.1, 10.2, 9.9, 10.4, 10.0, 9.8, 10.3]), WORKLOADS, WORKERS)).toContain("0.980–1.040");
  // Three rounds: no interval.
  expect(variantGoals(w([10.1, 10.2, 9.9]), WORKERS)[0]!.detail).toContain("95% interval — (< 6 rounds)");
});

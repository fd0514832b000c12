import { describe, expect, test } from "bun:test";
import { Histogram } from "../../../src/metrics/histogram.ts";
import { METRICS } from "../../../src/metrics/names.ts";
import { CONTENT_TYPE, escapeHelp, escapeLabelValue, formatValue, labelPairs, TextWriter } from "../../../src/metrics/text.ts";
import { promtoolCheck } from "../../helpers/metrics-http.ts";

describe("escaping, as the text format 0.0.4 asks", () => {
  test.each([
    ["plain", "plain"],
    ["back\\slash", "back\\\\slash"],
    ['quo"te', 'quo\\"te'],
    ["new\nline", "new\\nline"],
    ['all \\ " \n', 'all \\\\ \\" \\n'],
    ["tab\tand ünïcode stay", "tab\tand ünïcode stay"],
  ])("label value %p → %p", (raw, escaped) => {
    expect(escapeLabelValue(raw)).toBe(escaped);
  });

  test("HELP text escapes backslash and newline, and leaves quotes", () => {
    expect(escapeHelp('a\\b\n"c"')).toBe('a\\\\b\\n"c"');
  });

  test('labelPairs joins name="value" pairs, escaping each value', () => {
    expect(labelPairs(["proxy", "server"], ['we"b', "10.0.0.1:80"])).toBe('proxy="we\\"b",server="10.0.0.1:80"');
  });

  test("values: integers and floats as written, the format's own spelling of NaN and infinities", () => {
    expect([0, 42, 0.25, 1e21, NaN, Infinity, -Infinity].map(formatValue)).toEqual(["0", "42", "0.25", "1e+21", "NaN", "+Inf", "-Inf"]);
  });

  test("the content type is 0.0.4's", () => {
    expect(CONTENT_TYPE).toBe("text/plain; version=0.0.4; charset=utf-8");
  });
});

describe("TextWriter", () => {
  test("a family is HELP, TYPE, then its samples; a histogram has cumulative buckets, +Inf = count, _sum and _count", () => {
    const w = new TextWriter();
    w.family(METRICS.frontendSessionsTotal);
    w.sample(METRICS.frontendSessionsTotal.name, 'proxy="a"', 3);
    const h = new Histogram([0.5, 1]);
    for (const v of [0.1, 0.7, 0.8, 3]) h.observe(v);
    w.family(METRICS.frontendSessionDuration);
    w.histogram(METRICS.frontendSessionDuration.name, 'proxy="a"', h.snapshot());
    w.family(METRICS.processOpenFds);
    w.sample(METRICS.processOpenFds.name, "", 7);
    expect(w.text().split("\n")).toEqual([
      "# HELP warren_frontend_sessions_total Clients admitted by the listener.",
      "# TYPE warren_frontend_sessions_total counter",
      'warren_frontend_sessions_total{proxy="a"} 3',
      "# HELP warren_frontend_session_duration_seconds How long sessions lasted, from admission to end.",
      "# TYPE warren_frontend_session_duration_seconds histogram",
      'warren_frontend_session_duration_seconds_bucket{proxy="a",le="0.5"} 1',
      'warren_frontend_session_duration_seconds_bucket{proxy="a",le="1"} 3',
      'warren_frontend_session_duration_seconds_bucket{proxy="a",le="+Inf"} 4',
      `warren_frontend_session_duration_seconds_sum{proxy="a"} ${0.1 + 0.7 + 0.8 + 3}`,
      'warren_frontend_session_duration_seconds_count{proxy="a"} 4',
      "# HELP warren_process_open_fds Open file descriptors of the process.",
      "# TYPE warren_process_open_fds gauge",
      "warren_process_open_fds 7",
      "",
    ]);
    expect(promtoolCheck(w.text())).toEqual({ exitCode: 0, output: "" });
  });

  test("promtool accepts label values with every character that needs escaping", () => {
    const w = new TextWriter();
    w.family(METRICS.frontendCurrentSessions);
    w.sample(METRICS.frontendCurrentSessions.name, labelPairs(["proxy"], ['a\\b"c\nd']), 1);
    expect(promtoolCheck(w.text())).toEqual({ exitCode: 0, output: "" });
  });

  test("promtool would catch a mistake: an unescaped quote in a label value is rejected", () => {
    const bad = '# HELP warren_x x\n# TYPE warren_x gauge\nwarren_x{proxy="a"b"} 1\n';
    expect(promtoolCheck(bad).exitCode).not.toBe(0);
  });
});

describe("names", () => {
  test("every metric is warren_-prefixed, snake_case, counters end in _total, and names are unique", () => {
    const names = Object.values(METRICS).map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    for (const m of Object.values(METRICS)) {
      expect(m.name).toMatch(/^warren_[a-z][a-z0-9_]*$/);
      if (m.type === "counter") expect(m.name).toEndWith("_total");
      else expect(m.name).not.toEndWith("_total");
      if (m.type === "histogram") expect(m.name).toEndWith("_seconds");
      expect(m.help).toMatch(/\.$/);
    }
  });
});

import type { HistogramStats } from "../stats.ts";
import type { MetricDef } from "./names.ts";

/** The content type of Prometheus's text exposition format 0.0.4. */
export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const LABEL_SPECIAL = /[\\"\n]/;

/** escapeLabelValue escapes a label value as the text format asks: `\` → `\\`, `"` → `\"`, newline → `\n`. */
export function escapeLabelValue(value: string): string {
  if (!LABEL_SPECIAL.test(value)) return value;
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** escapeHelp escapes HELP text: `\` → `\\`, newline → `\n` (quotes stay as they are there). */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** labelPairs renders `a="x",b="y"` (no braces) from names and values, escaping the values. */
export function labelPairs(names: readonly string[], values: readonly string[]): string {
  let out = "";
  for (let i = 0; i < names.length; i++) out += `${i === 0 ? "" : ","}${names[i]}="${escapeLabelValue(values[i] ?? "")}"`;
  return out;
}

/** formatValue writes a sample value: integers and floats as JavaScript prints them, and the format's NaN/+Inf/-Inf. */
export function formatValue(n: number): string {
  if (Number.isFinite(n)) return String(n);
  return Number.isNaN(n) ? "NaN" : n > 0 ? "+Inf" : "-Inf";
}

/**
 * TextWriter builds one exposition: each family's HELP and TYPE once, then its samples, which must
 * follow together. Label sets are passed already rendered (`labelPairs`), so a listener's or server's
 * labels are escaped once per scrape, not once per sample.
 */
export class TextWriter {
  private out = "";

  family(m: MetricDef): void {
    this.out += `# HELP ${m.name} ${escapeHelp(m.help)}\n# TYPE ${m.name} ${m.type}\n`;
  }

  /** sample writes `name{labels} value`; `labels` is "" for none. */
  sample(name: string, labels: string, value: number): void {
    this.out += labels === "" ? `${name} ${formatValue(value)}\n` : `${name}{${labels}} ${formatValue(value)}\n`;
  }

  /** histogram writes one histogram's cumulative `_bucket` series (with `le`), `_sum` and `_count`. */
  histogram(name: string, labels: string, h: HistogramStats): void {
    const sep = labels === "" ? "" : ",";
    let cumulative = 0;
    for (let i = 0; i < h.bounds.length; i++) {
      cumulative += h.counts[i] ?? 0;
      this.out += `${name}_bucket{${labels}${sep}le="${formatValue(h.bounds[i]!)}"} ${cumulative}\n`;
    }
    this.out += `${name}_bucket{${labels}${sep}le="+Inf"} ${h.count}\n`;
    this.sample(`${name}_sum`, labels, h.sum);
    this.sample(`${name}_count`, labels, h.count);
  }

  text(): string {
    return this.out;
  }
}

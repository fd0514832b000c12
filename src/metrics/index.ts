export { METRICS, SERVER_STATES, POOL_CONNECTION_STATES, DENIED_REASONS, type MetricDef, type MetricId, type MetricType } from "./names.ts";
export { Histogram, mergeHistogramStats, CONNECT_BUCKETS, SESSION_BUCKETS, POOL_WAIT_BUCKETS } from "./histogram.ts";
export { CONTENT_TYPE, escapeLabelValue, escapeHelp } from "./text.ts";
export { renderMetrics, renderSnapshot, type MetricsSnapshot, type RenderOptions } from "./render.ts";
export { sampleProcess, type ProcessSample } from "./process.ts";

import type { StatsView, SessionView } from "../admin/runtime.ts";
import { stateOf } from "../metrics/render.ts";
import { type CtlArgs, CTL_USAGE, parseCtlArgs } from "./args.ts";

/** How long one request may take: a health check must answer well within Docker's 3 s timeout. */
const REQUEST_TIMEOUT_MS = 2500;

interface Out {
  stdout(text: string): void;
  stderr(text: string): void;
  readonly isTty: boolean;
}

const PROCESS_OUT: Out = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  isTty: process.stdout.isTTY === true,
};

/**
 * runCtl is `warren ctl`: one request to a running warren's admin API, its answer printed for people
 * (on a terminal, or --human) or as the API's JSON (--json, or piped). Resolves with the exit code:
 * 0 done, 1 the request failed, 2 a usage error.
 */
export async function runCtl(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
  out: Out = PROCESS_OUT,
): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h") || argv.length === 0) {
    (argv.length === 0 ? out.stderr : out.stdout)(`${CTL_USAGE}\n`);
    return argv.length === 0 ? 2 : 0;
  }
  const args = parseCtlArgs(argv, env);
  if (typeof args === "string") {
    out.stderr(`warren ctl: ${args}\n`);
    return 2;
  }
  const human = args.format === "human" || (args.format === null && out.isTty);
  const { method, path } = requestOf(args);
  let res: Response;
  try {
    const headers: Record<string, string> = {};
    if (args.token !== null) headers.authorization = `Bearer ${args.token}`;
    if (method === "POST") headers["content-type"] = "application/json";
    res = await fetch(`${args.admin}${path}`, {
      method,
      headers,
      ...(method === "POST" ? { body: "{}" } : {}),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      redirect: "manual",
    });
  } catch (err) {
    const code = (err as { code?: string; name?: string }).code ?? (err as Error).name;
    out.stderr(`warren ctl: cannot reach ${args.admin}: ${code} (is warren running, with its admin server at this address? see --admin)\n`);
    return 1;
  }
  if (args.command === "health") {
    const ok = res.status === 200;
    await res.body?.cancel();
    if (human || args.format === null) out.stdout(ok ? "ok\n" : `unhealthy: HTTP ${res.status}\n`);
    else out.stdout(`${JSON.stringify({ healthy: ok, status: res.status })}\n`);
    return ok ? 0 : 1;
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    out.stderr(`warren ctl: ${args.admin}${path} answered HTTP ${res.status} with something that is not JSON: ${text.slice(0, 200)}\n`);
    return 1;
  }
  if (!res.ok) {
    const e = (body as { error?: { code?: string; message?: string; errors?: { message: string }[] } }).error;
    if (!human) out.stdout(`${JSON.stringify(body)}\n`);
    out.stderr(`warren ctl: ${e?.code ?? `HTTP ${res.status}`}: ${e?.message ?? text}\n`);
    return 1;
  }
  out.stdout(human ? humanOf(args, body) : `${JSON.stringify(body)}\n`);
  return 0;
}

function requestOf(a: CtlArgs): { method: "GET" | "POST"; path: string } {
  switch (a.command) {
    case "stats":
      return { method: "GET", path: "/api/v1/stats" };
    case "sessions": {
      const q = new URLSearchParams();
      if (a.listener !== null) q.set("listener", a.listener);
      if (a.limit !== null) q.set("limit", String(a.limit));
      if (a.sort !== null) q.set("sort", a.sort);
      const qs = q.toString();
      return { method: "GET", path: `/api/v1/sessions${qs === "" ? "" : `?${qs}`}` };
    }
    case "drain":
    case "enable":
    case "disable":
      return {
        method: "POST",
        path: `/api/v1/listeners/${encodeURIComponent(a.operands[0]!)}/backends/${encodeURIComponent(a.operands[1]!)}/${a.command}`,
      };
    case "reload":
      return { method: "POST", path: "/api/v1/reload" };
    case "health":
      return { method: "GET", path: "/healthz" };
  }
}

function humanOf(a: CtlArgs, body: unknown): string {
  switch (a.command) {
    case "stats":
      return statsText(body as StatsView);
    case "sessions":
      return sessionsText(body as { total: number; sessions: SessionView[] });
    case "reload":
      return `reloaded: ${(body as { listeners: string[] }).listeners.join(", ")}\n`;
    default: {
      const r = body as { listener: string; backend: string; adminState: string };
      return `${r.listener} ${r.backend}: ${a.command === "enable" ? "enabled" : a.command === "drain" ? "draining (no new sessions)" : "disabled (MAINT, no new sessions)"}\n`;
    }
  }
}

/** bytes formats a byte count for people: B, KiB, MiB, GiB. */
export function bytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) (v /= 1024), u++;
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

function statsText(s: StatsView): string {
  const t = s.total;
  const lines = [
    `sessions ${t.sessions} live, ${t.sessionsTotal} total; ${bytes(t.bytesFromClients)} in, ${bytes(t.bytesFromBackends)} out${s.perWorker.length > 0 ? `; ${s.perWorker.length} workers` : ""}`,
  ];
  for (const l of t.listeners) {
    lines.push(
      `listener ${l.name} ${l.address}${l.accepting ? "" : " (not accepting)"}: ${l.sessions} live, ${l.sessionsTotal} total, ${bytes(l.bytesFromClients)} in, ${bytes(l.bytesFromBackends)} out`,
    );
    for (const b of l.backends) {
      const h = b.connectDuration;
      const connect = h.count === 0 ? "-" : `${((h.sum / h.count) * 1000).toFixed(2)} ms`;
      lines.push(
        `  ${b.address.padEnd(22)} ${stateOf(b).padEnd(5)} active ${b.active}, sessions ${b.sessionsTotal}, errors ${b.connectFailures}, connect ${connect}`,
      );
    }
  }
  for (const w of s.perWorker) lines.push(`worker ${w.worker}: ${w.stats.sessions} live, ${w.stats.sessionsTotal} total`);
  return `${lines.join("\n")}\n`;
}

function sessionsText(r: { total: number; sessions: SessionView[] }): string {
  const rows = r.sessions.map((s) => [
    String(s.id),
    s.listener,
    s.client,
    s.backend ?? "-",
    s.state,
    `${(s.ageMs / 1000).toFixed(1)}s`,
    bytes(s.bytesFromClient),
    bytes(s.bytesToClient),
    ...(s.worker === undefined ? [] : [String(s.worker)]),
  ]);
  const head = [
    "ID",
    "LISTENER",
    "CLIENT",
    "BACKEND",
    "STATE",
    "AGE",
    "IN",
    "OUT",
    ...(r.sessions.some((s) => s.worker !== undefined) ? ["WORKER"] : []),
  ];
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((row) => (row[i] ?? "").length)));
  const table = all.map((row) =>
    row
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd(),
  );
  return `${table.join("\n")}\n${r.sessions.length} of ${r.total} live session(s)\n`;
}

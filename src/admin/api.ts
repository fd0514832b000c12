import { CONTENT_TYPE } from "../metrics/text.ts";
import { fail, json, statusOf, text } from "./http.ts";
import { ACTION_STATE, type AdminRuntime, type BackendAction, isAdminError } from "./runtime.ts";
import { type SessionOrder, topSessions } from "./sessions.ts";

/** The most sessions one GET /api/v1/sessions lists. */
export const MAX_SESSIONS = 10_000;
const DEFAULT_SESSIONS = 100;

/** readApi answers the read-only endpoints: /metrics and GET /api/v1/…; null when the path is none of them. */
export async function readApi(runtime: AdminRuntime, url: URL): Promise<Response | null> {
  switch (url.pathname) {
    case "/metrics": {
      const started = performance.now();
      const body = await runtime.metrics(url.searchParams.get("per_worker") === "1");
      // Server-Timing says how long the render took here (with workers: gathering their stats too).
      const timing = { "server-timing": `render;dur=${(performance.now() - started).toFixed(3)}` };
      return isAdminError(body) ? fail(statusOf(body), body) : text(body, CONTENT_TYPE, 200, timing);
    }
    case "/api/v1/stats": {
      const s = await runtime.stats();
      return isAdminError(s) ? fail(statusOf(s), s) : json(s);
    }
    case "/api/v1/listeners": {
      const s = await runtime.stats();
      if (isAdminError(s)) return fail(statusOf(s), s);
      const seen = new Set<string>();
      const listeners = s.total.listeners.flatMap((l) => {
        if (seen.has(l.name)) return [];
        seen.add(l.name);
        const pick = (b: (typeof l.backends)[number]) => ({
          address: b.address,
          from: b.from,
          weight: b.weight,
          drain: b.drain,
          adminState: b.adminState,
          healthy: b.healthy,
          active: b.active,
        });
        return [
          {
            name: l.name,
            address: l.address,
            accepting: l.accepting,
            sessions: l.sessions,
            maxConnections: l.maxConnections,
            mode: l.pool === undefined ? "tunnel" : "pool",
            backends: l.backends.map(pick),
            ...(l.routes === undefined ? {} : { routes: l.routes.map((r) => ({ sni: r.sni, backends: r.backends.map(pick) })) }),
          },
        ];
      });
      return json({ listeners });
    }
    case "/api/v1/sessions":
      return sessions(runtime, url);
    default:
      return null;
  }
}

async function sessions(runtime: AdminRuntime, url: URL): Promise<Response> {
  const listener = url.searchParams.get("listener") ?? undefined;
  const limitText = url.searchParams.get("limit");
  const limit = limitText === null ? DEFAULT_SESSIONS : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SESSIONS) {
    return fail(400, { code: "BAD_REQUEST", message: `limit: expected an integer 1..${MAX_SESSIONS}, got ${JSON.stringify(limitText)}` });
  }
  const sort = url.searchParams.get("sort") ?? "bytes";
  if (sort !== "bytes" && sort !== "age")
    return fail(400, {
      code: "BAD_REQUEST",
      message: `sort: expected "bytes" (largest first) or "age" (oldest first), got ${JSON.stringify(sort)}`,
    });
  if (listener !== undefined) {
    const s = await runtime.stats();
    if (isAdminError(s)) return fail(statusOf(s), s);
    if (!s.total.listeners.some((l) => l.name === listener)) {
      return fail(404, {
        code: "NO_SUCH_LISTENER",
        message: `no listener named ${JSON.stringify(listener)}; listeners: ${s.total.listeners.map((l) => l.name).join(", ")}`,
      });
    }
  }
  const all = await runtime.sessions(listener);
  if (isAdminError(all)) return fail(statusOf(all), all);
  return json({ total: all.length, sort, sessions: topSessions(all, sort as SessionOrder, limit) });
}

const ACTION_PATH = /^\/api\/v1\/listeners\/([^/]+)\/backends\/([^/]+)\/(drain|enable|disable)$/;

/** isWritePath says whether a path is one of the state-changing endpoints (POST only, with the token). */
export function isWritePath(path: string): boolean {
  return path === "/api/v1/reload" || ACTION_PATH.test(path);
}

/** writeApi answers a POST that passed the token, method and content checks. */
export async function writeApi(runtime: AdminRuntime, url: URL): Promise<Response> {
  if (url.pathname === "/api/v1/reload") {
    const r = await runtime.reload();
    return isAdminError(r) ? fail(statusOf(r), r) : json({ reloaded: true, listeners: r.listeners });
  }
  const m = ACTION_PATH.exec(url.pathname)!;
  let listener: string;
  let address: string;
  try {
    listener = decodeURIComponent(m[1]!);
    address = decodeURIComponent(m[2]!);
  } catch {
    return fail(400, { code: "BAD_REQUEST", message: "the listener name or backend address is not valid percent-encoding" });
  }
  const action = m[3] as BackendAction;
  const state = ACTION_STATE[action];
  const r = await runtime.setBackendState(listener, address, state);
  return isAdminError(r) ? fail(statusOf(r), r) : json({ listener, backend: address, action, adminState: state });
}

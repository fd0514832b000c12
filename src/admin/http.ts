import type { AdminError } from "./runtime.ts";

/** Headers on every admin response: no caching of live data, no sniffing, no framing. Never any CORS header. */
const COMMON = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
} as const;

export function json(body: unknown, status = 200, extra: Record<string, string> = {}): Response {
  return new Response(`${JSON.stringify(body)}\n`, {
    status,
    headers: { ...COMMON, "content-type": "application/json; charset=utf-8", ...extra },
  });
}

/** fail is an API error: `{ "error": { code, message } }` with its status. */
export function fail(status: number, error: AdminError, extra: Record<string, string> = {}): Response {
  return json({ error: error }, status, extra);
}

export function text(body: string, contentType: string, status = 200, extra: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { ...COMMON, "content-type": contentType, ...extra } });
}

/** STATUS_OF maps the runtime's error codes to HTTP statuses; anything else is a 500. */
const STATUS_OF: Record<string, number> = {
  NO_SUCH_LISTENER: 404,
  NO_SUCH_BACKEND: 404,
  CONFIG_INVALID: 422,
  RELOAD_REJECTED: 409,
  SHUTTING_DOWN: 503,
  EADDRINUSE: 409,
  EACCES: 409,
  EADDRNOTAVAIL: 409,
  LISTEN_FAILED: 409,
  NO_WORKERS: 503,
};

export function statusOf(e: AdminError): number {
  return STATUS_OF[e.code] ?? 500;
}

import type { Server } from "bun";
import { formatHostPort } from "../config/host-port.ts";
import type { AdminConfig } from "../config/schema.ts";
import { isLoopback } from "../config/validate-admin.ts";
import { listenErrorCode } from "../errors.ts";
import type { Logger } from "../log.ts";
import { isWritePath, readApi, writeApi } from "./api.ts";
import { ASSETS, DASHBOARD_CSP } from "./assets.ts";
import { EventHub } from "./events.ts";
import { fail, json, text } from "./http.ts";
import type { AdminRuntime } from "./runtime.ts";
import { authProblem, hostAllowed } from "./security.ts";

/** The biggest JSON body a state change may carry (they carry none that matters: `{}`). */
const MAX_BODY_BYTES = 64 * 1024;

/** Paths open to anyone who can reach the port, whatever the address: the probes Kubernetes and Docker run. */
const PROBES = new Set(["/healthz", "/readyz"]);

/**
 * AdminServer is warren's HTTP side, on Bun.serve: the probes, /metrics, the JSON API under /api/v1/
 * and the dashboard. Its security model (README "Admin server"):
 * - on a loopback address, reads are open and the Host header must be a loopback name (DNS rebinding);
 *   on any other address (allowed only with a token), everything but the probes and the dashboard's
 *   static files needs the token;
 * - every state change is a POST with a JSON body and `Authorization: Bearer <token>`: 403 when no
 *   token is configured, 401 for a missing or wrong one, compared in constant time;
 * - no CORS headers ever, so another origin's page can neither read an answer nor send the JSON POST.
 */
export class AdminServer {
  private readonly events: EventHub;
  private readonly loopback: boolean;

  private constructor(
    private readonly server: Server<undefined>,
    private readonly config: AdminConfig,
    private readonly runtime: AdminRuntime,
    events: EventHub,
  ) {
    this.events = events;
    this.loopback = isLoopback(config.listen.host);
  }

  /**
   * start binds the admin server. A failure comes back as a value: its errno code (EADDRINUSE, …) and
   * a message naming the address, for the caller to decide whether it is fatal (a configured address)
   * or a warning (the built-in default, taken by another warren).
   */
  static start(config: AdminConfig, runtime: AdminRuntime, log: Logger): AdminServer | { code: string; message: string } {
    const events = new EventHub(runtime);
    let admin: AdminServer | null = null;
    let server: Server<undefined>;
    try {
      server = Bun.serve({
        hostname: config.listen.host,
        port: config.listen.port,
        // The event stream sends every second; anything else is one quick answer.
        idleTimeout: 30,
        fetch: (req) => admin!.handle(req),
        error: (err) => {
          log.error("admin request failed (bug)", { error: err.stack ?? err.message });
          return fail(500, { code: "INTERNAL", message: "internal error (logged)" });
        },
      });
    } catch (err) {
      const code = listenErrorCode(err);
      return { code, message: `admin server: cannot listen on ${formatHostPort(config.listen)}: ${code}` };
    }
    admin = new AdminServer(server, config, runtime, events);
    return admin;
  }

  /** The port bound (the real one when the config said 0). */
  get port(): number {
    return this.server.port ?? this.config.listen.port;
  }

  get url(): string {
    return `http://${formatHostPort({ host: this.config.listen.host, port: this.port })}`;
  }

  async stop(): Promise<void> {
    this.events.close();
    await this.server.stop(true);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  private async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const path = url.pathname;
    if (this.loopback && !hostAllowed(req.headers.get("host"))) {
      return fail(403, {
        code: "HOST_REJECTED",
        message:
          "this admin server answers only to a loopback Host (127.0.0.1, [::1], localhost): another name may be a DNS-rebinding page",
      });
    }
    if (isWritePath(path)) return this.write(req, url);
    if (req.method !== "GET" && req.method !== "HEAD") {
      return fail(
        405,
        { code: "METHOD_NOT_ALLOWED", message: `${req.method} ${path}: only GET here; state changes are POSTs under /api/v1/` },
        { allow: "GET, HEAD" },
      );
    }
    if (PROBES.has(path)) return this.probe(path);
    const asset = ASSETS.get(path);
    if (asset !== undefined) {
      const csp: Record<string, string> = path === "/" ? { "content-security-policy": DASHBOARD_CSP } : {};
      return text(asset.body, asset.type, 200, csp);
    }
    if (!this.loopback) {
      const denied = authProblem(req, this.config.token);
      if (denied !== null)
        return fail(denied.status, denied.error, denied.status === 401 ? { "www-authenticate": 'Bearer realm="warren"' } : {});
    }
    if (path === "/api/v1/events") return this.events.open();
    return (await readApi(this.runtime, url)) ?? fail(404, { code: "NOT_FOUND", message: `no such endpoint: ${path}` });
  }

  private probe(path: string): Response {
    if (path === "/healthz") return text("ok\n", "text/plain; charset=utf-8");
    const reason = this.runtime.readiness();
    return reason === null ? json({ ready: true }) : json({ ready: false, reason }, 503);
  }

  /** write is a state change: POST, then the token, then a JSON body. */
  private async write(req: Request, url: URL): Promise<Response> {
    if (req.method !== "POST") {
      return fail(
        405,
        { code: "METHOD_NOT_ALLOWED", message: `${req.method} ${url.pathname}: state changes are POST only` },
        { allow: "POST" },
      );
    }
    const denied = authProblem(req, this.config.token);
    if (denied !== null)
      return fail(denied.status, denied.error, denied.status === 401 ? { "www-authenticate": 'Bearer realm="warren"' } : {});
    const type = (req.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    if (type !== "application/json") {
      return fail(415, {
        code: "UNSUPPORTED_MEDIA_TYPE",
        message: `state changes take a JSON body (Content-Type: application/json), got ${JSON.stringify(type || "none")}`,
      });
    }
    const body = await req.text();
    if (body.length > MAX_BODY_BYTES) return fail(413, { code: "BODY_TOO_LARGE", message: `the body is over ${MAX_BODY_BYTES} bytes` });
    try {
      JSON.parse(body);
    } catch {
      return fail(400, { code: "BAD_JSON", message: "the body is not JSON (send {} when there is nothing to say)" });
    }
    return writeApi(this.runtime, url);
  }
}

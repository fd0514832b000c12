import { DEFAULTS } from "../defaults.ts";

/** CtlArgs: what `warren ctl` was asked to do. */
export interface CtlArgs {
  readonly command: CtlCommand;
  /** The positional arguments after the command (drain/enable/disable: LISTENER BACKEND). */
  readonly operands: readonly string[];
  readonly admin: string;
  readonly token: string | null;
  /** "json": the API's answer as it is; "human": lines for people; null: human on a terminal, JSON otherwise. */
  readonly format: "json" | "human" | null;
  readonly listener: string | null;
  readonly limit: number | null;
  readonly sort: string | null;
}

export const CTL_COMMANDS = ["stats", "sessions", "drain", "enable", "disable", "reload", "health"] as const;
export type CtlCommand = (typeof CTL_COMMANDS)[number];

export const CTL_USAGE = `warren ctl — talk to a running warren's admin server

Usage:
  warren ctl stats                                   totals, listeners, backends
  warren ctl sessions [--listener NAME] [--limit N] [--sort bytes|age]
  warren ctl drain|enable|disable LISTENER BACKEND   a backend's runtime state (needs the token)
  warren ctl reload                                  re-read the config file, as SIGHUP (needs the token)
  warren ctl health                                  exit 0 when /healthz answers 200, else 1

Options:
  --admin URL      the admin server (default http://${DEFAULTS.admin.listen}, or WARREN_ADMIN_URL)
  --token TOKEN    the admin token (default: WARREN_ADMIN_TOKEN)
  --json           print the API's JSON answer (the default when stdout is not a terminal)
  --human          print lines for people (the default on a terminal)

Exit codes: 0 done, 1 the request failed (the answer's error is printed), 2 usage error.`;

/** parseCtlArgs reads `warren ctl …`'s arguments (after "ctl"); a usage problem comes back as a string. */
export function parseCtlArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): CtlArgs | string {
  let command: CtlCommand | null = null;
  const operands: string[] = [];
  let admin = env.WARREN_ADMIN_URL ?? `http://${DEFAULTS.admin.listen}`;
  let token = env[DEFAULTS.admin.tokenEnv] ?? null;
  let format: CtlArgs["format"] = null;
  let listener: string | null = null;
  let limit: number | null = null;
  let sort: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    const eq = raw.startsWith("--") ? raw.indexOf("=") : -1;
    const flag = eq > 0 ? raw.slice(0, eq) : raw;
    const value = (): string | null => {
      if (eq > 0) return raw.slice(eq + 1) || null;
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("--")) return null;
      i++;
      return next;
    };
    const need = (): string => {
      const v = value();
      if (v === null) throw new Error(`${flag}: expected a value`);
      return v;
    };
    try {
      switch (flag) {
        case "--admin":
          admin = need();
          break;
        case "--token":
          token = need();
          break;
        case "--json":
          format = "json";
          break;
        case "--human":
          format = "human";
          break;
        case "--listener":
          listener = need();
          break;
        case "--limit": {
          const v = need();
          limit = Number(v);
          if (!Number.isInteger(limit) || limit < 1) return `--limit: expected a positive integer, got ${JSON.stringify(v)}`;
          break;
        }
        case "--sort":
          sort = need();
          break;
        default:
          if (raw.startsWith("-")) return `${flag}: unknown option (see warren ctl --help)`;
          if (command === null) {
            if (!(CTL_COMMANDS as readonly string[]).includes(raw))
              return `${JSON.stringify(raw)}: unknown command; one of ${CTL_COMMANDS.join(", ")}`;
            command = raw as CtlCommand;
          } else operands.push(raw);
      }
    } catch (err) {
      return (err as Error).message;
    }
  }
  if (command === null) return `a command is needed: one of ${CTL_COMMANDS.join(", ")}`;
  const want = command === "drain" || command === "enable" || command === "disable" ? 2 : 0;
  if (operands.length !== want) {
    return want === 2
      ? `${command}: expected LISTENER BACKEND (e.g. warren ctl ${command} web 10.0.0.5:8080), got ${operands.length} argument(s)`
      : `${command}: takes no arguments, got ${operands.join(" ")}`;
  }
  if (!/^https?:\/\//.test(admin)) admin = `http://${admin}`;
  return { command, operands, admin: admin.replace(/\/+$/, ""), token, format, listener, limit, sort };
}

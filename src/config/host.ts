import { isIPv4, isIPv6 } from "node:net";

/** The longest host name DNS can carry: 253 characters without the trailing dot (RFC 1035 §2.3.4). */
const MAX_NAME_CHARS = 253;
const MAX_LABEL_CHARS = 63;
/**
 * One label: letters, digits and hyphens, neither first nor last a hyphen (RFC 1123 §2.1).
 * Underscores are accepted too, on purpose: Docker and Compose name services `redis_cache`,
 * their DNS answers for those names, and getaddrinfo resolves them; refusing them would turn
 * a working setup into a config error.
 */
const LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?$/;

export type HostKind = "ipv4" | "ipv6" | "name";

/** hostKind says what a valid host is; call it only after hostProblem returned null. */
export function hostKind(host: string): HostKind {
  if (isIPv4(host)) return "ipv4";
  return host.includes(":") ? "ipv6" : "name";
}

/**
 * hostProblem returns why `host` cannot be a host — an IPv4 literal, an IPv6
 * literal (as written between brackets, zone allowed: `fe80::1%eth0`) or a DNS
 * name — or null when it can. IPv6 hosts are recognised by their colon.
 */
export function hostProblem(host: string): string | null {
  if (host === "") return "no host";
  if (host.includes(":")) return isIPv6(host) ? null : `${quote(host)} is not an IPv6 address`;
  if (isIPv4(host)) return null;
  const name = host.endsWith(".") ? host.slice(0, -1) : host; // a fully qualified "db.example." is fine
  const labels = name.split(".");
  // RFC 1123 §2.1: a name never looks like a dotted number, so digits and dots are an IPv4 attempt.
  if (labels.every((l) => /^[0-9]+$/.test(l))) return ipv4Problem(host, labels);
  if (name.length > MAX_NAME_CHARS) return `a host name is at most ${MAX_NAME_CHARS} characters, this one is ${name.length}`;
  for (const label of labels) {
    if (label === "") return `${quote(host)} is not a valid host name: empty label (two dots in a row, or a leading dot)`;
    if (label.length > MAX_LABEL_CHARS) return `${quote(host)} is not a valid host name: a label is at most ${MAX_LABEL_CHARS} characters`;
    if (!LABEL.test(label)) {
      return `${quote(host)} is not a valid host name: labels are letters, digits and hyphens (not first or last)`;
    }
  }
  if (/^[0-9]+$/.test(labels.at(-1)!)) return `${quote(host)} is not a valid host name: its last label is all digits`;
  return null;
}

function ipv4Problem(host: string, parts: readonly string[]): string {
  if (parts.length !== 4) return `${quote(host)} is not an IPv4 address: expected 4 numbers 0..255 separated by dots`;
  if (parts.some((p) => p.length > 1 && p.startsWith("0"))) {
    return `${quote(host)} is not an IPv4 address: leading zeros are not allowed (some systems read them as octal)`;
  }
  return `${quote(host)} is not an IPv4 address: each of its 4 numbers must be 0..255`;
}

/** quote shows a host in a message, cut short when it is very long (a 100,000-character name). */
function quote(host: string): string {
  return JSON.stringify(host.length > 64 ? `${host.slice(0, 48)}…` : host);
}

import type { HostPort } from "./schema.ts";

/**
 * parseHostPort reads "HOST:PORT" or "[IPv6]:PORT". It returns null for anything
 * else, so the caller can report the key path with the bad value.
 */
export function parseHostPort(text: string, allowPortZero: boolean): HostPort | null {
  let host: string;
  let portText: string;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0 || text[close + 1] !== ":") return null;
    host = text.slice(1, close);
    portText = text.slice(close + 2);
  } else {
    const colon = text.lastIndexOf(":");
    if (colon <= 0) return null;
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(":")) return null; // bare IPv6 must be bracketed
  }
  if (host === "" || /\s/.test(host)) return null;
  if (!/^[0-9]{1,5}$/.test(portText)) return null;
  const port = Number(portText);
  if (port > 65535 || (port === 0 && !allowPortZero)) return null;
  return { host, port };
}

/** formatHostPort is the inverse of parseHostPort. */
export function formatHostPort(hp: HostPort): string {
  return hp.host.includes(":") ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}

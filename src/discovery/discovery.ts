import type { BackendConfig, ListenerConfig } from "../config/schema.ts";
import type { Logger } from "../log.ts";
import { type DnsClient, isDnsFailure } from "./dns.ts";
import { type EntryAnswer, entryKey, expandBackends, type ResolvedBackend, sameBackends } from "./expand.ts";
import { resolveEntry, type TimedAnswer } from "./resolve-entry.ts";

/** A failed resolution is tried again after this long (or resolveIntervalMs, if shorter). */
export const RETRY_FAILED_MS = 5_000;
/** However short a record's TTL, a name is not asked again sooner than this. */
export const MIN_REFRESH_MS = 1_000;

/** When each named entry is due again, whether a query for it is out, and whether it is failing. */
class EntryState {
  nextAt = 0;
  inFlight = false;
  failing = false;
  constructor(public entry: BackendConfig) {}
}

/** DiscoveryStats: how resolution of a listener's backend names went. */
export interface DiscoveryStats {
  /** Names and SRV names resolved (or tried). */
  names: number;
  resolutions: number;
  failures: number;
  /** Names failing now (their last good addresses are kept). */
  failing: string[];
  lastError: string | null;
}

/**
 * Answers found before a listener started (by preflight), by entry key, so it starts with its backends
 * resolved; a listener takes a seed only while it is fresh (younger than its refresh time).
 */
const seeds = new Map<string, { readonly found: TimedAnswer; readonly at: number }>();

/**
 * seedDiscovery resolves every named backend of a config once, before anything binds (the CLI's start
 * and SIGHUP, and startProxy, run it through preflight), so listeners start with their backends. A name
 * that does not resolve yet is not an error: its listener starts without it and keeps asking.
 */
export async function seedDiscovery(listeners: readonly ListenerConfig[], dns: DnsClient): Promise<void> {
  const named = new Map<string, BackendConfig>();
  for (const lc of listeners) for (const bc of lc.backends) if (entryKey(bc) !== null) named.set(entryKey(bc)!, bc);
  await Promise.all(
    [...named].map(async ([key, bc]) => {
      const r = await resolveEntry(dns, bc);
      if (isDnsFailure(r)) seeds.delete(seedKey(dns, key));
      else seeds.set(seedKey(dns, key), { found: r, at: performance.now() });
    }),
  );
}

/**
 * Discovery keeps one listener's named backends (host names, SRV names) resolved: each is asked again
 * every resolveIntervalMs (sooner when its TTL is shorter), on the process's one sweep. When the set of
 * servers changes it calls `changed`, and the listener applies it as a reload applies a backend list:
 * new servers join, servers that went stop taking sessions and their live sessions finish. A failed
 * resolution keeps the last good addresses, is counted, and is logged once until it resolves again.
 */
export class Discovery {
  private readonly answers = new Map<string, EntryAnswer>();
  private readonly states = new Map<string, EntryState>();
  private config: ListenerConfig;
  private stopped = false;
  private resolutions = 0;
  private failures = 0;
  private lastError: string | null = null;
  private last: ResolvedBackend[];

  constructor(
    config: ListenerConfig,
    private readonly dns: () => DnsClient,
    private readonly log: Logger,
    private readonly changed: (backends: ResolvedBackend[]) => void,
  ) {
    this.config = config;
    this.track(config);
    this.last = this.current();
  }

  /** Whether the config names any backend by name (otherwise nothing is ever asked). */
  static needed(config: ListenerConfig): boolean {
    return config.backends.some((bc) => entryKey(bc) !== null);
  }

  /** current is the listener's servers as last resolved. */
  current(): ResolvedBackend[] {
    return expandBackends(this.config.backends, this.answers, this.config.resolve);
  }

  /** update takes a reloaded listener config: names still listed keep their answers, new ones are asked now. */
  update(config: ListenerConfig): void {
    this.config = config;
    this.track(config);
    this.last = this.current();
  }

  sweep(now: number): void {
    if (this.stopped) return;
    for (const [key, st] of this.states) {
      if (st.inFlight || now < st.nextAt) continue;
      st.inFlight = true;
      void this.ask(key, st);
    }
  }

  stop(): void {
    this.stopped = true;
  }

  stats(): DiscoveryStats {
    const failing = [...this.states].filter(([, st]) => st.failing).map(([key]) => key.slice(key.indexOf(" ") + 1));
    return { names: this.states.size, resolutions: this.resolutions, failures: this.failures, failing, lastError: this.lastError };
  }

  private track(config: ListenerConfig): void {
    const now = performance.now();
    const keys = new Set<string>();
    for (const bc of config.backends) {
      const key = entryKey(bc);
      if (key === null) continue;
      keys.add(key);
      const st = this.states.get(key);
      if (st !== undefined) st.entry = bc;
      else {
        const fresh = new EntryState(bc);
        const seed = seeds.get(seedKey(this.dns(), key));
        if (seed !== undefined) {
          // The answer found while the config was checked: used at once, and asked again when it is due
          // (at once, if starting took longer than its TTL). A stale answer beats none: it is what a
          // target that misses the next query keeps.
          this.answers.set(key, seed.found.answer);
          fresh.nextAt = Math.max(now, seed.at + refreshMs(config.resolveIntervalMs, seed.found.ttlMs));
        }
        this.states.set(key, fresh);
      }
    }
    for (const key of [...this.states.keys()]) {
      if (keys.has(key)) continue;
      this.states.delete(key);
      this.answers.delete(key);
    }
  }

  private async ask(key: string, st: EntryState): Promise<void> {
    const r = await resolveEntry(this.dns(), st.entry, this.answers.get(key));
    st.inFlight = false;
    if (this.stopped || this.states.get(key) !== st) return; // stopped, or the entry left with a reload
    const now = performance.now();
    const interval = this.config.resolveIntervalMs;
    const name = key.slice(key.indexOf(" ") + 1);
    if (isDnsFailure(r)) {
      this.failures++;
      this.lastError = `${name}: ${r.code} ${r.message}`;
      st.nextAt = now + Math.min(interval, RETRY_FAILED_MS);
      if (!st.failing) {
        const kept = this.answers.get(key);
        this.log.warn("backend name does not resolve; keeping its last good addresses", {
          listener: this.config.name,
          name,
          code: r.code,
          error: r.message,
          kept: kept === undefined ? 0 : countAddresses(kept),
        });
      }
      st.failing = true;
      return;
    }
    this.resolutions++;
    if (st.failing) this.log.info("backend name resolves again", { listener: this.config.name, name });
    st.failing = false;
    st.nextAt = now + refreshMs(interval, r.ttlMs);
    this.answers.set(key, r.answer);
    const next = this.current();
    if (sameBackends(next, this.last)) return;
    this.last = next;
    this.changed(next);
  }
}

/** Seeds are per resolver: the same name may mean other addresses to other DNS servers. */
function seedKey(dns: DnsClient, key: string): string {
  return `${dns.config.servers.map((s) => `${s.host}:${s.port}`).join(",")} ${key}`;
}

/** How long an answer is used before it is asked again: resolveIntervalMs, or its TTL if shorter (at least MIN_REFRESH_MS). */
function refreshMs(intervalMs: number, ttlMs: number | null): number {
  return Math.max(MIN_REFRESH_MS, Math.min(intervalMs, ttlMs ?? intervalMs));
}

function countAddresses(a: EntryAnswer): number {
  return a.kind === "name" ? a.addresses.length : a.targets.reduce((n, t) => n + t.addresses.length, 0);
}

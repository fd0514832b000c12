import type { AdminRuntime } from "./runtime.ts";
import { isAdminError } from "./runtime.ts";
import { dashboardSnapshot } from "./snapshot.ts";

/** How often the dashboard's stream gets a snapshot. */
export const EVENT_INTERVAL_MS = 1000;

const encoder = new TextEncoder();

/**
 * EventHub feeds every open dashboard stream (server-sent events) from one timer: the stats are taken
 * once a second while at least one stream is open, and not at all otherwise, so an idle admin server
 * costs the data path nothing.
 */
export class EventHub {
  private readonly streams = new Set<ReadableStreamDefaultController<Uint8Array>>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private busy = false;

  constructor(private readonly runtime: AdminRuntime) {}

  get size(): number {
    return this.streams.size;
  }

  /** open returns the response of one new stream; its first event is sent at once. */
  open(): Response {
    let mine: ReadableStreamDefaultController<Uint8Array> | null = null;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        mine = controller;
        this.streams.add(controller);
        controller.enqueue(encoder.encode(`retry: ${EVENT_INTERVAL_MS}\n\n`));
        if (this.timer === null) this.timer = setInterval(() => void this.tick(), EVENT_INTERVAL_MS);
        void this.tick();
      },
      cancel: () => {
        if (mine !== null) this.drop(mine);
      },
    });
    return new Response(body, {
      headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", "x-content-type-options": "nosniff" },
    });
  }

  /** close ends every stream (the admin server is stopping). */
  close(): void {
    for (const c of this.streams) {
      try {
        c.close();
      } catch {
        // already closed by its client
      }
    }
    this.streams.clear();
    this.stopTimer();
  }

  private drop(c: ReadableStreamDefaultController<Uint8Array>): void {
    this.streams.delete(c);
    if (this.streams.size === 0) this.stopTimer();
  }

  private stopTimer(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private async tick(): Promise<void> {
    if (this.busy || this.streams.size === 0) return; // a slow IPC round trip must not pile ticks up
    this.busy = true;
    try {
      const stats = await this.runtime.stats();
      if (isAdminError(stats)) return;
      const frame = encoder.encode(`event: stats\ndata: ${JSON.stringify(dashboardSnapshot(stats.total))}\n\n`);
      for (const c of [...this.streams]) {
        try {
          c.enqueue(frame);
        } catch {
          this.drop(c);
        }
      }
    } finally {
      this.busy = false;
    }
  }
}

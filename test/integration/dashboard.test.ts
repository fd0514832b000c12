/**
 * The dashboard in a real browser: Debian's headless Chromium driven by puppeteer-core loads warren's
 * page from its admin server (every asset from warren, under its CSP), watches the numbers move while
 * the test drives traffic, and clicks drain on a backend, after which warren sends it no new sessions.
 * The screenshot the README shows is taken here (WARREN_UPDATE_SCREENSHOT=1 writes docs/dashboard.png).
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import puppeteer from "puppeteer-core";
import { parseConfig } from "../../src/index.ts";
import type { WarrenConfig } from "../../src/config/schema.ts";
import { adminFor, TEST_TOKEN } from "../helpers/admin.ts";
import { greetBackend } from "../helpers/backends.ts";
import { connectClient, type TestClient } from "../helpers/client.ts";
import { portOf, proxyTo } from "../helpers/proxy.ts";

// The callbacks given to page.waitForFunction and $eval run in the browser; tsc here has no DOM lib.
declare const document: {
  querySelector(s: string): { textContent: string | null } | null;
  body: { dataset: Record<string, string | undefined> };
};
declare function getComputedStyle(e: unknown): { display: string };

const ROOT = new URL("../../", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "warren-dashboard-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const CHROMIUM = "/usr/bin/chromium";

test("the page shows live numbers, and its drain button stops new sessions to that backend", async () => {
  using a = greetBackend("A\n");
  using b = greetBackend("B\n");
  await using proxy = await proxyTo([a.address, b.address], { name: "web" });
  await using admin = adminFor(proxy, parseConfig({ listeners: [{ name: "web", backends: [a.address, b.address] }] }) as WarrenConfig);
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless=new", "--no-sandbox", "--disable-gpu"],
  });
  const live: TestClient[] = [];
  let traffic: ReturnType<typeof setInterval> | null = null;
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(m.text());
    });
    page.on("pageerror", (e) => problems.push(String(e)));
    page.on("requestfailed", (r) => problems.push(`${r.url()}: ${r.failure()?.errorText}`));
    const requested = new Set<string>();
    page.on("request", (r) => requested.add(new URL(r.url()).origin));

    const res = await page.goto(admin.url, { waitUntil: "load" });
    expect(res?.headers()["content-security-policy"]).toContain("script-src 'self'");
    await page.waitForSelector('[data-listener="web"] [data-backend]');
    const field = (selector: string) => page.$eval(selector, (e) => e.textContent ?? "");
    expect(await field('[data-listener="web"] [data-field="sessionsTotal"]')).toBe("0");

    // Traffic: 5 sessions that come and go, and 3 that stay and keep sending.
    for (let i = 0; i < 5; i++) {
      const c = await connectClient(portOf(proxy));
      await c.waitFor(2);
      c.socket.end();
    }
    for (let i = 0; i < 3; i++) {
      const c = await connectClient(portOf(proxy));
      await c.waitFor(2);
      live.push(c);
    }
    traffic = setInterval(() => {
      for (const c of live) void c.send(Buffer.alloc(32 * 1024, 120));
    }, 100);
    await page.waitForFunction(() => document.querySelector('[data-listener="web"] [data-field="sessionsTotal"]')?.textContent === "8", {
      timeout: 10_000,
    });
    await page.waitForFunction(() => document.querySelector('[data-listener="web"] [data-field="sessions"]')?.textContent === "3", {
      timeout: 10_000,
    });
    await page.waitForFunction(
      () => /KiB|MiB/.test(document.querySelector('[data-listener="web"] [data-field="bytesInRate"]')?.textContent ?? ""),
      { timeout: 10_000 },
    );
    expect(await page.$$eval('[data-listener="web"] .uplot', (charts) => charts.length)).toBe(3);

    // No token yet: no buttons. With one, drain backend A from the page.
    expect(await page.$eval("[data-backend] .actions", (e) => getComputedStyle(e).display)).toBe("none");
    await page.type("#token", TEST_TOKEN);
    await page.click("#token-use");
    const drainA = `[data-backend="${a.address}"] button[data-action="drain"]`;
    await page.waitForSelector(drainA, { visible: true });
    await page.click(drainA);
    await page.waitForFunction(
      (addr) => document.querySelector(`[data-backend="${addr}"] [data-field="state"]`)?.textContent === "DRAIN",
      { timeout: 10_000 },
      a.address,
    );
    expect(await field("#message")).toBe(`web ${a.address}: drain done`);
    expect(proxy.stats().listeners[0]!.backends.map((x) => x.adminState)).toEqual(["drain", "ready"]);

    const before = a.accepted;
    const served: string[] = [];
    for (let i = 0; i < 6; i++) {
      const c = await connectClient(portOf(proxy));
      await c.waitFor(2);
      served.push(c.received().toString().slice(0, 1));
      c.socket.end();
    }
    expect(served).toEqual(Array(6).fill("B"));
    expect(a.accepted).toBe(before);
    await page.waitForFunction(() => document.querySelector('[data-listener="web"] [data-field="sessionsTotal"]')?.textContent === "14", {
      timeout: 10_000,
    });

    // Everything the page loaded came from warren itself, and nothing failed or broke the CSP.
    expect([...requested]).toEqual([admin.url]);
    expect(problems).toEqual([]);

    // For the README's picture, let the charts fill for a few more seconds of traffic.
    if (process.env.WARREN_UPDATE_SCREENSHOT === "1")
      await page.waitForFunction(() => Number(document.body.dataset.updates) >= 20, { timeout: 30_000 });
    const shot = join(dir, "dashboard.png");
    await page.screenshot({ path: shot, fullPage: true });
    const png = readFileSync(shot);
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    if (process.env.WARREN_UPDATE_SCREENSHOT === "1") await Bun.write(`${ROOT}docs/dashboard.png`, png);
  } finally {
    if (traffic !== null) clearInterval(traffic);
    for (const c of live) c.socket.end();
    await browser.close();
  }
}, 60_000);

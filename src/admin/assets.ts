import uplotCss from "uplot/dist/uPlot.min.css" with { type: "text" };
import uplotJs from "uplot/dist/uPlot.iife.min.js" with { type: "text" };
import appJs from "./dashboard/app.js" with { type: "text" };
import appCss from "./dashboard/app.css" with { type: "text" };
import indexHtml from "./dashboard/index.html" with { type: "text" };

/**
 * The dashboard's files, inlined at build time (`with { type: "text" }`), so `bun build --compile`
 * carries them inside the binary and the page works offline: nothing is fetched from anywhere but
 * warren. uPlot comes from npm (node_modules/uplot).
 */
export interface Asset {
  readonly body: string;
  readonly type: string;
}

export const ASSETS: ReadonlyMap<string, Asset> = new Map([
  // bun-types calls an .html import an HTMLBundle; with type "text" it is the file's text.
  ["/", { body: indexHtml as unknown as string, type: "text/html; charset=utf-8" }],
  ["/assets/app.js", { body: appJs, type: "text/javascript; charset=utf-8" }],
  ["/assets/app.css", { body: appCss, type: "text/css; charset=utf-8" }],
  ["/assets/uplot.js", { body: uplotJs, type: "text/javascript; charset=utf-8" }],
  ["/assets/uplot.css", { body: uplotCss, type: "text/css; charset=utf-8" }],
]);

/**
 * The dashboard's Content-Security-Policy: scripts, styles and connections from warren only, no inline
 * script, no framing, no forms. uPlot sets element styles through the DOM (allowed), not inline markup.
 */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

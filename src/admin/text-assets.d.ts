// The dashboard's assets are imported `with { type: "text" }`: Bun inlines them as strings, so the
// compiled binary carries them (src/admin/assets.ts). These tell tsc what those imports are.
declare module "uplot/dist/uPlot.iife.min.js" {
  const text: string;
  export default text;
}
declare module "uplot/dist/uPlot.min.css" {
  const text: string;
  export default text;
}
declare module "*/dashboard/app.css" {
  const text: string;
  export default text;
}

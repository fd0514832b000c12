// app.js is browser code, served as text by src/admin/assets.ts (imported `with { type: "text" }`).
declare const text: string;
export default text;

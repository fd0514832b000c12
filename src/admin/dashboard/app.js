// warren's dashboard: one page, no framework. It reads /api/v1/events (server-sent events, one
// cumulative stats snapshot a second), turns counters into rates, and draws them with uPlot (served by
// warren from node_modules/uplot). Drain/enable/disable buttons appear once a token is entered; they
// POST to /api/v1 with it. Elements carry data-* attributes so the browser test can read the numbers.
"use strict";

/** Points kept per chart: five minutes at one a second. */
const KEEP = 300;
const COLORS = ["#2f6fdf", "#e07b00", "#1f8a4c", "#c0392b", "#6b56b5", "#00838f", "#8d6e63", "#d81b60"];

const state = { token: "", views: new Map(), previous: null };

const $ = (sel, root = document) => root.querySelector(sel);
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

function bytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let u = 0;
  while (n >= 1024 && u < units.length - 1) (n /= 1024), u++;
  return u === 0 ? `${Math.round(n)} B` : `${n.toFixed(1)} ${units[u]}`;
}
/** A short axis label: 0, 512, 12K, 1.5M (bytes or counts). */
function short(n) {
  const abs = Math.abs(n);
  if (abs >= 1048576) return `${+(n / 1048576).toFixed(1)}M`;
  if (abs >= 1024) return `${+(n / 1024).toFixed(abs >= 10240 ? 0 : 1)}K`;
  return String(+n.toFixed(1));
}
const ms = (v) => (v === null ? "–" : `${v.toFixed(2)} ms`);

/** A time-series chart: uPlot over columns [times, ...series]; recreated when its series change. */
class Chart {
  constructor(parent, title, unit) {
    this.box = el("div", { class: "chart" }, el("h3", { text: title }));
    parent.append(this.box);
    this.unit = unit;
    this.names = [];
    this.times = [];
    this.columns = [];
    this.plot = null;
  }
  push(time, values) {
    // values: Map name -> number. A new name becomes a new series (zeros before it appeared).
    let fresh = false;
    for (const name of values.keys()) {
      if (!this.names.includes(name)) {
        this.names.push(name);
        this.columns.push(this.times.map(() => 0));
        fresh = true;
      }
    }
    this.times.push(time);
    this.names.forEach((n, i) => this.columns[i].push(values.get(n) ?? 0));
    if (this.times.length > KEEP) {
      this.times.shift();
      for (const c of this.columns) c.shift();
    }
    if (fresh || this.plot === null) this.build();
    else this.plot.setData([this.times, ...this.columns]);
  }
  build() {
    if (this.plot !== null) this.plot.destroy();
    const fmt =
      this.unit === "bytes"
        ? (u, v) => (v === null ? "–" : `${bytes(v)}/s`)
        : (u, v) => (v === null ? "–" : v.toFixed(this.unit === "rate" ? 1 : 0));
    const opts = {
      width: Math.max(300, this.box.clientWidth || 360),
      height: 160,
      legend: { live: true },
      scales: { x: { time: true } },
      axes: [{}, { size: 56, values: (u, ticks) => ticks.map(short) }],
      series: [{}, ...this.names.map((n, i) => ({ label: n, stroke: COLORS[i % COLORS.length], width: 1.5, value: fmt }))],
    };
    this.plot = new uPlot(opts, [this.times, ...this.columns], this.box);
  }
}

/** ListenerView is one listener's section: headline figures, three charts, backend and pool tables. */
class ListenerView {
  constructor(l) {
    this.name = l.name;
    this.section = el("section", { class: "listener", "data-listener": l.name });
    this.section.append(el("h2", {}, l.name, el("span", { class: "address", text: l.address })));
    this.figures = el("div", { class: "figures" });
    for (const [field, label] of [
      ["sessions", "live sessions"],
      ["sessionsTotal", "sessions total"],
      ["bytesInRate", "in /s"],
      ["bytesOutRate", "out /s"],
    ]) {
      this.figures.append(el("div", { class: "figure" }, el("b", { "data-field": field, text: "0" }), el("span", { text: label })));
    }
    this.section.append(this.figures);
    const charts = el("div", { class: "charts" });
    this.section.append(charts);
    this.sessions = new Chart(charts, "live sessions", "count");
    this.bytes = new Chart(charts, "bytes per second, each way", "bytes");
    this.ends = new Chart(charts, "session ends per second, by code", "rate");
    this.backends = el("tbody");
    this.section.append(
      el(
        "table",
        { class: "backends" },
        el("thead", {}, row("th", ["backend", "state", "active", "sessions", "errors", "connect (mean)", ""])),
        this.backends,
      ),
    );
    this.pool = el("tbody");
    this.poolTable = el(
      "table",
      { class: "pool", hidden: "" },
      el("thead", {}, row("th", ["pool backend", "in use", "idle", "waiters", "wait (mean)"])),
      this.pool,
    );
    this.section.append(this.poolTable);
    $("#listeners").append(this.section);
  }

  update(l, prev, seconds, time) {
    const rate = (now, before) => (prev === undefined || seconds <= 0 ? 0 : Math.max(0, (now - before) / seconds));
    const inRate = rate(l.bytesFromClients, prev?.bytesFromClients);
    const outRate = rate(l.bytesFromBackends, prev?.bytesFromBackends);
    this.set("sessions", String(l.sessions));
    this.set("sessionsTotal", String(l.sessionsTotal));
    this.set("bytesInRate", `${bytes(inRate)}`);
    this.set("bytesOutRate", `${bytes(outRate)}`);
    this.sessions.push(time, new Map([["sessions", l.sessions]]));
    this.bytes.push(
      time,
      new Map([
        ["in (from clients)", inRate],
        ["out (from backends)", outRate],
      ]),
    );
    const ends = new Map();
    for (const [code, n] of Object.entries(l.ends)) ends.set(code, rate(n, prev?.ends?.[code] ?? 0));
    if (ends.size === 0) ends.set("ok", 0);
    this.ends.push(time, ends);
    this.renderBackends(l.backends);
    this.poolTable.hidden = l.pool.length === 0;
    this.pool.replaceChildren(
      ...l.pool.map((p) => row("td", [p.address, p.inUse, p.idle, p.waiters, ms(p.waitMs)], { "data-pool": p.address })),
    );
  }

  set(field, text) {
    $(`[data-field="${field}"]`, this.figures).textContent = text;
  }

  renderBackends(list) {
    const rows = list.map((b) => {
      const tr = row("td", [b.address, b.state, b.active, b.sessionsTotal, b.errors, ms(b.connectMs)], { "data-backend": b.address });
      const fields = ["address", "state", "active", "sessionsTotal", "errors", "connectMs"];
      tr.querySelectorAll("td").forEach((td, i) => td.setAttribute("data-field", fields[i]));
      tr.children[1].className = `state state-${b.state}`;
      const actions = el("td", { class: "actions" });
      for (const action of ["drain", "enable", "disable"]) {
        const button = el("button", { type: "button", "data-action": action, text: action });
        button.addEventListener("click", () => act(this.name, b.address, action));
        actions.append(button);
      }
      tr.append(actions);
      return tr;
    });
    this.backends.replaceChildren(...rows);
  }
}

function row(cell, values, attrs = {}) {
  return el("tr", attrs, ...values.map((v) => el(cell, { text: String(v) })));
}

function message(text, isError = false) {
  const m = $("#message");
  m.textContent = text;
  m.className = isError ? "message error" : "message";
}

async function act(listener, backend, action) {
  const res = await fetch(`/api/v1/listeners/${encodeURIComponent(listener)}/backends/${encodeURIComponent(backend)}/${action}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${state.token}` },
    body: "{}",
  });
  const body = await res.json().catch(() => ({}));
  if (res.ok) message(`${listener} ${backend}: ${action} done`);
  else message(`${action} failed: ${body.error?.code ?? res.status}: ${body.error?.message ?? ""}`, true);
}

function render(snap) {
  const prev = state.previous;
  const seconds = prev === null ? 0 : (snap.time - prev.time) / 1000;
  const before = new Map((prev?.listeners ?? []).map((l) => [l.name, l]));
  const time = snap.time / 1000;
  for (const l of snap.listeners) {
    let view = state.views.get(l.name);
    if (view === undefined) {
      view = new ListenerView(l);
      state.views.set(l.name, view);
    }
    view.update(l, before.get(l.name), seconds, time);
  }
  for (const [name, view] of state.views) {
    if (!snap.listeners.some((l) => l.name === name)) {
      view.section.remove();
      state.views.delete(name);
    }
  }
  state.previous = snap;
  document.body.dataset.updates = String(Number(document.body.dataset.updates ?? "0") + 1);
}

/**
 * stream reads the event stream with fetch rather than EventSource, so the token can go in a header
 * (an admin server on a non-loopback address wants it for reads too). Reconnects after a second.
 */
async function stream() {
  const status = $("#status");
  for (;;) {
    try {
      const headers = state.token === "" ? {} : { authorization: `Bearer ${state.token}` };
      const res = await fetch("/api/v1/events", { headers });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      status.textContent = "live";
      status.className = "status live";
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block
            .split("\n")
            .filter((line) => line.startsWith("data: "))
            .map((line) => line.slice(6))
            .join("\n");
          if (/^event: stats$/m.test(block) && data !== "") render(JSON.parse(data));
        }
      }
    } catch (err) {
      status.textContent = `disconnected (${err.message}), retrying`;
      status.className = "status";
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

$("#token-form").addEventListener("submit", (e) => {
  e.preventDefault();
  state.token = $("#token").value.trim();
  document.body.classList.toggle("has-token", state.token !== "");
  message(state.token === "" ? "token cleared" : "token set: the drain, enable and disable buttons use it");
});
stream();

/**
 * The live page: one self-contained HTML document with its style and script inline (no build step, no
 * framework, nothing fetched from elsewhere) and no data: it is served without the key. When the URL's
 * fragment holds the key (`/#key=...`, which no server sees), the script posts it once in `x-api-key` to
 * `/api/usage/session` (relayx answers with the page's cookie) and drops the fragment; then it reads
 * `/api/usage/events` and draws what it receives, or, refused, says how to open the page. Every figure and
 * name goes in through `textContent`, never as HTML, because model names and session ids are whatever a
 * client sent.
 *
 * @module
 */

const STYLE = `
:root{color-scheme:light dark;--bg:#f6f7f9;--card:#fff;--ink:#1d232b;--dim:#67707c;--line:#e2e5ea;--tok:#4f7cf7;--cost:#e0742b;--bad:#c9363e;--ok:#2f9e58}
@media (prefers-color-scheme:dark){:root{--bg:#14171c;--card:#1d2128;--ink:#e6e9ee;--dim:#98a1ad;--line:#2d333c}}
*{box-sizing:border-box}
body{margin:0;padding:16px 20px;background:var(--bg);color:var(--ink);font:14px/1.4 system-ui,sans-serif}
header{display:flex;align-items:baseline;gap:12px;margin-bottom:12px}
h1{font-size:18px;margin:0}
h2{font-size:13px;margin:0 0 8px;color:var(--dim);font-weight:600;text-transform:uppercase;letter-spacing:.04em}
#state{font-size:12px;color:var(--dim)}
#state.live::before{content:"\\25CF ";color:var(--ok)}
#state.down::before{content:"\\25CF ";color:var(--bad)}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px;margin-bottom:12px}
.tile,.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 12px}
.tile b{display:block;font-size:22px;font-variant-numeric:tabular-nums}
.tile span{color:var(--dim);font-size:12px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:12px}
.card{overflow-x:auto}
.wide{grid-column:1/-1}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{text-align:left;padding:3px 8px 3px 0;border-bottom:1px solid var(--line);white-space:nowrap}
th{color:var(--dim);font-weight:500;font-size:12px}
td.n,th.n{text-align:right}
tr.err td{color:var(--bad)}
.empty{color:var(--dim);font-style:italic}
svg{width:100%;height:auto;display:block}
svg .bar{fill:var(--tok)}
svg .costline{fill:none;stroke:var(--cost);stroke-width:2}
svg text{fill:var(--dim);font-size:10px}
.gap{margin-top:14px}
.legend{font-size:12px;color:var(--dim)}
.legend i{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px;vertical-align:-1px}
.legend .t{background:var(--tok)}.legend .c{background:var(--cost)}
`;

const SCRIPT = `
"use strict";
const $ = (id) => document.getElementById(id);
const fmtInt = (n) => n >= 1e6 ? (n / 1e6).toFixed(2) + "M" : n >= 1e4 ? (n / 1e3).toFixed(1) + "k" : String(n);
const fmtCost = (c) => c === null ? "?" : c === 0 ? "$0" : "$" + (c >= 1 ? c.toFixed(2) : c >= 0.0001 ? c.toFixed(4) : c.toPrecision(2));
const fmtSums = (s) => (s.unpriced ? "\\u2265 " : "") + fmtCost(s.cost);
const fmtMs = (ms) => ms === null ? "\\u2013" : ms >= 1000 ? (ms / 1000).toFixed(2) + " s" : Math.round(ms) + " ms";
const fmtTime = (t) => new Date(t).toLocaleTimeString([], { hour12: false });
function setText(id, text) { $(id).textContent = text; }
function fill(id, rows, empty) {
  const body = $(id).tBodies[0];
  body.replaceChildren();
  if (rows.length === 0) {
    const td = document.createElement("td");
    td.colSpan = $(id).tHead.rows[0].cells.length;
    td.className = "empty";
    td.textContent = empty;
    body.insertRow().append(td);
    return;
  }
  for (const row of rows) {
    const tr = body.insertRow();
    if (row.err) tr.className = "err";
    const head = $(id).tHead.rows[0].cells;
    row.cells.forEach((cell, i) => {
      const td = tr.insertCell();
      td.textContent = String(cell);
      td.className = head[i] ? head[i].className : "";
    });
  }
}
const SVG = "http://www.w3.org/2000/svg";
function svgEl(name, attrs, text) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}
function chart(minutes) {
  const svg = $("chart");
  const W = 600, H = 170, L = 44, R = 44, T = 8, B = 20;
  const w = (W - L - R) / minutes.length;
  const maxTok = Math.max(1, ...minutes.map((m) => m.tokens));
  const maxCost = Math.max(1e-6, ...minutes.map((m) => m.cost));
  const y = (v, max) => T + (H - T - B) * (1 - v / max);
  const parts = [svgEl("line", { x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: "currentColor", "stroke-opacity": 0.25 })];
  minutes.forEach((m, i) => {
    if (m.tokens > 0) {
      const top = y(m.tokens, maxTok);
      const bar = svgEl("rect", { x: L + i * w + 1, y: top, width: Math.max(1, w - 2), height: H - B - top, class: "bar" });
      bar.append(svgEl("title", {}, fmtTime(m.start) + ": " + fmtInt(m.tokens) + " tokens, " + fmtSums(m)));
      parts.push(bar);
    }
  });
  const points = minutes.map((m, i) => (L + (i + 0.5) * w).toFixed(1) + "," + y(m.cost, maxCost).toFixed(1)).join(" ");
  parts.push(svgEl("polyline", { points, class: "costline" }));
  parts.push(svgEl("text", { x: L - 4, y: T + 8, "text-anchor": "end" }, fmtInt(maxTok)));
  parts.push(svgEl("text", { x: L - 4, y: H - B, "text-anchor": "end" }, "0"));
  parts.push(svgEl("text", { x: W - R + 4, y: T + 8 }, fmtCost(maxCost)));
  parts.push(svgEl("text", { x: L, y: H - 4 }, fmtTime(minutes[0].start)));
  parts.push(svgEl("text", { x: W - R, y: H - 4, "text-anchor": "end" }, "now"));
  svg.replaceChildren(...parts);
}
function showSetup(setup) {
  fill("backends", setup.backends.map((b) => ({ cells: [b.name, b.kind, b.where, b.model ?? ""] })), "none");
  fill("routes", setup.routes.map((r) => ({ cells: [r.name, r.match, r.to.join(" \\u2192 ")] })), "none");
}
function showSummary(s) {
  setText("rpm", fmtInt(s.requestsPerMinute));
  setText("today-tokens", fmtInt(s.today.tokens));
  setText("today-cost", fmtSums(s.today));
  setText("today-note", (s.complete ? "" : "at least: ") + s.today.requests + " requests today");
  setText("start-tokens", fmtInt(s.sinceStart.tokens));
  setText("start-cost", fmtSums(s.sinceStart));
  setText("start-note", s.sinceStart.requests + " requests since start" + (s.sinceStart.unpriced ? ", " + s.sinceStart.unpriced + " unpriced" : ""));
  setText("errors-n", fmtInt(s.errors.reduce((n, e) => n + e.count, 0)));
  setText("fallbacks-n", fmtInt(s.fallbacks));
  chart(s.minutes);
  fill("recent", s.recent.map((r) => ({
    err: r.status >= 400,
    cells: [fmtTime(r.time), r.route ?? "", r.target, r.upstreamModel ?? r.model ?? "", r.errorType ? r.status + " " + r.errorType : r.status,
      r.fallbacks ? r.fallbacks : "", fmtInt(r.tokens), fmtCost(r.cost), fmtMs(r.totalMs)],
  })), "no request yet");
  fill("latency", s.latency.map((l) => ({
    cells: [l.backend, l.model, l.requests, fmtMs(l.ttfb.p50), fmtMs(l.ttfb.p90), fmtMs(l.ttfb.p99), fmtMs(l.total.p50), fmtMs(l.total.p90), fmtMs(l.total.p99)],
  })), "no successful request yet");
  fill("sessions", s.sessions.map((x) => ({ cells: [x.session.slice(0, 13), fmtTime(x.last), x.requests, fmtInt(x.tokens), fmtSums(x)] })), "no session yet");
  fill("errors", s.errors.map((e) => ({ err: true, cells: [e.type, e.count, fmtTime(e.last)] })), "no error");
  document.body.dataset.requests = String(s.sinceStart.requests);
}
function refused(status, text) {
  setText("state", text);
  $("state").className = "down";
  if (status !== 401) return;
  setText("help-url", location.origin + "/#key=YOUR_KEY");
  $("help").hidden = false;
}
function connect() {
  const events = new EventSource("/api/usage/events");
  events.addEventListener("open", () => { setText("state", "live"); $("state").className = "live"; });
  events.addEventListener("setup", (e) => showSetup(JSON.parse(e.data)));
  events.addEventListener("summary", (e) => showSummary(JSON.parse(e.data)));
  events.addEventListener("bye", () => { events.close(); setText("state", "relayx stopped"); $("state").className = "down"; });
  events.addEventListener("error", () => {
    // CLOSED: relayx refused the stream (a 401 or 403), and EventSource does not retry that.
    setText("state", events.readyState === EventSource.CLOSED ? "disconnected: reload the page" : "reconnecting");
    $("state").className = "down";
  });
}
// The key, when the URL's fragment has it, buys the cookie; the fragment leaves the address bar and the
// history before anything else happens.
async function start() {
  const given = /^#key=(.+)$/.exec(location.hash);
  if (given) {
    let key = given[1];
    try { key = decodeURIComponent(key); } catch { /* a key with a bare % is taken as typed */ }
    history.replaceState(null, "", location.pathname + location.search);
    const res = await fetch("/api/usage/session", { method: "POST", headers: { "x-api-key": key }, cache: "no-store" });
    if (!res.ok) return refused(res.status, res.status === 401 ? "wrong key" : "refused (" + res.status + ")");
  }
  // EventSource does not tell a 401 from a lost connection: one plain request does.
  const probe = await fetch("/api/usage", { cache: "no-store" });
  if (!probe.ok) return refused(probe.status, probe.status === 401 ? "relayx needs its key" : "refused (" + probe.status + ")");
  const first = await probe.json();
  showSetup(first.setup);
  showSummary(first.summary);
  connect();
}
start().catch(() => { setText("state", "relayx is not reachable: reload the page"); $("state").className = "down"; });
`;

const BODY = `
<header><h1>relayx</h1><span>live usage</span><span id="state">connecting</span></header>
<p id="help" class="card" hidden>relayx has a key (RELAYX_API_KEY): open this page once as <code id="help-url"></code> with the key after <code>#key=</code>. The part after # stays in the browser; relayx keeps the page open for this browser with a cookie.</p>
<section class="tiles">
<div class="tile"><span>requests / minute</span><b id="rpm">0</b></div>
<div class="tile"><span>tokens today</span><b id="today-tokens">0</b><span id="today-note"></span></div>
<div class="tile"><span>cost today</span><b id="today-cost">$0</b></div>
<div class="tile"><span>tokens since start</span><b id="start-tokens">0</b><span id="start-note"></span></div>
<div class="tile"><span>cost since start</span><b id="start-cost">$0</b></div>
<div class="tile"><span>errors</span><b id="errors-n">0</b></div>
<div class="tile"><span>fallbacks</span><b id="fallbacks-n">0</b></div>
</section>
<section class="grid">
<div class="card"><h2>Last hour</h2><svg id="chart" viewBox="0 0 600 170" role="img" aria-label="tokens and cost per minute"></svg>
<div class="legend"><i class="t"></i>tokens per minute<i class="c"></i>cost per minute</div></div>
<div class="card"><h2>Sessions</h2><table id="sessions"><thead><tr><th>session</th><th>last</th><th class="n">requests</th><th class="n">tokens</th><th class="n">cost</th></tr></thead><tbody></tbody></table></div>
<div class="card wide"><h2>Latest requests</h2><table id="recent"><thead><tr><th>time</th><th>route</th><th>target</th><th>model</th><th>status</th><th class="n">fallbacks</th><th class="n">tokens</th><th class="n">cost</th><th class="n">total</th></tr></thead><tbody></tbody></table></div>
<div class="card"><h2>Latency by backend and model</h2><table id="latency"><thead><tr><th>backend</th><th>model</th><th class="n">ok</th><th class="n">ttfb p50</th><th class="n">p90</th><th class="n">p99</th><th class="n">total p50</th><th class="n">p90</th><th class="n">p99</th></tr></thead><tbody></tbody></table></div>
<div class="card"><h2>Errors</h2><table id="errors"><thead><tr><th>type</th><th class="n">count</th><th>last</th></tr></thead><tbody></tbody></table></div>
<div class="card wide"><h2>Backends</h2><table id="backends"><thead><tr><th>name</th><th>kind</th><th>where</th><th>model</th></tr></thead><tbody></tbody></table>
<h2 class="gap">Routes</h2><table id="routes"><thead><tr><th>route</th><th>match</th><th>targets</th></tr></thead><tbody></tbody></table></div>
</section>
`;

/**
 * The page, with `nonce` on its inline style and script (the Content-Security-Policy allows those two and
 * nothing else). `nonce` must be base64 or hex (it is not escaped).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const html = pageHtml("abc123");
 * assert.match(html, /<script nonce="abc123">/);
 * assert.doesNotMatch(html, /src=|href="http/);
 * ```
 */
export function pageHtml(nonce: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>relayx usage</title><link rel="icon" href="data:,">
<style nonce="${nonce}">${STYLE}</style></head>
<body>${BODY}<script nonce="${nonce}">${SCRIPT}</script></body></html>
`;
}

// expacti dashboard. Every page is rendered from the JSON API with DOM nodes and textContent
// (never innerHTML with data), so commands and context cannot inject markup.
"use strict";

const $ = (sel) => document.querySelector(sel);
const meta = (n) => (document.querySelector(`meta[name="${n}"]`) || {}).content || "";
const CSRF = meta("csrf");
const ROLE = meta("role");

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const k of kids.flat(Infinity)) {
    if (k === null || k === undefined) continue;
    e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
  return e;
}

async function api(path, opts) {
  const o = Object.assign({ credentials: "same-origin", headers: {} }, opts || {});
  if (o.method && o.method !== "GET") {
    o.headers["X-CSRF-Token"] = CSRF;
    o.headers["Content-Type"] = "application/json";
  }
  const r = await fetch(path, o);
  if (r.status === 401) { location.href = "/login?next=" + encodeURIComponent(location.pathname); throw new Error("signed out"); }
  const text = await r.text();
  let body; try { body = JSON.parse(text); } catch (_) { body = { text }; }
  if (!r.ok) throw new Error((body && body.error) || `HTTP ${r.status}`);
  return body;
}

const RANK = { critical: 3, high: 2, medium: 1, low: 0 };
const ago = (iso) => {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 60 ? `${s}s ago` : s < 3600 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
};
const left = (iso) => {
  const s = Math.round((Date.parse(iso) - Date.now()) / 1000);
  if (s <= 0) return "timing out";
  return s < 120 ? `${s}s left` : `${Math.floor(s / 60)}m ${s % 60}s left`;
};
const risk = (r) => el("span", { class: `badge ${r.level}` }, `${r.level} ${r.score}`);

function events(onChange) {
  const live = $("#live");
  const es = new EventSource("/api/events");
  // On every (re)connection, reload: what changed while no stream was open is not lost.
  es.addEventListener("open", () => { if (live) live.textContent = "live"; onChange("*"); });
  es.addEventListener("error", () => { if (live) live.textContent = "reconnecting…"; });
  es.addEventListener("changed", (e) => onChange(e.data));
  return es;
}

// ---- queue ----
async function queuePage() {
  let known = null;
  const btn = $("#notify");
  if (!("Notification" in window)) btn.hidden = true;
  btn.addEventListener("click", () => subscribe().catch((e) => { $("#live").textContent = e.message; }));
  async function load() {
    const { requests } = await api("/api/requests?state=pending");
    // Riskiest first, then newest.
    requests.sort((a, b) => (RANK[b.risk.level] - RANK[a.risk.level]) || (Date.parse(b.requested_at) - Date.parse(a.requested_at)));
    const ul = $("#queue");
    ul.replaceChildren(...requests.map((r) => el("li", { class: `risk-${r.risk.level}`, "data-id": r.id },
      el("a", { href: `/requests/${r.id}` },
        el("div", { class: "cmd" }, r.command),
        el("div", { class: "meta" }, risk(r.risk), " ",
          [r.context.repository, r.context.environment, r.context.source, r.context.actor].filter(Boolean).join(" · "),
          " · ", ago(r.requested_at), " · ", left(r.timeout_at))))));
    $("#count").textContent = requests.length ? `(${requests.length})` : "";
    $("#empty").hidden = requests.length > 0;
    const ids = new Set(requests.map((r) => r.id));
    if (known && "Notification" in window && Notification.permission === "granted") {
      for (const r of requests) if (!known.has(r.id)) {
        new Notification(`expacti: ${r.risk.level} risk`, { body: r.command.slice(0, 200), tag: r.id });
      }
    }
    known = ids;
  }
  await load();
  events(() => load().catch(() => {}));
  setInterval(() => load().catch(() => {}), 30000);
}

// Web Push when the server has it (a notification even with no tab open), else the page's
// own notifications while this tab is open.
async function subscribe() {
  const perm = await Notification.requestPermission();
  if (perm !== "granted") throw new Error("notifications are blocked in this browser");
  if (!("serviceWorker" in navigator) || !("PushManager" in window)) return;
  let key;
  try { key = (await api("/api/push/key")).public_key; } catch (_) { return; }
  const reg = await navigator.serviceWorker.register("/sw.js");
  const raw = Uint8Array.from(atob(key.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
  const sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: raw });
  await api("/api/push/subscriptions", { method: "POST", body: JSON.stringify(sub.toJSON()) });
  $("#notify").textContent = "Notifications on";
}

function deliveriesTable(list) {
  if (!list.length) return el("p", { class: "hint" }, "No notifications sent for this request.");
  return el("table", { id: "deliveries" },
    el("thead", {}, el("tr", {}, ["target", "event", "status", "tries", "when", "detail"].map((h) => el("th", {}, h)))),
    el("tbody", {}, list.map((d) => el("tr", { class: d.status === "failed" ? "failed" : "" },
      el("td", {}, d.target), el("td", {}, d.event), el("td", {}, d.status), el("td", {}, d.attempts),
      el("td", {}, ago(d.at)), el("td", {}, d.detail || "")))));
}

// ---- request ----
function highlighted(command, reasons) {
  // Spans are byte offsets into the UTF-8 command.
  const bytes = new TextEncoder().encode(command);
  const dec = new TextDecoder();
  const spans = reasons.map((r) => r.span).filter((s) => s && s[1] > s[0]).sort((a, b) => a[0] - b[0]);
  const merged = [];
  for (const [s, e] of spans) {
    const last = merged[merged.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e); else merged.push([s, e]);
  }
  const pre = el("pre", { class: "command", id: "command" });
  let at = 0;
  for (const [s, e] of merged) {
    if (s > at) pre.append(dec.decode(bytes.slice(at, s)));
    pre.append(el("mark", {}, dec.decode(bytes.slice(s, e))));
    at = e;
  }
  if (at < bytes.length) pre.append(dec.decode(bytes.slice(at)));
  return pre;
}

async function requestPage() {
  const root = $("#request");
  const id = root.dataset.id;
  let r;
  let busy = false;
  async function decide(action) {
    if (busy || !r || r.state !== "pending") return;
    busy = true;
    const comment = ($("#comment") || {}).value || null;
    try {
      await api(`/api/requests/${id}/${action}`, { method: "POST", body: JSON.stringify({ comment }) });
      await load();
    } catch (e) {
      $("#decide-error").textContent = e.message;
    } finally { busy = false; }
  }
  async function load() {
    r = await api(`/api/requests/${id}`);
    let deliveries = [];
    try { deliveries = (await api(`/api/requests/${id}/deliveries`)).deliveries; } catch (_) { /* shown as none */ }
    const ev = r.evaluation || {};
    const routing = ev.routing || {};
    const reasons = (ev.risk && ev.risk.reasons) || [];
    const canDecide = r.state === "pending" && (ROLE === "reviewer" || ROLE === "admin");
    const ctx = r.context || {};
    const keys = ["repository", "workflow", "run_id", "job", "step", "sha", "ref", "actor", "environment", "host", "source", "cwd"];
    const decideBox = el("section", { class: "card decide", id: "decide" },
      el("h2", {}, r.state === "pending" ? "Decide" : "Decision"),
      r.state === "pending"
        ? el("p", {}, el("span", { class: "timeleft", id: "timeleft" }, left(r.timeout_at)),
            r.approvals_needed > 1 ? ` · needs ${r.approvals_needed} approvals, has ${r.approvals.length}` : "",
            r.on_timeout === "approve" ? " · approves on timeout" : " · denied on timeout")
        : el("p", { class: "state", id: "state" }, `${r.state}${r.reviewer ? " by " + r.reviewer : ""}${r.comment ? ": " + r.comment : ""}`),
      r.approvals.length ? el("p", { id: "approvals" }, "Approved so far: ", r.approvals.map((a) => a.reviewer).join(", ")) : null,
      canDecide ? el("textarea", { id: "comment", placeholder: "comment (optional)", "aria-label": "comment" }) : null,
      canDecide ? el("div", { class: "buttons" },
        el("button", { class: "approve", id: "approve", type: "button", onclick: () => decide("approve") }, "Approve ", el("kbd", {}, "a")),
        el("button", { class: "deny", id: "deny", type: "button", onclick: () => decide("deny") }, "Deny ", el("kbd", {}, "d"))) : null,
      r.state === "pending" && !canDecide ? el("p", { class: "hint", id: "viewer" }, "You can view this request but not decide it.") : null,
      el("p", { class: "error", id: "decide-error" }));
    root.replaceChildren(
      el("h1", {}, "Request ", risk(r.risk || ev.risk)),
      el("div", { class: "request-grid" },
        el("div", {},
          highlighted(r.command, reasons),
          el("section", { class: "card" }, el("h2", {}, "Risk"),
            el("p", {}, `Score ${ev.risk.score} (${ev.risk.level}). `, r.why),
            el("ul", { class: "reasons" }, reasons.map((x) => el("li", {}, x.detail, " ", el("code", {}, x.signal))))),
          el("section", { class: "card" }, el("h2", {}, "Parts"),
            el("ol", { class: "parts" }, (ev.parts || []).map((p) => el("li", {}, p.argv.join(" "), " — ", p.verdict, p.rule ? ` [${p.rule}]` : "", ": ", p.why)))),
          r.nearest ? el("section", { class: "card", id: "nearest" }, el("h2", {}, "Nearest rule"),
            el("p", {}, el("code", {}, r.nearest.rule), " ", el("code", {}, r.nearest.pattern)),
            el("ul", {}, r.nearest.differences.map((d) => el("li", {}, d)))) : null,
          el("section", { class: "card", id: "previous" }, el("h2", {}, "Before it in this run"),
            r.previous.length
              ? el("ol", { class: "parts" }, r.previous.map((p) => el("li", {}, p.command, ` — ${p.decision}`, p.exit_code !== null && p.exit_code !== undefined ? `, exit ${p.exit_code}` : "")))
              : el("p", { class: "hint" }, ctx.run_id ? "Nothing ran before it in this run." : "No run id in the context."))),
        el("div", {},
          decideBox,
          el("section", { class: "card", id: "routing" }, el("h2", {}, "Routing"),
            el("p", {}, routing.reviewers && routing.reviewers.length
              ? `May approve: ${routing.reviewers.join(", ")}` : "Any reviewer may approve",
              ctx.actor ? ` (not ${ctx.actor}, who asked)` : ""),
            r.escalated_at ? el("p", { id: "escalated" }, `Escalated ${ago(r.escalated_at)} to ${(routing.escalate_to || []).join(", ")}`)
              : r.escalate_at && r.state === "pending" ? el("p", {}, `Escalates to ${(routing.escalate_to || []).join(", ")} in ${left(r.escalate_at).replace(" left", "")}`) : null,
            deliveriesTable(deliveries)),
          el("section", { class: "card" }, el("h2", {}, "Context"),
            el("dl", { class: "context", id: "context" }, keys.filter((k) => ctx[k]).map((k) => [el("dt", {}, k), el("dd", {}, ctx[k])])),
            el("p", { class: "hint" }, `asked ${ago(r.requested_at)}`)))));
  }
  await load();
  document.addEventListener("keydown", (e) => {
    if (e.target && (e.target.tagName === "TEXTAREA" || e.target.tagName === "INPUT")) return;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "a") decide("approve");
    if (e.key === "d") decide("deny");
  });
  events((changed) => { if (changed === id || changed === "*") load().catch(() => {}); });
  setInterval(() => { const t = $("#timeleft"); if (t && r) t.textContent = left(r.timeout_at); }, 1000);
}

// ---- history ----
async function historyPage() {
  const form = $("#filters");
  const params = new URLSearchParams(location.search);
  for (const [k, v] of params) if (form.elements[k]) form.elements[k].value = v;
  async function load() {
    const q = new URLSearchParams();
    for (const e of form.elements) if (e.name && e.value) q.set(e.name, e.value);
    const qs = q.toString();
    $("#export-jsonl").href = `/api/history?format=jsonl&${qs}`;
    $("#export-csv").href = `/api/history?format=csv&${qs}`;
    const { requests } = await api(`/api/requests?limit=500&${qs}`);
    $("#rows").replaceChildren(...requests.map((r) => el("tr", {},
      el("td", {}, new Date(r.requested_at).toLocaleString()),
      el("td", { class: "cmd" }, el("a", { href: `/requests/${r.id}` }, r.command)),
      el("td", {}, risk(r.risk)),
      el("td", {}, r.state),
      el("td", {}, r.reviewer || ""),
      el("td", {}, r.exit_code === null || r.exit_code === undefined ? "" : String(r.exit_code)))));
  }
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    for (const x of form.elements) if (x.name && x.value) q.set(x.name, x.value);
    history.replaceState(null, "", `/history?${q}`);
    load();
  });
  await load();
  const s = await api("/api/audit/status");
  $("#chain").textContent = s.ok
    ? `audit chain: intact (${s.records} records, signed to ${s.covered_to || 0})`
    : `audit chain: BROKEN — ${s.findings.map((f) => f.message).join("; ")}`;
}

// ---- rules ----
async function rulesPage() {
  const p = await api("/api/policy");
  $("#lint").replaceChildren(p.lint.length
    ? el("ul", { class: "lint" }, p.lint.map((f) => el("li", {}, `line ${f.line}: ${f.message} (${f.kind})`)))
    : el("p", { class: "hint" }, `${p.path || "built-in policy"}: lint is clean.`));
  $("#rules").replaceChildren(...p.rules.map((r) => el("tr", {},
    el("td", {}, r.id), el("td", {}, r.action),
    el("td", { class: "cmd" }, r.regex ? `regex ${r.regex}` : (r.match || []).join("\n")),
    el("td", {}, String(r.hits)))));
  await suggestions();
}

async function suggestions() {
  const { suggestions } = await api("/api/suggestions");
  $("#no-suggestions").hidden = suggestions.length > 0;
  const pick = async (action, g) => {
    try {
      await api(`/api/suggestions/${action}`, { method: "POST", body: JSON.stringify({ pattern: g.pattern }) });
      $("#suggest-msg").textContent = action === "accept" ? `accepted: ${g.pattern}` : `dismissed: ${g.pattern}`;
      if (action === "accept") return rulesPage();
      return suggestions();
    } catch (e) { $("#suggest-msg").textContent = e.message; }
  };
  $("#suggestions").replaceChildren(...suggestions.map((g) => el("li", { class: `risk-${g.max_risk}`, "data-pattern": g.pattern },
    el("div", { class: "card" },
      el("div", { class: "cmd" }, g.pattern),
      el("div", { class: "meta" }, risk({ level: g.max_risk, score: "" }), ` ${g.support} approvals · e.g. `, el("code", {}, g.examples[0] || "")),
      g.note ? el("p", { class: "hint" }, g.note) : null,
      el("div", { class: "buttons" },
        ROLE === "admin" ? el("button", { type: "button", class: "accept", onclick: () => pick("accept", g) }, "Accept") : null,
        ROLE !== "viewer" ? el("button", { type: "button", class: "dismiss", onclick: () => pick("dismiss", g) }, "Dismiss") : null)))));
}

// ---- admin ----
async function adminPage() {
  const f = await api("/api/deliveries?status=failed");
  $("#failures").replaceChildren(f.deliveries.length ? deliveriesTable(f.deliveries) : el("p", { class: "hint" }, "No failed notifications."));
  for (const row of $("#failures").querySelectorAll("tbody tr")) {
    const d = f.deliveries[row.sectionRowIndex];
    row.firstChild.replaceChildren(el("a", { href: `/requests/${d.request}` }, d.target));
  }
  const t = await api("/api/admin/tokens");
  $("#tokens").replaceChildren(...t.tokens.map((x) => el("tr", {},
    el("td", {}, x.name), el("td", {}, [x.repository, x.environment].filter(Boolean).join(" / ") || "any"),
    el("td", {}, new Date(x.created_at).toLocaleString()),
    el("td", {}, x.revoked ? "revoked" : el("button", { type: "button", onclick: async () => {
      if (confirm(`Revoke ${x.name}?`)) { await api(`/api/admin/tokens/${x.id}/revoke`, { method: "POST", body: "{}" }); adminPage(); }
    } }, "Revoke")))));
  const r = await api("/api/admin/reviewers");
  $("#reviewers").replaceChildren(...r.reviewers.map((x) => el("tr", {}, el("td", {}, x.name), el("td", {}, x.role),
    el("td", {}, x.name === meta("me") ? "" : el("button", { type: "button", onclick: async () => {
      if (confirm(`Remove ${x.name}?`)) { await api(`/api/admin/reviewers/${encodeURIComponent(x.name)}/remove`, { method: "POST", body: "{}" }); adminPage(); }
    } }, "Remove")))));
}

function adminForms() {
  const form = (id, path, show) => $(id).addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = {};
    for (const x of e.target.elements) if (x.name) body[x.name] = x.value;
    try { show(await api(path, { method: "POST", body: JSON.stringify(body) })); e.target.reset(); adminPage(); }
    catch (err) { show({ error: err.message }); }
  });
  form("#new-token", "/api/admin/tokens", (t) => { $("#token-once").textContent = t.error || `shell token (shown once): ${t.token}`; });
  form("#new-reviewer", "/api/admin/reviewers", (r) => { $("#password-once").textContent = r.error || `password for ${r.name} (shown once): ${r.password}`; });
}

const pages = { queue: queuePage, request: requestPage, history: historyPage, rules: rulesPage, admin: () => { adminForms(); return adminPage(); } };
const run = pages[document.body.dataset.page];
if (run) run().catch((e) => { const m = document.querySelector("main"); m.prepend(el("p", { class: "error" }, e.message)); });

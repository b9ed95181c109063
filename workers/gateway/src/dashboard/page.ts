/**
 * The dashboard: status counts, the order and return lists (read model), the sagas that need attention or have
 * waited longest, one order's saga drawn as a graph of its steps (SVG) with the operator's buttons
 * (retry now, compensate, approve / decline a review) beside its timeline and its trace as a
 * waterfall across services, the order's returns (a return's timeline when one is picked), dead letters with a button that redrives those not yet
 * replayed, and RED charts per service (uPlot). A static page: it
 * holds no data and no secret; it asks for the admin token (or takes it from the URL fragment,
 * which never reaches a server) and calls the admin API with it. It refreshes every 2 seconds.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>edge-saga dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/uplot.css">
<style>
body { font: 14px system-ui, sans-serif; margin: 16px; color: #222; }
h1 { font-size: 18px; margin: 0 0 12px; } h2 { font-size: 15px; margin: 18px 0 8px; }
#counts span { display: inline-block; margin-right: 14px; padding: 4px 10px; border-radius: 12px; background: #f1f3f5; }
table { border-collapse: collapse; } td, th { padding: 3px 8px; border-bottom: 1px solid #eee; text-align: left; }
tr.order { cursor: pointer; } tr.order:hover { background: #f8f9fa; }
.cols { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
.wf-row { display: grid; grid-template-columns: 260px 1fr; align-items: center; height: 20px; font-size: 12px; }
.wf-track { position: relative; height: 14px; background: #f8f9fa; }
.wf-bar { position: absolute; top: 0; height: 14px; min-width: 2px; border-radius: 2px; }
.svc-gateway { background: #845ef7; } .svc-order { background: #0b6efd; } .svc-inventory { background: #2f9e44; }
.svc-billing { background: #e8590c; } .svc-shipping { background: #1098ad; } .svc-telemetry { background: #868e96; }
#charts { display: flex; gap: 12px; flex-wrap: wrap; }
#login { margin-bottom: 12px; }
.detail { display: grid; grid-template-columns: auto minmax(260px, 1fr) minmax(0, 1.2fr); gap: 16px; align-items: start; }
#graph { overflow-x: auto; }
#graph svg { font: 11px system-ui, sans-serif; } #graph .pivot { stroke: #495057; stroke-dasharray: 4 3; }
#graph .edge { stroke: #adb5bd; fill: none; } #graph rect { stroke: #495057; }
.st-not-sent { fill: #f1f3f5; } .st-sent { fill: #a5d8ff; } .st-waiting { fill: #ffe066; } .st-succeeded { fill: #8ce99a; }
.st-rejected { fill: #ffa8a8; } .st-undoing { fill: #ffc078; } .st-undone { fill: #ced4da; }
#actions button { margin-right: 6px; } #actions [hidden] { display: none; }
tr.attention td:first-child { color: #c92a2a; font-weight: 600; }
</style>
</head>
<body>
<h1>edge-saga</h1>
<div id="login"><label>Admin token <input id="token" type="password" size="30"></label> <button id="save">Use</button> <span id="error"></span></div>
<div id="counts"></div>
<div class="cols">
<div><h2>Orders</h2><table><thead><tr><th>id</th><th>status</th><th>customer</th><th>total</th><th>updated</th></tr></thead><tbody id="orders"></tbody></table></div>
<div><h2>Needs attention / waited longest</h2><table><thead><tr><th>order</th><th>phase</th><th>status</th><th>waiting</th></tr></thead><tbody id="attention"></tbody></table></div>
</div>
<h2>Returns</h2><table><thead><tr><th>id</th><th>order</th><th>status</th><th>amount</th><th>updated</th></tr></thead><tbody id="returns"></tbody></table>
<h2 id="selected">Select an order or a return</h2>
<table id="order-returns-table" hidden><thead><tr><th>return</th><th>status</th><th>lines</th><th>refunded</th></tr></thead><tbody id="order-returns"></tbody></table>
<div id="actions" hidden><button id="retry" title="Send what is in flight again now, not at its backoff deadline">Retry now</button><button id="compensate" title="Stop the saga and undo its steps (before its pivot)">Compensate</button><button id="approve" hidden>Approve review</button><button id="decline" hidden>Decline review</button> <span id="action-result"></span></div>
<div class="detail"><div id="graph"></div><div id="timeline"></div><div><h2>Trace</h2><div id="waterfall"></div></div></div>
<h2>Dead letters <button id="redrive">Redrive all not replayed</button> <span id="redriven"></span></h2>
<table><thead><tr><th>queue</th><th>type</th><th>reason</th><th>order</th><th>received</th><th>replayed</th></tr></thead><tbody id="letters"></tbody></table>
<h2>RED per service (requests/s, errors/s, mean ms)</h2>
<div id="charts"></div>
<script src="/dashboard/uplot.js"></script>
<script src="/dashboard/app.js"></script>
</body>
</html>`;

/** The page's script: plain DOM for tables and the waterfall, uPlot for the charts. */
export const DASHBOARD_JS = `(() => {
const $ = (id) => document.getElementById(id);
const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
if (fromHash) { sessionStorage.setItem("token", fromHash); history.replaceState(null, "", location.pathname); }
let token = sessionStorage.getItem("token") || "";
$("token").value = token;
$("save").onclick = () => { token = $("token").value; sessionStorage.setItem("token", token); refresh(); };
const api = async (path, text, body) => {
	const init = body === undefined ? {} : { method: "POST", body: JSON.stringify(body) };
	const res = await fetch(path, { ...init, headers: { authorization: "Bearer " + token, "content-type": "application/json" } });
	if (!res.ok) throw new Error(path + " answered " + res.status);
	return text ? res.text() : res.json();
};
const el = (tag, attrs, ...children) => {
	const e = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) k === "class" ? (e.className = v) : e.setAttribute(k, v);
	for (const c of children) e.append(c);
	return e;
};
let selected = null;
/** A return picked in either list: the detail shows its timeline, its order's returns stay listed. */
let selectedReturn = null;
const pickOrder = (id) => { selected = id; selectedReturn = null; detail(); };
const pickReturn = (id, orderId) => { selected = orderId; selectedReturn = id; detail(); };

async function counts() {
	const c = await api("/admin/orders/counts");
	$("counts").replaceChildren(...["pending", "confirmed", "shipped", "delivered", "cancelled"].map((s) => el("span", { "data-status": s }, s + ": " + (c[s] || 0))));
}

async function orders() {
	const page = await api("/orders?limit=20");
	$("orders").replaceChildren(...page.items.map((o) => {
		const row = el("tr", { class: "order", "data-order": o.id }, el("td", {}, o.id), el("td", {}, o.status + (o.failureReason ? " (" + o.failureReason + ")" : "")), el("td", {}, o.customerId), el("td", {}, String(o.total)), el("td", {}, o.updatedAt.slice(11, 19)));
		row.onclick = () => pickOrder(o.id);
		return row;
	}));
}

async function returns() {
	const page = await api("/returns?limit=20");
	$("returns").replaceChildren(...page.items.map((r) => {
		const row = el("tr", { class: "order" + (r.needsAttention ? " attention" : ""), "data-return": r.id, "data-return-order": r.orderId, "data-status": r.status },
			el("td", {}, r.id), el("td", {}, r.orderId), el("td", {}, r.status + (r.failureReason ? " (" + r.failureReason + ")" : "")),
			el("td", {}, r.amount + " " + r.currency), el("td", {}, r.updatedAt.slice(11, 19)));
		row.onclick = () => pickReturn(r.id, r.orderId);
		return row;
	}));
}

async function attention() {
	const page = await api("/admin/sagas?limit=10");
	const now = Date.now();
	$("attention").replaceChildren(...page.items.map((s) => {
		const row = el("tr", { class: "order" + (s.needsAttention ? " attention" : ""), "data-saga": s.orderId, "data-attention": String(s.needsAttention) },
			el("td", {}, (s.needsAttention ? "! " : "") + s.orderId), el("td", {}, s.phase), el("td", {}, s.status),
			el("td", {}, Math.round((now - Date.parse(s.updatedAt)) / 1000) + " s"));
		row.onclick = () => pickOrder(s.orderId);
		return row;
	}));
}

const SVG = "http://www.w3.org/2000/svg";
const svg = (tag, attrs, ...children) => {
	const e = document.createElementNS(SVG, tag);
	for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
	for (const c of children) e.append(c);
	return e;
};
const W = 190, H = 54, GAP = 36, VGAP = 14;
/** A label cut to the node's width; the node's title has all of it. */
const fit = (text) => text.length > 31 ? text.slice(0, 29) + ".." : text;
/** Columns by dependency depth, the compensable group, the pivot, then the retriable group. */
function drawGraph(g) {
	const lastCompensable = Math.max(-1, ...g.nodes.filter((n) => n.group === "compensable").map((n) => n.depth));
	const column = (n) => n.group === "compensable" ? n.depth : lastCompensable + 1 + n.depth;
	const rows = {};
	const at = {};
	for (const n of g.nodes) {
		const c = column(n);
		const r = rows[c] = (rows[c] || 0) + 1;
		at[n.name] = { x: 8 + c * (W + GAP) + (n.group === "retriable" ? GAP : 0), y: 24 + (r - 1) * (H + VGAP) };
	}
	const cols = Math.max(0, ...g.nodes.map(column)) + 1;
	const height = 24 + Math.max(1, ...Object.values(rows)) * (H + VGAP);
	const width = 16 + cols * (W + GAP) + GAP;
	const pivotX = 8 + (lastCompensable + 1) * (W + GAP) + GAP / 2;
	const parts = [svg("line", { class: "pivot", x1: pivotX, y1: 4, x2: pivotX, y2: height, "data-pivot": g.pastPivot ? "past" : "before" }),
		svg("text", { x: pivotX + 4, y: 14 }, "pivot" + (g.pastPivot ? " (passed)" : ""))];
	for (const n of g.nodes) for (const dep of n.after) {
		const a = at[dep], b = at[n.name];
		if (a && b) parts.push(svg("path", { class: "edge", d: "M" + (a.x + W) + " " + (a.y + H / 2) + " L" + b.x + " " + (b.y + H / 2), "data-edge": dep + ">" + n.name }));
	}
	for (const n of g.nodes) {
		const p = at[n.name];
		const line2 = n.status + (n.attempt ? " #" + n.attempt : "") + (n.deadline ? " until " + new Date(n.deadline).toISOString().slice(11, 19) : "");
		const line3 = n.wait ? "waits " + n.wait.event : n.compensation ? "undo: " + n.compensation : n.waitsFor ? "may wait " + n.waitsFor : "";
		parts.push(svg("g", { class: "node", "data-step": n.name, "data-status": n.status, "data-group": n.group, ...(n.wait ? { "data-waiting": n.wait.event } : {}) },
			svg("rect", { class: "st-" + n.status, x: p.x, y: p.y, width: W, height: H, rx: 6, "stroke-width": n.wait ? 3 : 1, "stroke-dasharray": n.compensation ? "" : "3 2" }),
			svg("text", { x: p.x + 6, y: p.y + 15, "font-weight": "600" }, fit(n.name)),
			svg("text", { x: p.x + 6, y: p.y + 31 }, fit(line2)),
			svg("text", { x: p.x + 6, y: p.y + 46, fill: "#495057" }, fit(line3)),
			svg("title", {}, JSON.stringify(n))));
	}
	$("graph").replaceChildren(el("div", { "data-phase": g.phase }, g.name + " v" + g.version + " · " + g.phase + (g.needsAttention ? " · needs attention" : "") + (g.failureReason ? " · " + g.failureReason : "")),
		svg("svg", { width, height, viewBox: "0 0 " + width + " " + height }, ...parts));
	const inFlight = g.nodes.some((n) => n.deadline !== null && (n.status === "sent" || n.status === "undoing"));
	const waiting = g.nodes.some((n) => n.wait && n.wait.event === "billing.payment-reviewed");
	$("actions").hidden = false;
	$("retry").disabled = !inFlight;
	$("compensate").disabled = g.phase !== "running" || g.pastPivot;
	$("approve").hidden = $("decline").hidden = !waiting;
}

/** Each button calls the admin API; the order records who acted (the token's admin). */
const act = (button, path, body) => {
	$(button).onclick = async () => {
		if (!selected) return;
		try {
			const url = path.replace("{id}", selected);
			await api(url, false, body || {});
			$("action-result").textContent = $(button).textContent + ": done";
		} catch (e) {
			$("action-result").textContent = String(e.message || e);
		}
		await detail();
	};
};
act("retry", "/admin/orders/{id}/saga/retry");
act("compensate", "/admin/orders/{id}/saga/compensate");
act("approve", "/admin/payments/{id}/review", { decision: "approve" });
act("decline", "/admin/payments/{id}/review", { decision: "decline" });

/** A saga's history, as time since its first entry. */
function drawTimeline(entries, of) {
	const start = Date.parse(entries[0]?.at || 0);
	$("timeline").replaceChildren(el("table", { "data-timeline": of }, ...entries.filter((e) => e.kind !== "ignored").map((e) =>
		el("tr", { "data-kind": e.kind, "data-name": e.name }, el("td", {}, "+" + (Date.parse(e.at) - start) + " ms"), el("td", {}, e.kind), el("td", {}, e.name + (e.detail && e.detail.by ? " by " + e.detail.by : ""))))));
}

/** The selected order's returns, from the order itself (not the read model): each opens its timeline. */
function drawOrderReturns(order) {
	const list = order.returns || [];
	$("order-returns-table").hidden = list.length === 0;
	$("order-returns").replaceChildren(...list.map((r) => {
		const row = el("tr", { class: "order", "data-order-return": r.id, "data-status": r.status, ...(r.id === selectedReturn ? { "data-selected": "true" } : {}) },
			el("td", {}, r.id), el("td", {}, r.status), el("td", {}, r.lines.map((l) => l.quantity + " x " + l.sku).join(", ")), el("td", {}, String(r.refunded)));
		row.onclick = () => pickReturn(r.id, order.id);
		return row;
	}));
}

/** A return's own saga: its state in words where an order has its graph, its history as the timeline. */
async function returnDetail(order) {
	const [r, h, t] = await Promise.all([api("/returns/" + selectedReturn), api("/returns/" + selectedReturn + "/history"), api("/admin/returns/" + selectedReturn + "/trace")]);
	$("selected").textContent = "Return " + r.id + " of order " + r.orderId;
	$("actions").hidden = true;
	$("graph").replaceChildren(el("div", { "data-phase": r.saga.phase, "data-return-status": r.status },
		r.saga.name + " v" + r.saga.version + " · " + r.saga.phase + " · " + r.status + (r.failureReason ? " · " + r.failureReason : "") + (r.saga.needsAttention ? " · needs attention" : "")),
		el("div", {}, r.amount + " " + r.currency + " for " + r.lines.map((l) => l.quantity + " x " + l.sku).join(", ") + " (" + r.reason + ")"),
		...(r.waitingFor ? [el("div", {}, "waits for " + r.waitingFor.event + " until " + r.waitingFor.until.slice(0, 19))] : []));
	drawTimeline(h.entries, r.id);
	drawWaterfall(t.spans);
	drawOrderReturns(order);
}

async function detail() {
	if (!selected) return;
	const order = await api("/orders/" + selected);
	if (selectedReturn) return returnDetail(order);
	$("selected").textContent = "Order " + selected;
	drawOrderReturns(order);
	const [h, t, g] = await Promise.all([api("/orders/" + selected + "/history"), api("/admin/orders/" + selected + "/trace"), api("/admin/orders/" + selected + "/saga")]);
	drawGraph(g);
	drawTimeline(h.entries, selected);
	drawWaterfall(t.spans);
}

/** A trace's spans as bars on one time axis, coloured by service. */
function drawWaterfall(spans) {
	const t0 = Math.min(...spans.map((s) => Date.parse(s.start)));
	const t1 = Math.max(...spans.map((s) => Date.parse(s.start) + s.durationMs), t0 + 1);
	$("waterfall").replaceChildren(...spans.map((s) => {
		const left = ((Date.parse(s.start) - t0) / (t1 - t0)) * 100;
		const width = Math.max((s.durationMs / (t1 - t0)) * 100, 0.3);
		return el("div", { class: "wf-row", "data-service": s.service }, el("span", {}, s.service + " · " + s.name),
			el("div", { class: "wf-track" }, el("div", { class: "wf-bar svc-" + s.service, style: "left:" + left + "%;width:" + width + "%", title: s.durationMs + " ms" })));
	}));
}

async function letters() {
	const box = await api("/admin/dead-letters");
	$("letters").replaceChildren(...box.items.map((l) => el("tr", { "data-letter": l.id, "data-replayed": l.replayedAt ? "yes" : "no" },
		el("td", {}, l.queue), el("td", {}, l.type || ""), el("td", {}, l.reason), el("td", {}, l.orderId || ""),
		el("td", {}, l.receivedAt.slice(11, 19)), el("td", {}, l.replayedAt ? l.replayedAt.slice(11, 19) + " by " + l.replayedBy : ""))));
}
$("redrive").onclick = async () => {
	try {
		const r = await api("/admin/dead-letters/redrive", false, {});
		$("redriven").textContent = r.redriven + " redriven" + (r.failed.length ? ", " + r.failed.length + " failed" : "");
		await letters();
	} catch (e) {
		$("error").textContent = String(e.message || e);
	}
};

const charts = new Map();
const last = new Map();
async function red() {
	const text = await api("/admin/metrics", true);
	const now = Date.now() / 1000;
	const totals = {};
	for (const line of text.split("\\n")) {
		const m = /^edge_saga_(http_requests|messages)_(total|errors_total|duration_ms_sum)\\{service="([^"]+)"[^}]*\\} ([0-9.e+]+)$/.exec(line);
		if (!m) continue;
		const t = (totals[m[3]] ||= { total: 0, errors_total: 0, duration_ms_sum: 0 });
		t[m[2]] += Number(m[4]);
	}
	for (const [service, t] of Object.entries(totals)) {
		const prev = last.get(service);
		last.set(service, { ...t, at: now });
		if (!prev) continue;
		const dt = now - prev.at || 1;
		const n = t.total - prev.total;
		const point = [n / dt, (t.errors_total - prev.errors_total) / dt, n > 0 ? (t.duration_ms_sum - prev.duration_ms_sum) / n : 0];
		let c = charts.get(service);
		if (!c) {
			const box = el("div", { "data-chart": service });
			$("charts").append(box);
			const data = [[], [], [], []];
			const plot = new uPlot({ title: service, width: 300, height: 160, series: [{}, { label: "req/s", stroke: "#0b6efd" }, { label: "err/s", stroke: "#e03131" }, { label: "ms", stroke: "#2f9e44", scale: "ms" }], axes: [{}, {}, { scale: "ms", side: 1 }] }, data, box);
			c = { plot, data };
			charts.set(service, c);
		}
		c.data[0].push(now); point.forEach((v, i) => c.data[i + 1].push(v));
		if (c.data[0].length > 150) c.data.forEach((s) => s.shift());
		c.plot.setData(c.data);
	}
}

async function refresh() {
	try {
		await Promise.all([counts(), orders(), returns(), attention(), letters(), red(), detail()]);
		$("error").textContent = "";
	} catch (e) {
		$("error").textContent = String(e.message || e);
	}
}
refresh();
setInterval(refresh, 2000);
})();`;

/**
 * The dashboard: status counts, the order list (read model), one order's saga timeline and its
 * trace as a waterfall across services, dead letters with a button that redrives those not yet
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
</style>
</head>
<body>
<h1>edge-saga</h1>
<div id="login"><label>Admin token <input id="token" type="password" size="30"></label> <button id="save">Use</button> <span id="error"></span></div>
<div id="counts"></div>
<div class="cols">
<div><h2>Orders</h2><table><thead><tr><th>id</th><th>status</th><th>customer</th><th>total</th><th>updated</th></tr></thead><tbody id="orders"></tbody></table></div>
<div><h2 id="selected">Select an order</h2><div id="timeline"></div><h2>Trace</h2><div id="waterfall"></div></div>
</div>
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

async function counts() {
	const c = await api("/admin/orders/counts");
	$("counts").replaceChildren(...["pending", "confirmed", "shipped", "delivered", "cancelled"].map((s) => el("span", { "data-status": s }, s + ": " + (c[s] || 0))));
}

async function orders() {
	const page = await api("/orders?limit=20");
	$("orders").replaceChildren(...page.items.map((o) => {
		const row = el("tr", { class: "order", "data-order": o.id }, el("td", {}, o.id), el("td", {}, o.status + (o.failureReason ? " (" + o.failureReason + ")" : "")), el("td", {}, o.customerId), el("td", {}, String(o.total)), el("td", {}, o.updatedAt.slice(11, 19)));
		row.onclick = () => { selected = o.id; detail(); };
		return row;
	}));
}

async function detail() {
	if (!selected) return;
	$("selected").textContent = "Order " + selected;
	const [h, t] = await Promise.all([api("/orders/" + selected + "/history"), api("/admin/orders/" + selected + "/trace")]);
	const start = Date.parse(h.entries[0]?.at || 0);
	$("timeline").replaceChildren(el("table", {}, ...h.entries.filter((e) => e.kind !== "ignored").map((e) =>
		el("tr", { "data-kind": e.kind }, el("td", {}, "+" + (Date.parse(e.at) - start) + " ms"), el("td", {}, e.kind), el("td", {}, e.name)))));
	const spans = t.spans;
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
		await Promise.all([counts(), orders(), letters(), red(), detail()]);
		$("error").textContent = "";
	} catch (e) {
		$("error").textContent = String(e.message || e);
	}
}
refresh();
setInterval(refresh, 2000);
})();`;

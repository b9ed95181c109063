import { Hono } from "hono";
import rapidocJs from "rapidoc/dist/rapidoc-min.js";
import uplotJs from "uplot/dist/uPlot.iife.min.js";
import uplotCss from "uplot/dist/uPlot.min.css";
import type { Gateway } from "../vars";
import { DASHBOARD_HTML, DASHBOARD_JS } from "./page";

/** The dashboard and the interactive API docs: static pages, the data behind them stays behind the admin scope. */
export const pageRoutes = new Hono<Gateway>();

const asset = (body: string, type: string) => () =>
	new Response(body, { headers: { "content-type": type, "cache-control": "public, max-age=3600" } });

pageRoutes.get("/dashboard", (c) => c.html(DASHBOARD_HTML));
pageRoutes.get("/dashboard/app.js", asset(DASHBOARD_JS, "text/javascript; charset=utf-8"));
pageRoutes.get("/dashboard/uplot.js", asset(uplotJs, "text/javascript; charset=utf-8"));
pageRoutes.get("/dashboard/uplot.css", asset(uplotCss, "text/css; charset=utf-8"));
pageRoutes.get("/docs/rapidoc.js", asset(rapidocJs, "text/javascript; charset=utf-8"));
pageRoutes.get("/docs", (c) =>
	c.html(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>edge-saga API</title><link rel="icon" href="data:,">
<script type="module" src="/docs/rapidoc.js"></script></head>
<body><rapi-doc spec-url="/openapi.json" load-fonts="false" render-style="read" show-header="false" allow-try="true" allow-authentication="true"></rapi-doc></body></html>`),
);

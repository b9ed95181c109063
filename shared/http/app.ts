import { Hono } from "hono";
import { routePath } from "hono/route";
import { log } from "../observability/log";
import { type AnalyticsEngine, observe, renderMetrics } from "../observability/metrics";
import { spanFields } from "../observability/span";
import { parseTraceparent } from "../observability/trace";
import { usage } from "../observability/usage";
import { notFound, onError } from "./problem";

/** Every Worker's Hono app starts the same: problem+json errors, a request log line, and /health. */
const ORDER_ID = /ord_[0-9a-f]{24}/;

// biome-ignore lint/complexity/noBannedTypes: Hono's own default for "no variables"
export function createApp<E extends object, V extends object = {}>(service: string, options: { internal: boolean }) {
	const app = new Hono<{ Bindings: E; Variables: V }>();
	app.onError(onError(service));
	app.notFound(notFound);
	app.use(async (c, next) => {
		const started = Date.now();
		await next();
		observe(
			"request",
			{ service, route: routePath(c, -1), method: c.req.method },
			Date.now() - started,
			c.res.status >= 500,
			(c.env as { METRICS?: AnalyticsEngine } | undefined)?.METRICS,
		);
		// The order a request is about, from its path or, for a new order, from the answer's Location.
		const orderId = ORDER_ID.exec(c.req.path)?.[0] ?? ORDER_ID.exec(c.res.headers.get("location") ?? "")?.[0];
		log.info(service, "request", {
			method: c.req.method,
			path: c.req.path,
			orderId,
			status: c.res.status,
			// The gateway answers with the span it started; a context's span is a child of its caller's.
			...spanFields(
				`${c.req.method} ${routePath(c, -1)}`,
				c.req.header("traceparent"),
				started,
				Date.now() - started,
				parseTraceparent(c.res.headers.get("traceparent")),
			),
			outcome: c.res.status < 400 ? "ok" : c.res.status < 500 ? "rejected" : "error",
		});
	});
	app.get("/health", (c) => c.json({ status: "ok", service }));
	if (options.internal) {
		// Internal Workers are reachable only through service bindings; the gateway sums these behind its admin scope.
		app.get("/admin/usage", (c) => c.json({ service, ...usage.snapshot() }));
		app.get("/admin/metrics", (c) => c.text(renderMetrics(), 200, { "content-type": "text/plain; version=0.0.4" }));
	}
	return app;
}

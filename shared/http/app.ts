import { Hono } from "hono";
import { log } from "../observability/log";
import { traceIdOf } from "../observability/trace";
import { notFound, onError } from "./problem";

/** Every Worker's Hono app starts the same: problem+json errors, a request log line, and /health. */
export function createApp<E extends object>(service: string) {
	const app = new Hono<{ Bindings: E }>();
	app.onError(onError(service));
	app.notFound(notFound);
	app.use(async (c, next) => {
		const started = Date.now();
		await next();
		log.info(service, "request", {
			method: c.req.method,
			path: c.req.path,
			status: c.res.status,
			traceId: traceIdOf(c.req.header("traceparent")),
			durationMs: Date.now() - started,
			outcome: c.res.status < 400 ? "ok" : c.res.status < 500 ? "rejected" : "error",
		});
	});
	app.get("/health", (c) => c.json({ status: "ok", service }));
	return app;
}

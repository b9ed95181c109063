import { createApp } from "../../../shared/http/app";
import { ProblemError } from "../../../shared/http/problem";
import { log } from "../../../shared/observability/log";
import { type Span, spanFromLog, toOtlp } from "./spans";

export { SpanStore } from "./span-store-do";

const SERVICE = "telemetry";

const store = (env: TelemetryEnv) => env.SPANS.get(env.SPANS.idFromName("recent"));

const app = createApp<TelemetryEnv>(SERVICE, { internal: true });

app.get("/traces/:traceId", async (c) => {
	const spans = await store(c.env).spansOf(c.req.param("traceId"));
	if (spans.length === 0) throw new ProblemError(404, "trace_not_found", "No spans are kept for this trace");
	return c.json({ traceId: c.req.param("traceId"), spans });
});

export default {
	fetch: app.fetch,
	/** Every other Worker's trace events: their log lines that carry a span are kept, and exported when a collector is set. */
	async tail(events, env) {
		const spans: Span[] = [];
		for (const event of events) {
			for (const line of event.logs) {
				const span = spanFromLog(Array.isArray(line.message) ? line.message : [line.message]);
				if (span) spans.push(span);
			}
		}
		if (spans.length === 0) return;
		await store(env).add(spans);
		const collector: string = env.OTLP_ENDPOINT;
		if (collector) {
			const res = await fetch(`${collector.replace(/\/$/, "")}/v1/traces`, {
				method: "POST",
				headers: { "content-type": "application/json" },
				body: JSON.stringify(toOtlp(spans)),
			}).catch((error: unknown) => ({ ok: false, status: String(error) }));
			if (!res.ok) log.warn(SERVICE, "otlp.export-failed", { outcome: "error", status: res.status });
		}
	},
} satisfies ExportedHandler<TelemetryEnv>;

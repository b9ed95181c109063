import { createApp } from "../../../shared/http/app";
import { ProblemError } from "../../../shared/http/problem";
import { log } from "../../../shared/observability/log";
import { keepsTrace, sampleRate } from "./sampling";
import { spansFromLog, toOtlp } from "./spans";

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
	/**
	 * Every other Worker's trace events: the spans in their log lines, of the traces sampled, are
	 * kept with one write to the store and exported with one call per invocation.
	 */
	async tail(events, env) {
		const rate = sampleRate(env.TRACE_SAMPLE_RATE);
		const spans = events
			.flatMap((event) => event.logs)
			.flatMap((line) => spansFromLog(Array.isArray(line.message) ? line.message : [line.message]))
			.filter((span) => keepsTrace(span.traceId, rate));
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

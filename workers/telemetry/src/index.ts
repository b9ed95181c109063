import { createApp } from "../../../shared/http/app";
import { ProblemError } from "../../../shared/http/problem";
import { log } from "../../../shared/observability/log";
import { exportSpans, otlpHeaders } from "./export";
import { keepsTrace, sampleRate } from "./sampling";
import { type Span, spansFromLog } from "./spans";
import { StoreBuffer } from "./store-buffer";

export { SpanStore } from "./span-store-do";

const SERVICE = "telemetry";

const store = (env: TelemetryEnv) => env.SPANS.get(env.SPANS.idFromName("recent"));

/** How long the store's spans are gathered before one write: a trace shows up in the API this much later. */
const STORE_WINDOW_MS = 250;
const storeBuffer = new StoreBuffer(STORE_WINDOW_MS);

const app = createApp<TelemetryEnv>(SERVICE, { internal: true });

app.get("/traces/:traceId", async (c) => {
	const spans = await store(c.env).spansOf(c.req.param("traceId"));
	if (spans.length === 0)
		throw new ProblemError(
			404,
			"trace_not_found",
			"No spans are kept for this trace: the store keeps the newest SPAN_RETENTION spans of the SPAN_STORE_SAMPLE_RATE share of traces",
		);
	return c.json({ traceId: c.req.param("traceId"), spans });
});

export default {
	fetch: app.fetch,
	/**
	 * Every other Worker's trace events: the spans in their log lines, of the traces sampled, are
	 * exported with one call per invocation and, for the share SPAN_STORE_SAMPLE_RATE of those
	 * traces, kept with one write to the store per STORE_WINDOW_MS. The two are independent: either
	 * failing is logged and loses nothing of the other.
	 */
	async tail(events, env, ctx) {
		const rate = sampleRate(env.TRACE_SAMPLE_RATE);
		// The store is one object: in production it sees only a sliver of traces, or none (see wrangler.toml).
		const storeRate = sampleRate(env.SPAN_STORE_SAMPLE_RATE, 0);
		const spans = events
			.flatMap((event) => event.logs)
			.flatMap((line) => spansFromLog(Array.isArray(line.message) ? line.message : [line.message]))
			.filter((span) => keepsTrace(span.traceId, rate));
		const stored = spans.filter((span) => keepsTrace(span.traceId, storeRate));
		const collector: string = env.OTLP_ENDPOINT;
		const keep = async (batch: Span[]) => {
			try {
				await store(env).add(batch);
			} catch (error) {
				log.error(SERVICE, "spans.store-failed", { outcome: "error", error: String(error), spans: batch.length });
			}
		};
		if (stored.length > 0) ctx.waitUntil(storeBuffer.add(stored, keep));
		if (collector && spans.length > 0) await exportSpans(collector, otlpHeaders(env.OTLP_HEADERS), spans);
	},
} satisfies ExportedHandler<TelemetryEnv>;

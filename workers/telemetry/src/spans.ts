/** Spans as the Workers log them (see shared/observability/span.ts), read back from tail events. Pure. */
export interface Span {
	traceId: string;
	spanId: string;
	parentSpanId: string | null;
	service: string;
	name: string;
	start: string;
	durationMs: number;
	status: string;
	orderId: string | null;
}

/** The span in a log line, if it carries one; lines may come with a prefix element before the JSON. */
export function spanFromLog(message: unknown[]): Span | null {
	const text = [...message].reverse().find((m) => typeof m === "string" && m.startsWith("{"));
	if (typeof text !== "string") return null;
	let line: Record<string, unknown>;
	try {
		line = JSON.parse(text);
	} catch {
		return null;
	}
	if (typeof line.span !== "string" || typeof line.traceId !== "string" || typeof line.spanId !== "string") return null;
	return {
		traceId: line.traceId,
		spanId: line.spanId,
		parentSpanId: typeof line.parentSpanId === "string" ? line.parentSpanId : null,
		service: String(line.service ?? "unknown"),
		name: line.span,
		start: String(line.start ?? line.ts),
		durationMs: Number(line.durationMs ?? 0),
		status: line.outcome === "error" || line.level === "error" ? "error" : "ok",
		orderId: typeof line.orderId === "string" ? line.orderId : null,
	};
}

/** OTLP/HTTP JSON (opentelemetry-proto ExportTraceServiceRequest) of a set of spans, grouped by service. */
export function toOtlp(spans: Span[]) {
	const byService = new Map<string, Span[]>();
	for (const s of spans) byService.set(s.service, [...(byService.get(s.service) ?? []), s]);
	const nanos = (iso: string, plusMs = 0) => String(BigInt(Date.parse(iso) + Math.round(plusMs)) * 1_000_000n);
	return {
		resourceSpans: [...byService].map(([service, list]) => ({
			resource: { attributes: [{ key: "service.name", value: { stringValue: service } }] },
			scopeSpans: [
				{
					scope: { name: "edge-saga" },
					spans: list.map((s) => ({
						traceId: s.traceId,
						spanId: s.spanId,
						...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
						name: s.name,
						kind: 1,
						startTimeUnixNano: nanos(s.start),
						endTimeUnixNano: nanos(s.start, s.durationMs),
						status: { code: s.status === "error" ? 2 : 1 },
						attributes: s.orderId ? [{ key: "order.id", value: { stringValue: s.orderId } }] : [],
					})),
				},
			],
		})),
	};
}

/**
 * Causal order: by start, and where clocks tie (a Worker's clock only moves on I/O, so hops often
 * share a millisecond) a span after the span it descends from.
 */
export function causalOrder(spans: Span[]): Span[] {
	const byId = new Map(spans.map((s) => [s.spanId, s]));
	const depth = (s: Span): number => {
		let d = 0;
		for (
			let p = s.parentSpanId ? byId.get(s.parentSpanId) : undefined;
			p && d < spans.length;
			p = p.parentSpanId ? byId.get(p.parentSpanId) : undefined
		)
			d++;
		return d;
	};
	const depths = new Map(spans.map((s) => [s, depth(s)]));
	return [...spans].sort(
		(a, b) => Date.parse(a.start) - Date.parse(b.start) || (depths.get(a) ?? 0) - (depths.get(b) ?? 0),
	);
}

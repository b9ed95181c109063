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

/**
 * The spans of a log line: its own, if it carries one, and those in its `spans` field (see
 * ChildSpan in shared/observability/span.ts). Lines may come with a prefix element before the JSON.
 */
export function spansFromLog(message: unknown[]): Span[] {
	const text = [...message].reverse().find((m) => typeof m === "string" && m.startsWith("{"));
	if (typeof text !== "string") return [];
	let line: Record<string, unknown>;
	try {
		line = JSON.parse(text);
	} catch {
		return [];
	}
	const service = String(line.service ?? "unknown");
	const orderId = typeof line.orderId === "string" ? line.orderId : null;
	const own = spanOf(line, service, orderId, line.outcome === "error" || line.level === "error");
	const children = Array.isArray(line.spans) ? line.spans : [];
	return [
		...(own ? [own] : []),
		...children.flatMap((child: unknown) => {
			if (typeof child !== "object" || child === null) return [];
			const c = child as Record<string, unknown>;
			const span = spanOf(
				{ ...c, traceId: c.traceId ?? line.traceId, parentSpanId: c.parentSpanId ?? own?.spanId },
				service,
				orderId,
				c.outcome === "error",
			);
			return span ? [span] : [];
		}),
	];
}

function spanOf(
	fields: Record<string, unknown>,
	service: string,
	orderId: string | null,
	failed: boolean,
): Span | null {
	const { span, traceId, spanId, parentSpanId } = fields;
	if (typeof span !== "string" || typeof traceId !== "string" || typeof spanId !== "string") return null;
	return {
		traceId,
		spanId,
		parentSpanId: typeof parentSpanId === "string" ? parentSpanId : null,
		service,
		name: span,
		start: String(fields.start ?? fields.ts),
		durationMs: Number(fields.durationMs ?? 0),
		status: failed ? "error" : "ok",
		orderId,
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

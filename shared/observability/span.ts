import { childSpan, parseTraceparent, type TraceContext } from "./trace";

/**
 * The span of one hop (a request, a message handled, a state transition), as fields of the log line
 * that hop writes anyway: trace id, span id, parent span id, span name, start and duration. The
 * telemetry Tail Worker collects them from every Worker's logs, so spans cost no extra call.
 */
export function spanFields(
	name: string,
	parent: string | null | undefined,
	startedAt: number,
	durationMs: number,
	self?: TraceContext | null,
): { traceId: string; spanId: string; parentSpanId?: string; span: string; start: string; durationMs: number } {
	const parentCtx = parseTraceparent(parent);
	const span = self ?? childSpan(parentCtx);
	return {
		traceId: span.traceId,
		spanId: span.spanId,
		...(parentCtx && parentCtx.spanId !== span.spanId ? { parentSpanId: parentCtx.spanId } : {}),
		span: name,
		start: new Date(startedAt).toISOString(),
		durationMs,
	};
}

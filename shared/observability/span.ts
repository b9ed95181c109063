import { type LogFields, log } from "./log";
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

/**
 * A span carried inside another line's `spans` field rather than on a line of its own: a fact of
 * a hop (a saga transition, a compensation) costs no log line. The telemetry Worker reads each as
 * a span of the line's service and order; `traceId` and `parentSpanId` are the line's own when left out.
 */
export interface ChildSpan {
	span: string;
	traceId?: string;
	spanId: string;
	parentSpanId?: string;
	start: string;
	durationMs: number;
	outcome?: string;
	attributes?: Record<string, unknown>;
}

/** An instant child span of the hop that `traceparent` names, e.g. a saga transition. */
export function childSpanAt(
	name: string,
	traceparent: string | null | undefined,
	at: number,
	attributes?: Record<string, unknown>,
): ChildSpan {
	const fields = spanFields(name, traceparent, at, 0);
	return {
		span: name,
		traceId: fields.traceId,
		spanId: fields.spanId,
		...(fields.parentSpanId ? { parentSpanId: fields.parentSpanId } : {}),
		start: fields.start,
		durationMs: 0,
		...(attributes && Object.keys(attributes).length > 0 ? { attributes } : {}),
	};
}

/**
 * Child spans gathered while an object works on one call, written as one line when the call ends:
 * a Durable Object whose decisions move state several times in one call logs once.
 */
export class SpanBatch {
	private spans: ChildSpan[] = [];

	add(span: ChildSpan): void {
		this.spans.push(span);
	}

	/** Writes what was gathered as one line (none when nothing was; `fields` is read only then) and starts a new batch. */
	write(service: string, event: string, fields: () => LogFields = () => ({})): void {
		const spans = this.spans;
		this.spans = [];
		if (spans.length > 0) log.info(service, event, { traceId: spans[0]?.traceId, ...fields(), spans });
	}
}

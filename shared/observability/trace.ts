/** W3C Trace Context: https://www.w3.org/TR/trace-context/ */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export interface TraceContext {
	traceId: string;
	spanId: string;
	flags: string;
}

function randomHex(bytes: number): string {
	const buf = crypto.getRandomValues(new Uint8Array(bytes));
	return Array.from(buf, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function parseTraceparent(header: string | null | undefined): TraceContext | null {
	const m = header ? TRACEPARENT.exec(header.trim()) : null;
	if (!m) return null;
	const [, traceId, spanId, flags] = m as unknown as [string, string, string, string];
	if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return null;
	return { traceId, spanId, flags };
}

export const formatTraceparent = (t: TraceContext) => `00-${t.traceId}-${t.spanId}-${t.flags}`;

/** A child span of `parent`, or the root of a new trace. */
export function childSpan(parent: TraceContext | null): TraceContext {
	return {
		traceId: parent?.traceId ?? randomHex(16),
		spanId: randomHex(8),
		flags: parent?.flags ?? "01",
	};
}

export const traceIdOf = (traceparent: string | null | undefined) => parseTraceparent(traceparent)?.traceId;

/** The trace and span ids of a traceparent, as log fields. */
export function traceFields(traceparent: string | null | undefined): { traceId?: string; spanId?: string } {
	const t = parseTraceparent(traceparent);
	return t ? { traceId: t.traceId, spanId: t.spanId } : {};
}

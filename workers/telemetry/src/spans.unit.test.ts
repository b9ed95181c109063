import { describe, expect, it } from "vitest";
import { causalOrder, type Span, spanFromLog, toOtlp } from "./spans";

const span = (spanId: string, parentSpanId: string | null, start: string, service = "s"): Span => ({
	traceId: "t".repeat(32),
	spanId,
	parentSpanId,
	service,
	name: spanId,
	start,
	durationMs: 1,
	status: "ok",
	orderId: null,
});

describe("spans from tail events", () => {
	it("reads a span from a log line, whatever prefix precedes the JSON, and ignores other lines", () => {
		const line = JSON.stringify({
			service: "order",
			traceId: "a".repeat(32),
			spanId: "b".repeat(16),
			parentSpanId: "c".repeat(16),
			span: "handle x",
			start: "2026-01-01T00:00:00.000Z",
			durationMs: 3,
			outcome: "ok",
			orderId: "ord_1",
		});
		expect(spanFromLog(["[order]", line])).toMatchObject({
			service: "order",
			name: "handle x",
			parentSpanId: "c".repeat(16),
			orderId: "ord_1",
		});
		expect(spanFromLog(["plain text"])).toBeNull();
		expect(spanFromLog([JSON.stringify({ event: "request" })])).toBeNull();
	});

	it("orders by start, parents before children when clocks tie", () => {
		const t = "2026-01-01T00:00:00.000Z";
		const ordered = causalOrder([
			span("child", "root", t),
			span("late", "root", "2026-01-01T00:00:01.000Z"),
			span("root", null, t),
		]);
		expect(ordered.map((s) => s.spanId)).toEqual(["root", "child", "late"]);
	});

	it("exports OTLP/HTTP JSON grouped by service, with nanosecond times", () => {
		const otlp = toOtlp([
			span("a", null, "2026-01-01T00:00:00.000Z", "gateway"),
			span("b", "a", "2026-01-01T00:00:00.000Z", "order"),
		]);
		expect(otlp.resourceSpans).toHaveLength(2);
		expect(otlp.resourceSpans[1]?.scopeSpans[0]?.spans[0]).toMatchObject({
			spanId: "b",
			parentSpanId: "a",
			startTimeUnixNano: "1767225600000000000",
			endTimeUnixNano: "1767225600001000000",
		});
	});
});

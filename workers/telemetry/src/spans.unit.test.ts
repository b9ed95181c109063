import { describe, expect, it } from "vitest";
import { causalOrder, type Span, spansFromLog, toOtlp } from "./spans";

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
		expect(spansFromLog(["[order]", line])).toMatchObject([
			{ service: "order", name: "handle x", parentSpanId: "c".repeat(16), orderId: "ord_1" },
		]);
		expect(spansFromLog(["plain text"])).toEqual([]);
		expect(spansFromLog(["{not json"])).toEqual([]);
		expect(spansFromLog([JSON.stringify({ event: "request" })])).toEqual([]);
	});

	it("reads the child spans a line carries, under the line's span or the parent each names", () => {
		const trace = "a".repeat(32);
		const line = JSON.stringify({
			service: "order",
			traceId: trace,
			spanId: "b".repeat(16),
			span: "handle shipping.delivered",
			start: "2026-01-01T00:00:00.000Z",
			orderId: "ord_1",
			spans: [
				{
					span: "transition status:delivered",
					spanId: "d".repeat(16),
					start: "2026-01-01T00:00:00.001Z",
					durationMs: 0,
				},
				{
					span: "compensation billing.void-payment",
					traceId: "e".repeat(32),
					spanId: "f".repeat(16),
					parentSpanId: "1".repeat(16),
					start: "2026-01-01T00:00:00.002Z",
					durationMs: 0,
					outcome: "error",
				},
				{ span: "no span id" },
				"not a span",
			],
		});
		expect(spansFromLog([line])).toEqual([
			expect.objectContaining({ name: "handle shipping.delivered", spanId: "b".repeat(16) }),
			expect.objectContaining({
				name: "transition status:delivered",
				traceId: trace,
				parentSpanId: "b".repeat(16),
				service: "order",
				orderId: "ord_1",
				status: "ok",
			}),
			expect.objectContaining({
				name: "compensation billing.void-payment",
				traceId: "e".repeat(32),
				parentSpanId: "1".repeat(16),
				status: "error",
			}),
		]);
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

import { afterEach, describe, expect, it, vi } from "vitest";
import { childSpanAt, SpanBatch } from "./span";
import { childSpan, formatTraceparent } from "./trace";

afterEach(() => vi.restoreAllMocks());

describe("child spans", () => {
	it("are instants under the span a traceparent names, in its trace", () => {
		const parent = childSpan(null);
		const at = Date.parse("2026-01-01T00:00:00.000Z");
		const span = childSpanAt("transition status:confirmed", formatTraceparent(parent), at, { reason: "x" });
		expect(span).toMatchObject({
			span: "transition status:confirmed",
			traceId: parent.traceId,
			parentSpanId: parent.spanId,
			start: "2026-01-01T00:00:00.000Z",
			durationMs: 0,
			attributes: { reason: "x" },
		});
		expect(span.spanId).toMatch(/^[0-9a-f]{16}$/);
		expect(span.spanId).not.toBe(parent.spanId);
		expect(childSpanAt("x", null, at)).not.toHaveProperty("parentSpanId");
	});

	it("gathered in a batch are written as one line, and an empty batch writes none", () => {
		const out = vi.spyOn(console, "log").mockImplementation(() => {});
		const parent = formatTraceparent(childSpan(null));
		const batch = new SpanBatch();
		const fields = vi.fn(() => ({ orderId: "ord_1" }));
		batch.write("order", "saga.decided", fields);
		expect(out).not.toHaveBeenCalled();
		expect(fields).not.toHaveBeenCalled();
		batch.add(childSpanAt("transition status:pending", parent, Date.now()));
		batch.add(childSpanAt("transition status:confirmed", parent, Date.now()));
		batch.write("order", "saga.decided", fields);
		batch.write("order", "saga.decided", fields);
		expect(out).toHaveBeenCalledTimes(1);
		const line = JSON.parse(String(out.mock.calls[0]?.[0]));
		expect(line).toMatchObject({ service: "order", event: "saga.decided", orderId: "ord_1" });
		expect(line.traceId).toBe(line.spans[0].traceId);
		expect(line.spans.map((s: { span: string }) => s.span)).toEqual([
			"transition status:pending",
			"transition status:confirmed",
		]);
	});
});

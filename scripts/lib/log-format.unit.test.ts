import { describe, expect, it } from "vitest";
import { readableLine, readableOutput } from "./log-format.ts";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const ORDER = "ord_5c7b34414fbd389b68c373e5";

const json = (fields: Record<string, unknown>) =>
	JSON.stringify({ ts: "2026-11-27T12:00:01.234Z", level: "info", ...fields });

describe("the readable log of npm start", () => {
	it("shows a request as time, service, route, status, duration, order and trace", () => {
		const line = json({
			service: "order",
			event: "request",
			method: "POST",
			path: "/orders",
			orderId: ORDER,
			status: 202,
			traceId: TRACE,
			spanId: "00f067aa0ba902b7",
			span: "POST /orders",
			durationMs: 12,
			outcome: "ok",
		});
		expect(readableLine(`[order] ${line}`)).toBe(
			`12:00:01.234 order     POST /orders 202 12ms ${ORDER} trace 4bf92f35`,
		);
	});

	it("names a message by its span and outcome, a repeat as a duplicate, and marks failures", () => {
		const handled = { service: "inventory", span: "handle inventory.reserve-stock", durationMs: 3, outcome: "ok" };
		expect(readableLine(json({ ...handled, event: "message.handled" }))).toBe(
			"12:00:01.234 inventory handle inventory.reserve-stock ok 3ms",
		);
		expect(readableLine(json({ ...handled, event: "message.duplicate" }))).toBe(
			"12:00:01.234 inventory handle inventory.reserve-stock duplicate 3ms",
		);
		expect(
			readableLine(
				json({ ...handled, level: "error", event: "message.failed", outcome: "error", error: "Error: boom" }),
			),
		).toBe("12:00:01.234 inventory ERROR handle inventory.reserve-stock error 3ms Error: boom");
		expect(readableLine(json({ service: "order", level: "warn", event: "dead-letters.kept", queue: "x" }))).toBe(
			"12:00:01.234 order     WARN dead-letters.kept",
		);
	});

	it("lists the child spans a saga object's line carries", () => {
		const line = json({
			service: "order",
			event: "saga.decided",
			orderId: ORDER,
			traceId: TRACE,
			spans: [{ span: "transition status:pending" }, { span: "transition status:confirmed" }],
		});
		expect(readableLine(`[order] ${line}`)).toBe(
			`12:00:01.234 order     transition status:pending, transition status:confirmed ${ORDER} trace 4bf92f35`,
		);
	});

	it("leaves out wrangler's request and queue lines and keeps everything else as it is", () => {
		expect(readableLine("[wrangler:info] POST /orders 202 Accepted (34ms)")).toBeNull();
		expect(readableLine("[wrangler:info] QUEUE order-events 1/1 (5ms)")).toBeNull();
		for (const other of [
			"[wrangler:info] Ready on http://127.0.0.1:8787",
			'env.CURRENCY ("EUR")   Environment Variable   local',
			"[order] {not json",
			'{"no":"ts or service"}',
			"",
		])
			expect(readableLine(other)).toBe(other);
	});

	it("writes whole lines only, whatever the chunks", () => {
		const written: string[] = [];
		const feed = readableOutput((t) => written.push(t));
		const line = json({ service: "gateway", event: "request", method: "GET", path: "/health", status: 200 });
		feed(`[gateway] ${line.slice(0, 20)}`);
		expect(written).toEqual([]);
		feed(`${line.slice(20)}\n[wrangler:info] GET /health 200 OK (1ms)\nReady`);
		feed("\n");
		expect(written).toEqual(["12:00:01.234 gateway   GET /health 200\n", "Ready\n"]);
	});
});

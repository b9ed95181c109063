import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
	call,
	currentCustomer,
	envelope,
	eventually,
	expectProblem,
	history,
	orderBody,
	placeOrder,
	publish,
	restock,
	sagaIdle,
	uniqueSku,
} from "../support/client";

describe("read model", () => {
	it("lists the caller's orders by status with cursor pagination, from the projection", async () => {
		const sku = uniqueSku("LIST");
		await restock(sku, 10);
		const ids: string[] = [];
		for (let i = 0; i < 3; i++) ids.push((await placeOrder(orderBody([{ sku, quantity: 1 }]))).id);
		await Promise.all(ids.map((id) => sagaIdle(id, "delivered")));
		const first = await eventually(
			() => call("GET", "/orders?limit=2"),
			(r) => r.json.items.length === 2 && r.json.items.every((o: { status: string }) => o.status === "delivered"),
		);
		expect(first.json.nextCursor).toEqual(expect.any(String));
		const second = await call("GET", `/orders?limit=2&cursor=${encodeURIComponent(first.json.nextCursor)}`);
		expect(second.json.items).toHaveLength(1);
		expect(second.json.nextCursor).toBeNull();
		const listed = [...first.json.items, ...second.json.items].map((o: { id: string }) => o.id);
		expect(listed.sort()).toEqual([...ids].sort());
		// An admin finds them by customer.
		const byAdmin = await call("GET", `/orders?customerId=${currentCustomer()}&limit=10`, { as: "admin" });
		expect(byAdmin.json.items.map((o: { id: string }) => o.id).sort()).toEqual([...ids].sort());
		const none = await call("GET", "/orders?status=cancelled");
		expect(none.json.items).toEqual([]);
		expectProblem(await call("GET", "/orders?status=lost"), 422, "validation_failed");
		expectProblem(await call("GET", "/orders?cursor=garbage"), 400, "invalid_cursor");
	});
});

describe("one trace per order", () => {
	it("carries the client's traceparent through every service, as spans in causal order", async () => {
		const sku = uniqueSku("TRACE");
		await restock(sku, 2);
		// A trace of its own: other tests send fixed traceparents.
		const traceId = randomBytes(16).toString("hex");
		const clientSpan = "00f067aa0ba902b7";
		const res = await call("POST", "/orders", {
			body: orderBody([{ sku, quantity: 1 }]),
			headers: { "idempotency-key": uniqueSku("trace"), traceparent: `00-${traceId}-${clientSpan}-01` },
		});
		expect(res.status).toBe(202);
		expect(res.headers.get("traceparent")).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
		await sagaIdle(res.json.id, "delivered");
		const trace = await eventually(
			async () => (await call("GET", `/admin/orders/${res.json.id}/trace`, { as: "admin" })).json,
			(t) => {
				const services = new Set((t?.spans ?? []).map((s: { service: string }) => s.service));
				return (
					["gateway", "order", "inventory", "billing", "shipping"].every((s) => services.has(s)) &&
					t.spans.some((s: { name: string }) => s.name === "handle shipping.delivered")
				);
			},
		);
		expect(trace.traceId).toBe(traceId);
		const spans = trace.spans as {
			traceId: string;
			spanId: string;
			parentSpanId: string | null;
			service: string;
			name: string;
			start: string;
		}[];
		expect(spans.every((s) => s.traceId === traceId)).toBe(true);
		expect(spans[0]).toMatchObject({ service: "gateway", name: "POST /orders", parentSpanId: clientSpan });
		// Causal order: every span whose parent is in the trace starts no earlier than that parent.
		const startOf = new Map(spans.map((s) => [s.spanId, Date.parse(s.start)]));
		for (const s of spans) {
			const parent = s.parentSpanId ? startOf.get(s.parentSpanId) : undefined;
			if (parent !== undefined) expect(Date.parse(s.start), `${s.service}:${s.name}`).toBeGreaterThanOrEqual(parent);
		}
		const names = spans.map((s) => `${s.service}:${s.name}`);
		const at = (n: string) => names.indexOf(n);
		expect(at("inventory:handle inventory.reserve-line")).toBeGreaterThan(0);
		expect(at("billing:handle billing.authorize-payment")).toBeGreaterThan(
			at("inventory:handle inventory.reserve-line"),
		);
		expect(at("shipping:handle shipping.schedule-pickup")).toBeGreaterThan(
			at("billing:handle billing.authorize-payment"),
		);
		expect(at("order:handle shipping.delivered")).toBeGreaterThan(at("shipping:handle shipping.confirm-pickup"));
		expect(names).toContain("order:transition status:delivered");
	});
});

describe("RED metrics", () => {
	it("count requests per route and messages per type for every service, in Prometheus text", async () => {
		const sku = uniqueSku("METRICS");
		await restock(sku, 2);
		const placed = await placeOrder(orderBody([{ sku, quantity: 1 }]));
		await sagaIdle(placed.id, "delivered");
		const res = await call("GET", "/admin/metrics", { as: "admin" });
		expect(res.status).toBe(200);
		expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
		const count = (pattern: RegExp) => Number(pattern.exec(res.text)?.[1] ?? 0);
		expect(
			count(/^edge_saga_http_requests_total\{service="gateway",route="\/orders",method="POST"\} (\d+)$/m),
		).toBeGreaterThan(0);
		expect(
			count(/^edge_saga_messages_total\{service="billing",type="billing.capture-payment",outcome="ok"\} (\d+)$/m),
		).toBeGreaterThan(0);
		expect(
			count(/^edge_saga_messages_total\{service="order",type="shipping.delivered",outcome="ok"\} (\d+)$/m),
		).toBeGreaterThan(0);
		expect(res.text).toMatch(
			/^edge_saga_messages_duration_ms_bucket\{service="inventory",type="inventory.reserve-line",outcome="ok",le="\+Inf"\} \d+$/m,
		);
		expectProblem(await call("GET", "/admin/metrics", { as: "customer" }), 403, "forbidden");
	});
});

describe("dead letters", () => {
	it("keeps a poison message once with its reason, lists it, and replays it once", async () => {
		const id = uniqueSku("poison");
		const orderId = "ord_000000000000000000000000";
		const poison = envelope({
			id,
			type: "inventory.reserve-stock",
			correlationId: orderId,
			payload: { orderId, lines: [] },
		});
		for (let i = 0; i < 2; i++) {
			expect((await publish("inventory-commands", poison)).status).toBe(202);
		}
		const listed = await eventually(
			async () => (await call("GET", "/admin/dead-letters", { as: "admin" })).json.items as Record<string, unknown>[],
			(items) => items.some((l) => l.messageId === id && l.deliveries === 2),
		);
		const letters = listed.filter((l) => l.messageId === id);
		expect(letters).toHaveLength(1);
		expect(letters[0]).toMatchObject({
			queue: "inventory-commands",
			type: "inventory.reserve-stock",
			service: "inventory",
		});
		expect(String(letters[0]?.reason)).toMatch(/lines/);

		const letterId = encodeURIComponent(String(letters[0]?.id));
		const replay = await call("POST", `/admin/dead-letters/${letterId}/replay`, { as: "admin" });
		expect(replay.status).toBe(202);
		expect(replay.json).toMatchObject({ replayed: true });
		const again = await call("POST", `/admin/dead-letters/${letterId}/replay`, { as: "admin" });
		expect(again.status).toBe(200);
		expect(again.json).toMatchObject({ replayed: false });
		expectProblem(await call("POST", "/admin/dead-letters/nope/replay", { as: "admin" }), 404, "dead_letter_not_found");
		// Still poison: dead-lettered again, still one letter.
		await eventually(
			async () => (await call("GET", "/admin/dead-letters", { as: "admin" })).json.items as Record<string, unknown>[],
			(items) =>
				items.filter((l) => l.messageId === id).length === 1 &&
				items.some((l) => l.messageId === id && l.deliveries === 3),
		);
	});
});

describe("contention", () => {
	it("50 concurrent cancels and reads of one order give one linear history and one compensation of each step", async () => {
		const sku = uniqueSku("RACE");
		await restock(sku, 5);
		const placed = await placeOrder(orderBody([{ sku, quantity: 1 }], { paymentToken: "tok_review" }));
		await eventually(
			() => history(placed.id),
			(h) => h.some((e) => e.name === "billing.authorize-payment"),
		);
		const answers = await Promise.all(
			Array.from({ length: 50 }, (_, i) =>
				i % 2 === 0 ? call("POST", `/orders/${placed.id}/cancel`) : call("GET", `/orders/${placed.id}`),
			),
		);
		for (const a of answers) expect([200, 202, 409]).toContain(a.status);
		expect(answers.filter((a, i) => i % 2 === 0 && a.status === 202).length).toBeGreaterThan(0);
		await sagaIdle(placed.id, "cancelled");
		const entries = await history(placed.id);
		// One decision at a time: the decisions that wrote the history follow each other with no gap.
		const decisions = [...new Set(entries.map((e) => e.decision as number))];
		expect(decisions).toEqual(decisions.map((_, i) => i + 1));
		expect(entries.filter((e) => e.name === "cancel-requested")).toHaveLength(1);
		const compensations = entries.filter((e) => e.kind === "compensation" && e.messageId).map((e) => e.name);
		expect(compensations.sort()).toEqual(["billing.void-payment", "inventory.release-line", "shipping.cancel-pickup"]);
		expect((await call("GET", `/inventory/${sku}`)).json).toMatchObject({ reserved: 0, available: 5 });
	});
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
	address,
	call,
	expectInvariants,
	expectProblem,
	newKey,
	orderBody,
	placeOrder,
	restock,
	sagaIdle,
	uniqueSku,
} from "../support/client";

let sku = "";
const stock = async () => (await call("GET", `/inventory/${sku}`)).json;

beforeAll(async () => {
	sku = uniqueSku("API");
	await restock(sku, 1000, 500);
});
afterAll(async () => {
	await expectInvariants();
});

describe("Idempotency-Key", () => {
	it("replays the first response to the same key and body, and refuses another body with 422", async () => {
		const key = newKey();
		const body = orderBody([{ sku, quantity: 1 }]);
		const first = await call("POST", "/orders", { body, headers: { "idempotency-key": key } });
		const again = await call("POST", "/orders", { body, headers: { "idempotency-key": key } });
		expect(first.status).toBe(202);
		expect(first.headers.get("location")).toBe(`/orders/${first.json.id}`);
		expect(again.status).toBe(202);
		expect(again.json).toEqual(first.json);
		expect(again.headers.get("idempotent-replayed")).toBe("true");
		const other = await call("POST", "/orders", {
			body: orderBody([{ sku, quantity: 2 }]),
			headers: { "idempotency-key": key },
		});
		expectProblem(other, 422, "idempotency_key_reused");
		await sagaIdle(first.json.id, "delivered");
	});

	it("turns 10 concurrent identical requests into one order", async () => {
		const key = newKey();
		const body = orderBody([{ sku, quantity: 5 }]);
		const before = await stock();
		const answers = await Promise.all(
			Array.from({ length: 10 }, () => call("POST", "/orders", { body, headers: { "idempotency-key": key } })),
		);
		expect(answers.map((a) => a.status)).toEqual(Array(10).fill(202));
		expect(new Set(answers.map((a) => a.json.id)).size).toBe(1);
		// Every repeat gets the placement's own answer, also one that came while the placement waited.
		expect(new Set(answers.map((a) => JSON.stringify(a.json))).size).toBe(1);
		const id = answers[0]?.json.id as string;
		await sagaIdle(id, "delivered");
		expect((await stock()).committed - before.committed).toBe(5);
		const history = (await call("GET", `/orders/${id}/history`)).json.entries as { name: string }[];
		expect(history.filter((h) => h.name === "inventory.reserve-line")).toHaveLength(1);
	});
});

describe("auth", () => {
	it("401 without a valid token, 403 without the scope", async () => {
		expectProblem(await call("GET", `/inventory/${sku}`, { as: "none" }), 401, "unauthorized");
		expectProblem(await call("GET", `/inventory/${sku}`, { as: { token: "nope" } }), 401, "unauthorized");
		expectProblem(
			await call("GET", `/inventory/${sku}`, { as: "none", headers: { authorization: "Basic YTpi" } }),
			401,
			"unauthorized",
		);
		const forbidden = await call("PUT", `/inventory/${sku}`, { as: "customer", body: { onHand: 0, unitPrice: 1 } });
		expectProblem(forbidden, 403, "forbidden");
		expectProblem(
			await call("POST", "/admin/queues/order-events/messages", { as: "customer", body: {} }),
			403,
			"forbidden",
		);
		expect(await stock()).toMatchObject({ unitPrice: 500 });
		expect((await call("GET", "/health", { as: "none" })).status).toBe(200);
	});
});

describe("not found", () => {
	it("404 problem for unknown orders, SKUs, payments, shipments and routes", async () => {
		const unknown = "ord_ffffffffffffffffffffffff";
		expectProblem(await call("GET", `/orders/${unknown}`), 404, "order_not_found");
		expectProblem(await call("GET", `/orders/${unknown}/history`), 404, "order_not_found");
		expectProblem(await call("POST", `/orders/${unknown}/cancel`), 404, "order_not_found");
		expectProblem(await call("GET", "/inventory/NO-SUCH-SKU"), 404, "sku_not_found");
		expectProblem(await call("GET", `/payments/${unknown}`), 404, "payment_not_found");
		expectProblem(await call("GET", `/shipments/${unknown}`), 404, "shipment_not_found");
		expectProblem(await call("GET", "/no/such/route"), 404, "not_found");
	});
});

describe("bad input gets a clear problem and stores nothing", () => {
	const valid = () => orderBody([{ sku, quantity: 1 }]);
	const badOrders: [string, unknown, number, string][] = [
		["no items", { ...valid(), items: [] }, 422, "validation_failed"],
		["101 lines", { ...valid(), items: Array(101).fill({ sku, quantity: 1 }) }, 422, "validation_failed"],
		["quantity 0", { ...valid(), items: [{ sku, quantity: 0 }] }, 422, "validation_failed"],
		["quantity 1001", { ...valid(), items: [{ sku, quantity: 1001 }] }, 422, "validation_failed"],
		["fractional quantity", { ...valid(), items: [{ sku, quantity: 1.5 }] }, 422, "validation_failed"],
		["quantity as a string", { ...valid(), items: [{ sku, quantity: "1" }] }, 422, "validation_failed"],
		["an empty customerId", { ...valid(), customerId: "" }, 422, "validation_failed"],
		["empty paymentToken", { ...valid(), paymentToken: "" }, 422, "validation_failed"],
		["country not alpha-2", { ...valid(), shippingAddress: address("France") }, 422, "validation_failed"],
		["lower-case country", { ...valid(), shippingAddress: address("fr") }, 422, "validation_failed"],
		[
			"address without city",
			{ ...valid(), shippingAddress: { ...address(), city: undefined } },
			422,
			"validation_failed",
		],
		["unknown field", { ...valid(), coupon: "FREE" }, 422, "validation_failed"],
		["body is an array", [valid()], 422, "validation_failed"],
		["body is null", null, 422, "validation_failed"],
		["unknown SKU", orderBody([{ sku: "NO-SUCH-SKU", quantity: 1 }]), 422, "unknown_sku"],
		["SKU with a slash", orderBody([{ sku: "a/b", quantity: 1 }]), 422, "validation_failed"],
	];

	for (const [name, body, status, code] of badOrders) {
		it(`POST /orders with ${name} → ${status} ${code}, and its key stays unused`, async () => {
			const key = newKey();
			const res = await call("POST", "/orders", { body, headers: { "idempotency-key": key } });
			expectProblem(res, status, code);
			if (code === "validation_failed") expect(res.json.errors.length).toBeGreaterThan(0);
			// Nothing was stored under the key: the same key now places a fresh order.
			const fresh = await call("POST", "/orders", { body: valid(), headers: { "idempotency-key": key } });
			expect(fresh.status).toBe(202);
			expect(fresh.headers.get("idempotent-replayed")).toBeNull();
			expect(fresh.json.items).toEqual([{ sku, quantity: 1, unitPrice: 500 }]);
		});
	}

	it("a body naming another customer → 403 customer_mismatch, and its key stays unused", async () => {
		const key = newKey();
		const res = await call("POST", "/orders", {
			body: { ...valid(), customerId: "someone-else" },
			headers: { "idempotency-key": key },
		});
		expectProblem(res, 403, "customer_mismatch");
		const fresh = await call("POST", "/orders", { body: valid(), headers: { "idempotency-key": key } });
		expect(fresh.status).toBe(202);
		expect(fresh.headers.get("idempotent-replayed")).toBeNull();
		expect(fresh.json.customerId).not.toBe("someone-else");
	});

	it("malformed JSON → 400, wrong content type → 415, no Idempotency-Key → 400, bad key → 400", async () => {
		const headers = { "idempotency-key": newKey(), "content-type": "application/json" };
		expectProblem(await call("POST", "/orders", { rawBody: "{", headers }), 400, "malformed_json");
		expectProblem(
			await call("POST", "/orders", {
				rawBody: JSON.stringify(valid()),
				headers: { ...headers, "content-type": "text/plain" },
			}),
			415,
			"unsupported_media_type",
		);
		expectProblem(await call("POST", "/orders", { body: valid() }), 400, "idempotency_key_missing");
		expectProblem(
			await call("POST", "/orders", { body: valid(), headers: { "idempotency-key": "" } }),
			400,
			"idempotency_key_invalid",
		);
		expectProblem(
			await call("POST", "/orders", { body: valid(), headers: { "idempotency-key": "x".repeat(256) } }),
			400,
			"idempotency_key_invalid",
		);
	});

	it("a body over 64 KiB → 413 before it is parsed", async () => {
		const huge = { ...valid(), customerId: "x".repeat(70 * 1024) };
		expectProblem(
			await call("POST", "/orders", { body: huge, headers: { "idempotency-key": newKey() } }),
			413,
			"payload_too_large",
		);
	});

	it("bad inventory writes and bad path parameters change nothing", async () => {
		const quiet = uniqueSku("QUIET");
		const before = await restock(quiet, 7, 300);
		for (const body of [
			{ onHand: -1, unitPrice: 1 },
			{ onHand: 1 },
			{ onHand: 1, unitPrice: 1.5 },
			{ onHand: "7", unitPrice: 1 },
		]) {
			expectProblem(await call("PUT", `/inventory/${quiet}`, { as: "admin", body }), 422, "validation_failed");
		}
		expectProblem(
			await call("PUT", `/inventory/${"x".repeat(65)}`, { as: "admin", body: { onHand: 1, unitPrice: 1 } }),
			422,
			"validation_failed",
		);
		expectProblem(await call("GET", "/orders/not-an-order-id"), 422, "validation_failed");
		expectProblem(await call("GET", "/payments/123"), 422, "validation_failed");
		expect((await call("GET", `/inventory/${quiet}`)).json).toEqual(before);
	});

	it("on-hand stock cannot be set below what is reserved", async () => {
		const held = uniqueSku("HELD");
		await restock(held, 3);
		const order = await placeOrder(orderBody([{ sku: held, quantity: 2 }], { paymentToken: "tok_review" }));
		await (async () => {
			for (let i = 0; i < 100; i++) {
				if ((await call("GET", `/inventory/${held}`)).json.reserved === 2) return;
				await new Promise((r) => setTimeout(r, 50));
			}
		})();
		expectProblem(
			await call("PUT", `/inventory/${held}`, { as: "admin", body: { onHand: 1, unitPrice: 1 } }),
			409,
			"stock_below_reserved",
		);
		expect((await call("POST", `/orders/${order.id}/cancel`)).status).toBe(202);
		await sagaIdle(order.id, "cancelled");
	});
});

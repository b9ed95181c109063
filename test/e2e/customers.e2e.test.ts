import { createHash } from "node:crypto";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { experimental_readRawConfig } from "wrangler";
import { ROOT } from "../../scripts/lib/stack.ts";
import { BAD_TOKEN_KINDS, BAD_TOKENS } from "../support/bad-tokens";
import {
	call,
	eventually,
	expectInvariants,
	expectProblem,
	newKey,
	orderBody,
	restock,
	uniqueSku,
} from "../support/client";

/** Two customers, each with their own token, and an admin, through the whole system. */
const MISSING = `ord_${"d".repeat(24)}`;

afterAll(async () => {
	await expectInvariants();
});

/** Waits, as `customer`, until their order is idle in `status`. */
const idleAs = (customer: string, id: string, status: string) =>
	eventually(
		async () => (await call("GET", `/orders/${id}`, { as: { customer } })).json,
		(o) => o.status === status && ["completed", "compensated"].includes(o.saga.phase),
	);

async function placeAs(customer: string, body: unknown, key = newKey()) {
	const res = await call("POST", "/orders", { as: { customer }, body, headers: { "idempotency-key": key } });
	expect(res.status, res.text).toBe(202);
	return res.json as { id: string; customerId: string };
}

describe("two customers", () => {
	it("each see only their own orders: the other's read, history, cancel, payment and shipment are 404 as if missing; an admin sees both", async () => {
		const sku = uniqueSku("MINE");
		await restock(sku, 20);
		const ada = uniqueSku("ada");
		const bob = uniqueSku("bob");
		const adas = await placeAs(ada, orderBody([{ sku, quantity: 1 }]));
		// Bob's stays cancellable (held in payment review), so his own cancel can be seen to work.
		const bobs = await placeAs(bob, orderBody([{ sku, quantity: 1 }], { paymentToken: "tok_review" }));
		expect(adas.customerId).toBe(ada);
		expect(bobs.customerId).toBe(bob);
		await idleAs(ada, adas.id, "delivered");

		const paths: [string, (id: string) => string, string][] = [
			["GET", (id) => `/orders/${id}`, "order_not_found"],
			["GET", (id) => `/orders/${id}/history`, "order_not_found"],
			["POST", (id) => `/orders/${id}/cancel`, "order_not_found"],
			["GET", (id) => `/payments/${id}`, "payment_not_found"],
			["GET", (id) => `/shipments/${id}`, "shipment_not_found"],
		];
		for (const [me, theirs] of [
			[ada, bobs.id],
			[bob, adas.id],
		] as const) {
			for (const [method, path, code] of paths) {
				const foreign = await call(method, path(theirs), { as: { customer: me } });
				const missing = await call(method, path(MISSING), { as: { customer: me } });
				expectProblem(foreign, 404, code);
				expect({ ...foreign.json, instance: null }).toEqual({ ...missing.json, instance: null });
				expect(foreign.text).not.toContain(me === ada ? bob : ada);
			}
		}
		// Each one's own order answers them, payment and shipment included.
		for (const [who, order] of [
			[ada, adas],
			[bob, bobs],
		] as const) {
			expect((await call("GET", `/orders/${order.id}`, { as: { customer: who } })).json).toMatchObject({
				id: order.id,
				customerId: who,
			});
			expect((await call("GET", `/orders/${order.id}/history`, { as: { customer: who } })).status).toBe(200);
		}
		expect((await call("GET", `/payments/${adas.id}`, { as: { customer: ada } })).json).toMatchObject({
			status: "captured",
		});
		expect((await call("GET", `/shipments/${adas.id}`, { as: { customer: ada } })).status).toBe(200);

		// Lists: each their own, whatever the query names; the admin both.
		const listed = (who: string, query = "") =>
			eventually(
				async () =>
					(
						(await call("GET", `/orders?limit=100${query}`, { as: { customer: who } })).json.items as { id: string }[]
					).map((o) => o.id),
				(ids) => ids.length > 0,
			);
		expect(await listed(ada)).toEqual([adas.id]);
		expect(await listed(ada, `&customerId=${bob}`)).toEqual([adas.id]);
		expect(await listed(bob)).toEqual([bobs.id]);
		for (const [who, order] of [
			[ada, adas],
			[bob, bobs],
		] as const) {
			const byAdmin = await call("GET", `/orders?customerId=${who}`, { as: "admin" });
			expect(byAdmin.json.items.map((o: { id: string }) => o.id)).toEqual([order.id]);
			expect((await call("GET", `/orders/${order.id}`, { as: "admin" })).json.customerId).toBe(who);
		}

		// Ada's cancel of Bob's order changed nothing; Bob's own cancel does.
		expect((await call("GET", `/orders/${bobs.id}/history`, { as: { customer: bob } })).text).not.toContain(
			"cancel-requested",
		);
		expect((await call("POST", `/orders/${bobs.id}/cancel`, { as: { customer: bob } })).status).toBe(202);
		expect((await idleAs(bob, bobs.id, "cancelled")).failureReason).toBe("customer_cancelled");
	});

	it("use Idempotency-Keys of their own: the same key and body make two orders", async () => {
		const sku = uniqueSku("KEYS");
		await restock(sku, 10);
		const key = newKey();
		const [ada, bob] = [uniqueSku("ada"), uniqueSku("bob")];
		const a = await placeAs(ada, orderBody([{ sku, quantity: 1 }]), key);
		const b = await placeAs(bob, orderBody([{ sku, quantity: 1 }]), key);
		expect(a.id).not.toBe(b.id);
		await Promise.all([idleAs(ada, a.id, "delivered"), idleAs(bob, b.id, "delivered")]);
	});
});

describe("tokens", () => {
	for (const kind of BAD_TOKEN_KINDS) {
		it(`answers 401 to a token that is ${kind}, on every route that needs one`, async () => {
			const customer = uniqueSku("victim");
			const token = await BAD_TOKENS[kind](customer);
			for (const [method, path] of [
				["GET", "/orders"],
				["POST", "/orders"],
				["GET", `/orders/${MISSING}`],
				["GET", "/inventory/ANY-SKU"],
				["GET", `/payments/${MISSING}`],
				["GET", "/admin/usage"],
			] as const) {
				const res = await call(method, path, {
					as: { token },
					body: method === "POST" ? orderBody([{ sku: "ANY-SKU", quantity: 1 }]) : undefined,
					headers: { "idempotency-key": newKey() },
				});
				expectProblem(res, 401, "unauthorized");
				expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
			}
		});
	}
});

describe("rate limit", () => {
	const gateway = experimental_readRawConfig({ config: join(ROOT, "wrangler.toml") }).rawConfig as {
		ratelimits: { name: string; simple: { limit: number; period: number } }[];
	};
	const { limit, period } = gateway.ratelimits.find((r) => r.name === "ORDER_RATE_LIMIT")?.simple ?? {
		limit: 0,
		period: 0,
	};

	it("answers POST /orders over the customer's limit with 429 and Retry-After, and stores nothing", async () => {
		expect(limit).toBeGreaterThan(0);
		const customer = uniqueSku("eager");
		const sku = uniqueSku("RATE");
		await restock(sku, 10);
		// The local limiter counts in fixed windows on the clock: start with enough of one left that the burst fits.
		const left = period * 1000 - (Date.now() % (period * 1000));
		if (left < 15_000) await new Promise((r) => setTimeout(r, left + 100));
		// Every attempt counts, refused ones too: these stop at the missing Idempotency-Key.
		for (let i = 0; i < limit - 1; i++) {
			const res = await call("POST", "/orders", { as: { customer }, body: orderBody([{ sku, quantity: 1 }]) });
			expect(res.status).toBe(400);
		}
		const last = await placeAs(customer, orderBody([{ sku, quantity: 1 }]));
		const key = newKey();
		const over = await call("POST", "/orders", {
			as: { customer },
			body: orderBody([{ sku, quantity: 1 }]),
			headers: { "idempotency-key": key },
		});
		expectProblem(over, 429, "rate_limited");
		expect(over.headers.get("retry-after")).toBe(String(period));
		// Nothing stored: the customer has the one order, and another customer is not held back.
		const mine = await eventually(
			async () => (await call("GET", "/orders", { as: { customer } })).json.items as { id: string }[],
			(items) => items.length > 0,
		);
		expect(mine.map((o) => o.id)).toEqual([last.id]);
		const wouldBe = `ord_${createHash("sha256")
			.update(JSON.stringify([customer, key]))
			.digest("hex")
			.slice(0, 24)}`;
		expectProblem(await call("GET", `/orders/${wouldBe}`, { as: "admin" }), 404, "order_not_found");
		await idleAs(customer, last.id, "delivered");
		await placeAs(uniqueSku("patient"), orderBody([{ sku, quantity: 1 }]));
	}, 60_000);
});

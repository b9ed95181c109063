import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, CUSTOMER, call, orderBody, uniqueSku } from "./gateway";

/** These reach the real inventory and order Workers over the gateway's service bindings. */
describe("forwarding to the contexts", () => {
	it("restocks through inventory as admin and reads the stock back as a customer", async () => {
		const sku = uniqueSku("FWD");
		const put = await call("PUT", `/inventory/${sku}`, { auth: ADMIN, body: { onHand: 7, unitPrice: 1250 } });
		expect(put.status).toBe(200);
		const got = await call("GET", `/inventory/${sku}`, { auth: CUSTOMER });
		expect(got.status).toBe(200);
		expect(got.json).toMatchObject({ sku, onHand: 7, available: 7, unitPrice: 1250 });
	});

	it("passes a context's problem through unchanged", async () => {
		const res = await call("GET", `/inventory/${uniqueSku("NEVER")}`, { auth: CUSTOMER });
		expect(res.status).toBe(404);
		expect(res.headers.get("content-type")).toBe("application/problem+json");
		expect(res.json.code).not.toBe("not_found");
	});

	it("refuses an order for a SKU inventory does not sell with 422 unknown_sku", async () => {
		const sku = uniqueSku("GHOST");
		const res = await call("POST", "/orders", {
			auth: CUSTOMER,
			headers: { "idempotency-key": `ghost-${sku}` },
			body: orderBody(sku),
		});
		expect(res.status).toBe(422);
		expect(res.json).toMatchObject({ code: "unknown_sku", skus: [sku] });
	});

	it("refuses an order naming a sold and an unsold SKU before anything is reserved", async () => {
		const sold = uniqueSku("SOLD");
		const ghost = uniqueSku("GHOST");
		await call("PUT", `/inventory/${sold}`, { auth: ADMIN, body: { onHand: 5, unitPrice: 100 } });
		const body = orderBody(sold, 2);
		const res = await call("POST", "/orders", {
			auth: CUSTOMER,
			headers: { "idempotency-key": `mixed-${sold}` },
			body: { ...body, items: [...body.items, { sku: ghost, quantity: 1 }] },
		});
		expect(res.status).toBe(422);
		expect(res.json).toMatchObject({ code: "unknown_sku", skus: [ghost] });
		expect((await call("GET", `/inventory/${sold}`, { auth: CUSTOMER })).json).toMatchObject({ reserved: 0 });
	});

	it("refuses an order naming one SKU twice with 422 duplicate_sku, storing nothing under its key", async () => {
		const sku = uniqueSku("TWICE");
		await call("PUT", `/inventory/${sku}`, { auth: ADMIN, body: { onHand: 5, unitPrice: 100 } });
		const key = { "idempotency-key": `twice-${sku}` };
		const body = orderBody(sku, 1);
		const res = await call("POST", "/orders", {
			auth: CUSTOMER,
			headers: key,
			body: { ...body, items: [...body.items, { sku, quantity: 2 }] },
		});
		expect(res.status).toBe(422);
		expect(res.headers.get("content-type")).toBe("application/problem+json");
		expect(res.json).toMatchObject({ code: "duplicate_sku", skus: [sku] });
		expect((await call("GET", `/inventory/${sku}`, { auth: CUSTOMER })).json).toMatchObject({ reserved: 0 });
		// The key is still free: the same key with one line per SKU places the order, not a replay.
		const placed = await call("POST", "/orders", { auth: CUSTOMER, headers: key, body: orderBody(sku, 3) });
		expect(placed.status).toBe(202);
		expect(placed.headers.get("idempotent-replayed")).toBeNull();
	});

	it("places an order priced by inventory; the same key replays it, another body under it is refused", async () => {
		const sku = uniqueSku("PLACE");
		await call("PUT", `/inventory/${sku}`, { auth: ADMIN, body: { onHand: 10, unitPrice: 990 } });
		const key = { "idempotency-key": `place-${sku}` };
		const placed = await call("POST", "/orders", { auth: CUSTOMER, headers: key, body: orderBody(sku, 2) });
		expect(placed.status).toBe(202);
		const id = placed.json.id as string;
		expect(id).toMatch(/^ord_[0-9a-f]{24}$/);

		const again = await call("POST", "/orders", { auth: CUSTOMER, headers: key, body: orderBody(sku, 2) });
		expect(again.status).toBe(202);
		expect(again.json.id).toBe(id);
		const other = await call("POST", "/orders", { auth: CUSTOMER, headers: key, body: orderBody(sku, 3) });
		expect(other.status).toBe(422);

		const read = await call("GET", `/orders/${id}`, { auth: CUSTOMER });
		expect(read.status).toBe(200);
		expect(read.json).toMatchObject({ id, customerId: "cust-gw" });
		expect(JSON.stringify(read.json)).toContain('"unitPrice":990');
	});

	it("prices orders from a price read lately; a change through this gateway applies at once, PRICE_CACHE_MS 0 reads every time", async () => {
		const sku = uniqueSku("PRICED");
		await call("PUT", `/inventory/${sku}`, { auth: ADMIN, body: { onHand: 20, unitPrice: 990 } });
		let n = 0;
		// A TTL longer than the test, so a slow runtime cannot expire the price it checks is kept.
		const priceOf = async (settings: Record<string, string> = { PRICE_CACHE_MS: "600000" }) => {
			const placed = await call("POST", "/orders", {
				auth: CUSTOMER,
				headers: { "idempotency-key": `priced-${sku}-${++n}` },
				body: orderBody(sku),
				env: settings,
			});
			expect(placed.status).toBe(202);
			return (placed.json.items as { unitPrice: number }[])[0]?.unitPrice;
		};
		expect(await priceOf()).toBe(990);
		// Changed as another gateway instance would: straight at inventory, this instance not told.
		const changed = await (env as unknown as GatewayEnv).INVENTORY.fetch(`https://internal/inventory/${sku}`, {
			method: "PUT",
			headers: { "content-type": "application/json" },
			body: JSON.stringify({ onHand: 20, unitPrice: 1500 }),
		});
		expect(changed.status).toBe(200);
		expect(await priceOf()).toBe(990);
		expect(await priceOf({ PRICE_CACHE_MS: "0" })).toBe(1500);
		// The cache off read without keeping, so the instance still holds 990; a change through it is seen at once,
		// even by an order whose read of the old price is on its way back while the next change is made.
		await call("PUT", `/inventory/${sku}`, { auth: ADMIN, body: { onHand: 20, unitPrice: 1200 } });
		const inventory = (env as unknown as GatewayEnv).INVENTORY;
		const changedMidRead = {
			fetch: async (input: RequestInfo, init?: RequestInit) => {
				const read = await inventory.fetch(input, init);
				await call("PUT", `/inventory/${sku}`, { auth: ADMIN, body: { onHand: 20, unitPrice: 1300 } });
				return read;
			},
		};
		expect(await priceOf({ PRICE_CACHE_MS: "600000", INVENTORY: changedMidRead as unknown as string })).toBe(1200);
		expect(await priceOf()).toBe(1300);
	});

	it("answers an order that does not exist with the order Worker's 404", async () => {
		const res = await call("GET", `/orders/ord_${"f".repeat(24)}`, { auth: CUSTOMER });
		expect(res.status).toBe(404);
		expect(res.headers.get("content-type")).toBe("application/problem+json");
	});
});
